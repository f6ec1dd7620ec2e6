import { z } from 'zod';
import { errorBody, isoTimestamp } from '../schemas/common.js';

/** What every integration route (Stripe, QuickBooks) shares: its errors, tag and permission. */
export const integrationErrors = {
  400: errorBody,
  401: errorBody,
  403: errorBody,
  404: errorBody,
  409: errorBody,
  503: errorBody,
};
export const integrationTags = ['integrations'];
/** Checked before validation (src/http/auth.ts), so a viewer learns nothing from a 400. */
export const manageIntegrations = { permission: 'manage_integrations' as const };

/** The answer of `POST /integrations/<provider>/oauth/start`. */
export const oauthStartResponse = z.object({ authorize_url: z.string(), expires_at: isoTimestamp });
