/** The inbound half (pull) of the QuickBooks Online integration. */
export { CDC_EVERY_MS, enqueueQuickBooksCdc, QBO_CDC_JOB, scheduleQuickBooksCdc } from './cdc.js';
export { quickbooksActor } from './context.js';
export { QBO_NOTIFICATION_JOB } from './inbox.js';
export { quickbooksInboundJobHandlers } from './jobs.js';
export { signIntuitPayload, verifyIntuitSignature } from './signature.js';
export { quickbooksWebhookRoutes } from './webhook-route.js';
