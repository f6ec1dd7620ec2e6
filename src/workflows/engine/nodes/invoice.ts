import { getContact } from '../../../store/repositories/contacts.js';
import { getInvoice, type Invoice } from '../../../store/repositories/invoices.js';
import type { NodeExecution } from '../types.js';

/** The run's invoice as it is now (nodes act on the current state, never on a snapshot). */
export async function invoiceOf(execution: NodeExecution): Promise<Invoice | undefined> {
  const { run, deps } = execution;
  return run.invoiceId === null ? undefined : getInvoice(deps.db, run.tenantId, run.invoiceId);
}

export async function contactOf(execution: NodeExecution) {
  return getContact(execution.deps.db, execution.run.tenantId, execution.run.contactId);
}
