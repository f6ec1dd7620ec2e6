import { createHmac } from 'node:crypto';
import type { NodeOf } from '../../../domain/workflows/index.js';
import { PermanentJobError, RetryAfterError } from '../../../jobs/errors.js';
import { SecretBoxError } from '../../../security/secret-box.js';
import { webhookSigningSecrets } from '../webhook-secrets.js';
import type { NodeExecution, Outcome } from '../types.js';
import { invoiceOf } from './invoice.js';

export const SIGNATURE_HEADER = 'ledgerbridge-signature';
const TIMEOUT_MS = 10_000;

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, the scheme Stripe's webhooks use: one
 * `v1` per secret, so while a rolled secret still overlaps, a receiver holding either verifies.
 */
export function signPayload(secrets: string | readonly string[], body: string, timestamp: number): string {
  const macs = (typeof secrets === 'string' ? [secrets] : secrets).map(
    (secret) => `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`,
  );
  return [`t=${timestamp}`, ...macs].join(',');
}

/**
 * webhook: POSTs a signed JSON payload. The delivery id (the token id) goes in `Idempotency-Key`, so
 * a receiver can drop the repeat of a delivery retried after a timeout or a crash. 2xx completes the
 * step; 408, 429 and 5xx (and network errors) are retried with backoff; any other answer fails it.
 */
export async function runWebhook(execution: NodeExecution, node: NodeOf<'webhook'>): Promise<Outcome> {
  const { run, token, deps } = execution;
  const invoice = await invoiceOf(execution);
  let signing;
  try {
    signing = await webhookSigningSecrets(deps.db, deps.secrets, run.tenantId);
  } catch (error) {
    // No encryption key (a server database without ENCRYPTION_KEY): say so; retrying cannot help.
    if (error instanceof SecretBoxError) return { kind: 'fail', error: `cannot sign: ${error.message}` };
    throw error;
  }
  const body = JSON.stringify({
    id: token.id,
    type: 'workflow.webhook',
    run_id: run.id,
    node_id: node.id,
    contact_id: run.contactId,
    invoice: invoice
      ? {
          id: invoice.id,
          number: invoice.number,
          status: invoice.status,
          currency: invoice.currency,
          total: invoice.total,
          amount_paid: invoice.amountPaid,
          balance: invoice.balance,
          due_date: invoice.dueDate,
          payment_link_url: invoice.paymentLinkUrl,
        }
      : null,
  });
  const timestamp = Math.floor(Date.now() / 1000);
  const post = deps.fetch ?? fetch;
  const response = await post(node.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': token.id,
      [SIGNATURE_HEADER]: signPayload(
        signing.previous === null ? [signing.current] : [signing.current, signing.previous],
        body,
        timestamp,
      ),
    },
    body,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  await response.body?.cancel();
  if (response.ok) return { kind: 'done', follow: ['next'], result: { status: response.status } };
  if (response.status === 429) {
    const seconds = Number(response.headers.get('retry-after'));
    throw new RetryAfterError(`${node.url} answered 429`, Number.isFinite(seconds) ? seconds * 1000 : 5000);
  }
  if (response.status === 408 || response.status >= 500)
    throw new Error(`${node.url} answered ${response.status}`);
  throw new PermanentJobError(`${node.url} answered ${response.status}`);
}
