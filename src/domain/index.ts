// Public surface of the pure domain layer: import from here rather than from individual files.
export * from './billable-status.js';
export * from './currency.js';
export * from './decimal.js';
export * from './errors.js';
export * from './invoice-math.js';
export * from './invoice-status.js';
export * from './money.js';
export * from './payment-status.js';
export * from './payments.js';
export * from './state-machine.js';
