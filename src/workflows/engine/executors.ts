import { runCollectPayment } from './nodes/collect-payment.js';
import { passThrough, runCondition, runWait } from './nodes/flow.js';
import { runSendEmail } from './nodes/send-email.js';
import { runStatusUpdate } from './nodes/status-update.js';
import { runSyncQuickbooks } from './nodes/sync-quickbooks.js';
import { runWebhook } from './nodes/webhook.js';
import type { NodeExecution, Outcome } from './types.js';

/** One executor per node type (the switch is exhaustive: a new type does not compile without one). */
export function executeNode(execution: NodeExecution): Promise<Outcome> {
  const { node } = execution;
  switch (node.type) {
    case 'trigger':
    case 'join':
      return passThrough();
    case 'condition':
      return runCondition(execution, node);
    case 'wait':
      return runWait(execution, node);
    case 'status_update':
      return runStatusUpdate(execution, node);
    case 'collect_payment':
      return runCollectPayment(execution, node);
    case 'sync_quickbooks':
      return runSyncQuickbooks(execution);
    case 'send_email':
      return runSendEmail(execution, node);
    case 'webhook':
      return runWebhook(execution, node);
  }
}
