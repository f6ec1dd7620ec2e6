import type { WorkflowGraph } from './parse.js';
import { assertValidWorkflowGraph } from './validate.js';

/**
 * The workflow every tenant's "invoice" form type starts with, as the Stripe + QuickBooks design
 * recommends: once the invoice is sent, collecting payment and syncing to QuickBooks run as two
 * parallel tracks; a payment through the link syncs QuickBooks again (so the books show it paid);
 * and each track ends in a status update, so the invoice can be marked paid whichever way the
 * customer pays — automatically after a link payment, by a person after a check or a transfer.
 *
 *   sent ──┬─ collect_payment ──on_payment── sync_quickbooks (paid) ── mark paid (automatic)
 *          │        └─next── mark paid by a person (paid / void / uncollectible)
 *          └─ sync_quickbooks ──next── mark paid by a person (paid / void / uncollectible)
 *
 * The two manual updates are the same question asked on two tracks; the first answer wins and the
 * other finds the invoice already in that status.
 */
export const DEFAULT_INVOICE_WORKFLOW_NAME = 'Collect payment and sync QuickBooks';

export const defaultInvoiceWorkflow: WorkflowGraph = assertValidWorkflowGraph({
  nodes: [
    { id: 'invoice_sent', type: 'trigger', event: 'invoice_sent', label: 'Invoice sent' },
    { id: 'collect_payment', type: 'collect_payment', label: 'Email the payment link' },
    { id: 'sync_on_send', type: 'sync_quickbooks', label: 'Sync the invoice to QuickBooks' },
    { id: 'sync_on_payment', type: 'sync_quickbooks', label: 'Sync the payment to QuickBooks' },
    {
      id: 'mark_paid_after_link',
      type: 'status_update',
      mode: 'automatic',
      status: 'paid',
      label: 'Paid through the link',
    },
    {
      id: 'mark_paid_collect_track',
      type: 'status_update',
      mode: 'manual',
      allowed_statuses: ['paid', 'void', 'uncollectible'],
      label: 'Mark paid after another payment method',
    },
    {
      id: 'mark_paid_sync_track',
      type: 'status_update',
      mode: 'manual',
      allowed_statuses: ['paid', 'void', 'uncollectible'],
      label: 'Mark paid after another payment method',
    },
  ],
  edges: [
    { from: 'invoice_sent', to: 'collect_payment', kind: 'next' },
    { from: 'invoice_sent', to: 'sync_on_send', kind: 'next' },
    { from: 'collect_payment', to: 'sync_on_payment', kind: 'on_payment' },
    { from: 'sync_on_payment', to: 'mark_paid_after_link', kind: 'next' },
    { from: 'collect_payment', to: 'mark_paid_collect_track', kind: 'next' },
    { from: 'sync_on_send', to: 'mark_paid_sync_track', kind: 'next' },
  ],
});

/** The built-in template for a form type, if there is one. */
export function defaultWorkflowFor(formType: string): { name: string; graph: WorkflowGraph } | undefined {
  return formType === 'invoice'
    ? { name: DEFAULT_INVOICE_WORKFLOW_NAME, graph: defaultInvoiceWorkflow }
    : undefined;
}
