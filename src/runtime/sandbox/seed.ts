import { consentOnQuickBooks, consentOnStripe } from './consent.js';

/**
 * Fills the demo tenant through the app's own HTTP API, as its owner would with the API key: the
 * same validation, events and jobs as any client's requests, no shortcut into the tables.
 */

export const DEMO_BUSINESS_NAME = 'Demo Business';

interface Created {
  readonly id: string;
}

export interface DemoApi {
  call<T = Created>(method: string, path: string, body?: unknown): Promise<T>;
}

export function demoApi(appUrl: string, apiKey: string): DemoApi {
  return {
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      const response = await fetch(path.startsWith('http') ? path : `${appUrl}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (response.status >= 300)
        throw new Error(`sandbox: ${method} ${path} answered ${response.status}: ${text}`);
      return (text ? JSON.parse(text) : {}) as T;
    },
  };
}

/** Connects Stripe through Connect OAuth, clicking Authorize on the emulator's page. */
export async function connectStripe(api: DemoApi): Promise<void> {
  const start = await api.call<{ authorize_url: string }>('POST', '/integrations/stripe/oauth/start', {});
  const back = await consentOnStripe(start.authorize_url, DEMO_BUSINESS_NAME);
  await api.call('GET', back.toString());
}

/** Connects QuickBooks through Intuit's OAuth, pressing Connect on the emulator's consent page. */
export async function connectQuickBooks(api: DemoApi): Promise<void> {
  const start = await api.call<{ authorize_url: string }>('POST', '/integrations/quickbooks/oauth/start', {});
  const back = await consentOnQuickBooks(start.authorize_url);
  await api.call('GET', back.toString());
}

const SERVICES = [
  { code: 'CONSULT', name: 'Consulting (hour)', unit_price: 15_000 },
  { code: 'INSTALL', name: 'Installation', unit_price: 48_000 },
  { code: 'SUPPORT', name: 'Support plan (month)', unit_price: 9_900 },
] as const;

const CUSTOMERS = [
  { name: 'Globex Corporation', email: 'ap@globex.example', work: 'Warehouse network upgrade' },
  { name: 'Initech', email: 'billing@initech.example', work: 'Office fit-out' },
  { name: 'Umbrella Health', email: 'accounts@umbrella.example', work: 'Clinic onboarding' },
] as const;

/** Per opportunity: which service, how many (decimal strings, as the API takes them). */
const WORK: readonly (readonly [service: number, quantity: string])[][] = [
  [
    [0, '6'],
    [1, '1'],
  ],
  [
    [0, '2.5'],
    [2, '3'],
  ],
  [
    [1, '2'],
    [2, '1'],
  ],
];

/** Nothing in the catalog and no contacts yet: the business is the one this start just created. */
export async function hasNoData(api: DemoApi): Promise<boolean> {
  const services = await api.call<{ data: unknown[] }>('GET', '/services?limit=1');
  const contacts = await api.call<{ data: unknown[] }>('GET', '/contacts?limit=1');
  return services.data.length === 0 && contacts.data.length === 0;
}

export interface DemoData {
  readonly sentInvoiceId: string;
}

/**
 * The catalog, three customers, an opportunity each with billables, the default invoice workflow,
 * the review-request automation on, and the first customer's work invoiced and sent. Run once, on the first start, after connecting.
 */
export async function seedDemoData(api: DemoApi): Promise<DemoData> {
  const services: Created[] = [];
  for (const service of SERVICES) {
    services.push(await api.call('POST', '/services', { ...service, currency: 'USD' }));
  }
  const billablesByOpportunity: string[][] = [];
  for (const [index, customer] of CUSTOMERS.entries()) {
    const contact = await api.call('POST', '/contacts', {
      kind: 'organization',
      name: customer.name,
      email: customer.email,
    });
    const opportunity = await api.call('POST', '/opportunities', {
      title: customer.work,
      contact_id: contact.id,
    });
    const ids: string[] = [];
    for (const [service, quantity] of WORK[index] ?? []) {
      const billable = await api.call('POST', '/billables', {
        parent_type: 'opportunity',
        parent_id: opportunity.id,
        service_id: services[service]?.id,
        quantity,
      });
      ids.push(billable.id);
    }
    billablesByOpportunity.push(ids);
  }
  // Looking at the workflows provisions the built-in one and binds it to invoices.
  await api.call('GET', '/workflows?form_type=invoice');
  // A customer's first invoice paid in full brings a review request, caught like every email.
  await api.call('PATCH', '/automations/review-request', {
    enabled: true,
    review_url: 'https://reviews.example/demo-business',
  });
  const draft = await api.call('POST', '/invoices/from-billables', {
    billable_ids: billablesByOpportunity[0],
    memo: 'Thank you for your business.',
  });
  await api.call('POST', `/invoices/${draft.id}/send`, {});
  return { sentInvoiceId: draft.id };
}
