import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog, startBilling } from '../resources/billing/testkit.js';
import type { StripeEmulator } from '../server.js';

/** The hosted invoice page over real HTTP: what it shows, and paying on it with each test card. */
describe('hosted invoice page', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let shop: Awaited<ReturnType<typeof catalog>>;
  beforeAll(async () => {
    ({ emulator, stripe } = await startBilling());
    shop = await catalog(stripe);
  });
  afterAll(() => emulator.close());

  async function openInvoice(options: Stripe.RequestOptions = {}, customer = shop.customer.id) {
    const invoice = await stripe.invoices.create(
      { customer, collection_method: 'send_invoice', days_until_due: 14 },
      options,
    );
    await stripe.invoices.addLines(
      invoice.id,
      { lines: [{ amount: 12_823, description: 'Audit <script>alert("x")</script> & review' }] },
      options,
    );
    return stripe.invoices.finalizeInvoice(invoice.id, {}, options);
  }

  const pay = (url: string, number: string, exp = '12 / 34') =>
    fetch(`${url}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ number, exp, cvc: '123', name: 'Ada Lovelace' }).toString(),
    });

  it('shows the invoice, escaped, with totals in the currency and a card form', async () => {
    const invoice = await openInvoice();
    const response = await fetch(String(invoice.hosted_invoice_url));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).toContain(emulator.state.platform.displayName);
    expect(html).toContain(`Invoice ${invoice.number ?? ''}`);
    expect(html).toContain('Audit &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; review');
    expect(html).not.toContain('<script>');
    expect(html).toContain('$128.23');
    expect(html).toMatch(/<form method="post" action="\/i\/test_[\w-]+\/pay">/);
    expect((await fetch(`${emulator.url}/i/test_unknown`)).status).toBe(404);

    const pdf = await fetch(String(invoice.invoice_pdf));
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await pdf.arrayBuffer()).toString('latin1');
    expect(bytes.startsWith('%PDF-1.4')).toBe(true);
    expect(bytes).toContain(`(Invoice ${invoice.number ?? ''}) '`);
    expect(bytes).toContain('(Total: $128.23)');
    expect(bytes.trimEnd().endsWith('%%EOF')).toBe(true);
  });

  it.each([
    ['4000 0000 0000 0002', 'generic_decline', 'Your card was declined.'],
    ['4000 0000 0000 9995', 'insufficient_funds', 'Your card has insufficient funds.'],
  ])('declines %s (%s): the invoice stays open and the page says why', async (number, reason, message) => {
    const invoice = await openInvoice();
    const response = await pay(String(invoice.hosted_invoice_url), number);
    expect(response.status).toBe(402);
    expect(await response.text()).toContain(message);
    expect((await stripe.invoices.retrieve(invoice.id)).status).toBe('open');
    const [charge] = (await stripe.charges.list({ limit: 1 })).data;
    expect(charge).toMatchObject({
      status: 'failed',
      paid: false,
      failure_code: 'card_declined',
      failure_message: message,
      balance_transaction: null,
      outcome: { reason, type: 'issuer_declined' },
      payment_method_details: { card: { last4: number.slice(-4) } },
    });
    const recent = (await stripe.events.list({ limit: 5 })).data.map((event) => event.type);
    expect(recent.slice(0, 3)).toEqual([
      'invoice.payment_failed',
      'payment_intent.payment_failed',
      'charge.failed',
    ]);
  });

  it('pays with 4242 4242 4242 4242: the invoice is paid, with the charge and its fee', async () => {
    const invoice = await openInvoice();
    const url = String(invoice.hosted_invoice_url);
    const refused = await pay(url, '4111 1111 1111 1112');
    expect(await refused.text()).toContain('Your card number is incorrect.');
    const expired = await pay(url, '4242424242424242', '01/20');
    expect(await expired.text()).toContain('expiration date is in the past');

    const response = await pay(url, '4242 4242 4242 4242');
    expect(response.status).toBe(200);
    expect(response.url).toBe(url);
    const html = await response.text();
    expect(html).toContain('>Paid<');
    expect(html).not.toContain('<form');

    const paid = await stripe.invoices.retrieve(invoice.id);
    expect(paid).toMatchObject({ status: 'paid', amount_paid: 12_823, amount_remaining: 0 });
    expect(paid.status_transitions.paid_at).toBeTypeOf('number');
    const [charge] = (await stripe.charges.list({ limit: 1 })).data;
    expect(charge).toMatchObject({ status: 'succeeded', billing_details: { name: 'Ada Lovelace' } });
    const txn = await stripe.balanceTransactions.retrieve(String(charge?.balance_transaction));
    expect(txn).toMatchObject({ amount: 12_823, fee: 402, net: 12_421 });
    const intent = await stripe.paymentIntents.retrieve(String(charge?.payment_intent));
    expect(intent).toMatchObject({ status: 'succeeded', amount_received: 12_823, latest_charge: charge?.id });
    expect((await pay(url, '4242 4242 4242 4242')).status).toBe(409);
  });

  it("pays a connected account's invoice into that account", async () => {
    const connected = emulator.state.createAccount('Connected Bakery');
    connected.connectedTo = emulator.state.platform.id;
    const options = { stripeAccount: connected.id };
    const customer = await stripe.customers.create({ email: 'baker@example.com' }, options);
    const invoice = await openInvoice(options, customer.id);
    const page = await (await fetch(String(invoice.hosted_invoice_url))).text();
    expect(page).toContain('Connected Bakery');
    expect((await pay(String(invoice.hosted_invoice_url), '4242424242424242')).status).toBe(200);
    expect((await stripe.invoices.retrieve(invoice.id, {}, options)).status).toBe('paid');
    const charges = (await stripe.charges.list({ limit: 100 }, options)).data;
    expect(charges).toHaveLength(1);
    const platformCharges = (await stripe.charges.list({ limit: 100 })).data;
    expect(platformCharges.map((charge) => charge.id)).not.toContain(charges[0]?.id);
  });
});
