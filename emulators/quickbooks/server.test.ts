import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeEvent } from './kernel/changes.js';
import { startQuickBooksEmulator, type QuickBooksEmulator } from './server.js';
import { qboClient, type QboTestClient } from './testing.js';

/** The emulator as composed: writes reach the change feed and, signed, the webhook endpoint. */
describe('QuickBooks emulator: composition', () => {
  let emulator: QuickBooksEmulator;
  let qbo: QboTestClient;
  let receiver: Server;
  const received: { body: string; signature: string | undefined }[] = [];
  const events: ChangeEvent[] = [];
  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const signature = request.headers['intuit-signature'];
        received.push({ body, signature: Array.isArray(signature) ? signature[0] : signature });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = (receiver.address() as AddressInfo).port;
    emulator = await startQuickBooksEmulator({
      limits: false,
      webhooks: { url: `http://127.0.0.1:${port}/hooks`, format: 'cloudevents', batchWindowMs: 10 },
    });
    emulator.state.feed.subscribe((event) => events.push(event));
    qbo = qboClient(emulator);
  });
  afterAll(async () => {
    await emulator.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('publishes Create, Update, Void and Delete, and the invoice a payment changed', async () => {
    const customer = await qbo.create('Customer', { DisplayName: 'Feed Customer' });
    const invoice = await qbo.create('Invoice', {
      CustomerRef: { value: customer.Id },
      Line: [{ Amount: 20, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: {} }],
    });
    const payment = await qbo.create('Payment', {
      CustomerRef: { value: customer.Id },
      TotalAmt: 20,
      Line: [{ Amount: 20, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
    });
    await qbo.post('payment', { Id: payment.Id, SyncToken: '0' }, { operation: 'delete' });
    const current = (await qbo.get(`invoice/${invoice.Id}`)).body.Invoice;
    await qbo.post('invoice', { Id: invoice.Id, SyncToken: current.SyncToken }, { operation: 'void' });
    const seen = events.map((event) => `${event.entity}:${event.id}:${event.operation}`);
    expect(seen).toEqual([
      `Customer:${customer.Id}:Create`,
      `Invoice:${invoice.Id}:Create`,
      `Payment:${payment.Id}:Create`,
      `Invoice:${invoice.Id}:Update`,
      `Payment:${payment.Id}:Delete`,
      `Invoice:${invoice.Id}:Update`,
      `Invoice:${invoice.Id}:Void`,
    ]);
    expect(events.every((event) => event.realmId === qbo.realmId)).toBe(true);
  });

  it('delivers the changes to the webhook endpoint, signed with the verifier token', async () => {
    await emulator.webhooks.idle();
    expect(received.length).toBeGreaterThan(0);
    for (const post of received) {
      const expected = createHmac('sha256', emulator.verifierToken)
        .update(post.body, 'utf8')
        .digest('base64');
      expect(post.signature).toBe(expected);
    }
    const delivered = received.flatMap(
      (post) => JSON.parse(post.body) as { type: string; intuitaccountid: string }[],
    );
    expect(delivered.map((event) => event.type)).toContain('qbo.invoice.created.v1');
    expect(delivered.every((event) => event.intuitaccountid === qbo.realmId)).toBe(true);
  });

  it('answers an entity it does not serve as QuickBooks answers an unknown resource', async () => {
    const answer = await qbo.post('spaceship', { Name: 'x' });
    expect(answer.status).toBe(400);
    expect(answer.body.Fault.Error[0]).toMatchObject({ code: '500', Message: 'Unsupported Operation' });
  });

  it('updates Preferences: multicurrency can be turned on but not off', async () => {
    const prefs = (await qbo.get('preferences')).body.Preferences;
    const on = await qbo.post('preferences', {
      Id: prefs.Id,
      SyncToken: prefs.SyncToken,
      sparse: true,
      CurrencyPrefs: { MultiCurrencyEnabled: true },
    });
    expect(on.body.Preferences.CurrencyPrefs).toEqual({
      MultiCurrencyEnabled: true,
      HomeCurrency: { value: 'USD' },
    });
    const off = await qbo.post('preferences', {
      Id: prefs.Id,
      SyncToken: on.body.Preferences.SyncToken,
      sparse: true,
      CurrencyPrefs: { MultiCurrencyEnabled: false },
    });
    expect(off.body.Fault.Error[0].code).toBe('6000');
  });
});
