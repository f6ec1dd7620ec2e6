import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { sendEmail } from '../src/email/send.js';
import { catcherTransport } from '../src/email/transport.js';
import { enqueue } from '../src/jobs/queue.js';
import { credentialContext, insertConnection } from '../src/store/repositories/integration-connections.js';
import type { TestApi, TestTenant } from './api.js';

/** One of everything a tenant can own, made through the API, with the ids. */
export interface TenantFixture {
  readonly tenantId: string;
  readonly apiKeyId: string;
  readonly contactId: string;
  readonly serviceId: string;
  readonly recurringServiceId: string;
  readonly subscriptionId: string;
  readonly opportunityId: string;
  readonly ticketId: string;
  readonly orderId: string;
  readonly invoicedBillableId: string;
  readonly unbilledBillableId: string;
  readonly invoiceId: string;
  readonly paymentId: string;
  readonly refundId: string;
  readonly deadJobId: string;
  readonly workflowId: string;
  readonly workflowVersionId: string;
  readonly emailId: string;
  readonly stripeConnectionId: string;
  readonly stripeAccountId: string;
}

export async function createTenantFixture(api: TestApi, existing?: TestTenant): Promise<TenantFixture> {
  const tenant = existing ?? (await api.tenant('owner'));
  const post = async (url: string, body: unknown): Promise<{ id: string }> => {
    const response = await tenant.request('POST', url, body);
    expect(response.statusCode, `${url}: ${response.body}`).toBeLessThan(300);
    return response.json();
  };
  const apiKey = await post('/api/v1/api-keys', { name: 'fixture', role: 'viewer' });
  const contact = await post('/api/v1/contacts', {
    kind: 'organization',
    name: 'Fixture Co',
    email: 'ap@fixture.test',
  });
  const service = await post('/api/v1/services', {
    code: 'CONSULT',
    name: 'Consulting',
    unit_price: 15000,
    currency: 'USD',
  });
  const recurring = await post('/api/v1/services', {
    code: 'SUPPORT',
    name: 'Support plan',
    unit_price: 5000,
    currency: 'USD',
    recurring_interval: 'month',
  });
  const subscription = await post('/api/v1/subscriptions', {
    contact_id: contact.id,
    service_id: recurring.id,
  });
  const opportunity = await post('/api/v1/opportunities', { title: 'Website', contact_id: contact.id });
  const ticket = await post('/api/v1/tickets', { title: 'Leaky tap', contact_id: contact.id });
  const order = await post('/api/v1/orders', { title: 'Parts', contact_id: contact.id });
  const invoiced = await post('/api/v1/billables', {
    parent_type: 'opportunity',
    parent_id: opportunity.id,
    service_id: service.id,
    quantity: '1.5',
  });
  const unbilled = await post('/api/v1/billables', {
    parent_type: 'ticket',
    parent_id: ticket.id,
    service_id: service.id,
    quantity: '2',
  });
  const invoice = await post('/api/v1/invoices/from-billables', { billable_ids: [invoiced.id] });
  await post(`/api/v1/invoices/${invoice.id}/send`, {});
  const payment = await post('/api/v1/payments', {
    invoice_id: invoice.id,
    amount: 1000,
    currency: 'USD',
    method: 'check',
  });
  const refund = await post(`/api/v1/payments/${payment.id}/refunds`, { amount: 100 });
  const workflow = (await post('/api/v1/workflows', {
    name: 'Fixture workflow',
    graph: {
      nodes: [
        { id: 'start', type: 'trigger', event: 'invoice_paid' },
        { id: 'thanks', type: 'send_email', template: 'review_request', recipients: ['contact'] },
      ],
      edges: [{ from: 'start', to: 'thanks', kind: 'next' }],
    },
  })) as unknown as { id: string; current: { id: string } };
  const email = await sendEmail(
    api.db,
    {
      tenantId: tenant.tenantId,
      idempotencyKey: 'fixture:review',
      to: 'ap@fixture.test',
      template: 'review_request',
      data: { review_url: 'https://reviews.fixture.test/' },
    },
    catcherTransport('billing@fixture.test'),
  );
  const { job } = await enqueue(api.db, { tenantId: tenant.tenantId, type: 'fixture.unknown', payload: {} });
  await api.db.query("UPDATE jobs SET state = 'dead', finished_at = now() WHERE id = $1", [job.id]);
  // Stored directly: connecting through the API would call Stripe.
  const stripeAccountId = `acct_${randomBytes(8).toString('hex')}`;
  const connection = await insertConnection(api.db, {
    tenantId: tenant.tenantId,
    provider: 'stripe',
    method: 'api_key',
    externalAccountId: stripeAccountId,
    connectedBy: 'user:usr_fixture',
    sealCredentials: (row) =>
      api.stripe.secrets.encrypt(
        JSON.stringify({ kind: 'api_key', secret_key: 'sk_test_fixture' }),
        credentialContext(row, 'credentials'),
      ),
  });
  return {
    tenantId: tenant.tenantId,
    apiKeyId: apiKey.id,
    contactId: contact.id,
    serviceId: service.id,
    recurringServiceId: recurring.id,
    subscriptionId: subscription.id,
    opportunityId: opportunity.id,
    ticketId: ticket.id,
    orderId: order.id,
    invoicedBillableId: invoiced.id,
    unbilledBillableId: unbilled.id,
    invoiceId: invoice.id,
    paymentId: payment.id,
    refundId: refund.id,
    deadJobId: job.id,
    workflowId: workflow.id,
    workflowVersionId: workflow.current.id,
    emailId: email.id,
    stripeConnectionId: connection.id,
    stripeAccountId,
  };
}
