/**
 * The QuickBooks Online integration's connection half, as the sync code uses it: sessions with valid
 * tokens, the tenant's connection settings, and the job wrapper that pauses instead of failing.
 */
export { QboHttpClient, queriedEntity } from './client/client.js';
export { listAccounts, listBankAccounts, listTaxCodes, type QboAccountType } from './client/accounts.js';
export {
  connectionSettingsPatchSchema,
  DEFAULT_CONNECTION_SETTINGS,
  readConnectionSettings,
} from './connection/connection-settings.js';
export { pausedJobError, REAUTHORIZATION_SNOOZE_MS, withQuickBooksSession } from './connection/pause.js';
export { openQboSession, type QboDeps, QboNotConnectedError } from './connection/session.js';
export { wakeQuickBooksJobs } from './connection/wake-jobs.js';
export {
  createQuickBooksIntegration,
  quickbooksSettingsFromConfig,
  unconfiguredQuickBooksIntegration,
} from './settings.js';
export * from './types.js';
