/**
 * Intuit's webhooks for the QuickBooks Online emulator: delivery of the kernel's change feed to the
 * app's endpoint (CloudEvents or the older payload, signed with `intuit-signature`), and the
 * `/_emulator/webhooks` admin routes.
 */
export { QboWebhookDelivery } from './delivery.js';
export {
  INTUIT_RETRY_DELAYS_MS,
  type QboWebhookOptions,
  type WebhookSwitches,
  type DeliveryAttempt,
  type DroppedChange,
} from './types.js';
export { registerWebhookAdmin } from './admin.js';
export {
  intuitSignature,
  cloudEventType,
  renderPayload,
  type CloudEvent,
  type WebhookFormat,
} from './payload.js';
