export * from './backoff.js';
export * from './errors.js';
export type { Job } from './job.js';
export { DEFAULT_MAX_ATTEMPTS, type EnqueueInput, enqueue, type QueueLimit, setQueueLimit } from './queue.js';
export * from './repository.js';
export { type JobEvent, type JobState, jobStates, transition } from './states.js';
export * from './worker.js';
