/**
 * Intuit's OAuth 2.0 for the QuickBooks Online emulator: the authority that issues and checks
 * tokens (used by the API routes to authenticate requests) and the HTTP endpoints a client uses.
 */
export { OAuthAuthority, OAuthError, type OAuthAuthorityOptions, type TokenResponse } from './authority.js';
export { registerOAuthRoutes, type ConnectableCompany } from './routes.js';
export { OAuthStore, type OAuthSnapshot } from './store.js';
