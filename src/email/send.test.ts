import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestTenant } from '../../test/api.js';
import { backends } from '../../test/databases.js';
import { RetryAfterError } from '../jobs/errors.js';
import { EmailDeliveryError, EmailIdempotencyConflictError, EmailRejectedError, sendEmail } from './send.js';
import { startSmtpSink, type SmtpSink } from './test-fixtures/smtp-sink.js';
import { catcherTransport, createMailTransport, type MailTransport, smtpTransport } from './transport.js';

const paymentLink = {
  customer_name: 'Ada Customer',
  invoice_number: 1042,
  amount_due: 123456,
  currency: 'USD',
  due_date: '2026-12-31',
  payment_url: 'https://pay.example.test/i/abc?x=1&y=2',
};

describe.each(backends)('sending email on $name', (backend) => {
  let api: TestApi;
  let tenant: TestTenant;
  let seq = 0;
  const key = () => `test:${++seq}`;
  const catcher = catcherTransport('billing@books.example.test');
  beforeAll(async () => {
    api = await startTestApi(backend);
    tenant = await api.tenant();
    await api.db.query('UPDATE tenants SET name = $1 WHERE id = $2', ['Smith & <Sons>', tenant.tenantId]);
  });
  afterAll(() => api.close());

  describe('with the mail catcher', () => {
    it('stores the message, listed and readable through the API with both bodies', async () => {
      const email = await sendEmail(
        api.db,
        {
          tenantId: tenant.tenantId,
          idempotencyKey: key(),
          to: 'ap@customer.test',
          template: 'payment_link',
          data: paymentLink,
        },
        catcher,
      );
      expect(email).toMatchObject({
        status: 'sent',
        transport: 'catcher',
        attempts: 1,
        to: ['ap@customer.test'],
      });
      expect(email.providerMessageId).toBe(`catcher:<${email.id}@books.example.test>`);

      const list = await tenant.request('GET', '/api/v1/emails?template=payment_link');
      expect(list.statusCode).toBe(200);
      expect(list.json().data[0]).toMatchObject({
        id: email.id,
        object: 'email',
        status: 'sent',
        transport: 'catcher',
        from: '"Smith & <Sons>" <billing@books.example.test>',
        subject: 'Invoice 1042 from Smith & <Sons>: $1,234.56 due on 2026-12-31',
      });
      expect(list.json().data[0]).not.toHaveProperty('html');

      const detail = (await tenant.request('GET', `/api/v1/emails/${email.id}`)).json();
      expect(detail.text).toContain('Smith & <Sons> sent you invoice 1042 for $1,234.56 due on 2026-12-31.');
      expect(detail.text).toContain('https://pay.example.test/i/abc?x=1&y=2');
      expect(detail.html).toContain('Smith &amp; &lt;Sons&gt;');
      expect(detail.html).not.toContain('<Sons>');
      expect(detail.html).toContain('href="https://pay.example.test/i/abc?x=1&amp;y=2"');

      const other = await api.tenant();
      expect((await other.request('GET', `/api/v1/emails/${email.id}`)).statusCode).toBe(404);
      expect((await other.request('GET', '/api/v1/emails')).json().data).toEqual([]);
    });

    it('records one message for two sends under the same key, and refuses a different one under it', async () => {
      const input = {
        tenantId: tenant.tenantId,
        idempotencyKey: key(),
        to: ['a@customer.test'],
        template: 'review_request' as const,
        data: { review_url: 'https://reviews.example.test/x' },
      };
      const first = await sendEmail(api.db, input, catcher);
      const second = await sendEmail(api.db, input, catcher);
      expect(second).toEqual(first);
      const rows = await api.db.query('SELECT count(*)::int AS n FROM emails WHERE idempotency_key = $1', [
        input.idempotencyKey,
      ]);
      expect(rows).toEqual([{ n: 1 }]);
      await expect(sendEmail(api.db, { ...input, to: ['b@customer.test'] }, catcher)).rejects.toThrow(
        EmailIdempotencyConflictError,
      );
    });

    it('is what the embedded default uses', () => {
      expect(createMailTransport({ smtp: undefined, from: 'x@y.test' }).kind).toBe('catcher');
    });
  });

  describe('over SMTP', () => {
    let sink: SmtpSink;
    let smtp: MailTransport;
    beforeEach(async () => {
      sink = await startSmtpSink();
      smtp = createMailTransport({
        smtp: { host: '127.0.0.1', port: sink.port, secure: false, user: 'mailer', password: 's3cret' },
        from: 'Books <billing@books.example.test>',
      });
    });
    afterEach(async () => {
      smtp.close();
      await sink.close();
    });

    it('hands the message to a real SMTP server, once per key', async () => {
      const input = {
        tenantId: tenant.tenantId,
        idempotencyKey: key(),
        to: 'ap@customer.test',
        template: 'payment_link' as const,
        data: paymentLink,
      };
      const email = await sendEmail(api.db, input, smtp);
      expect(email).toMatchObject({
        status: 'sent',
        transport: 'smtp',
        providerMessageId: '250 2.0.0 Ok: queued as Q1',
      });
      expect(await sendEmail(api.db, input, smtp)).toEqual(email);
      expect(sink.messages).toHaveLength(1);
      const [message] = sink.messages;
      expect(message).toMatchObject({
        from: 'billing@books.example.test',
        to: ['ap@customer.test'],
        auth: { user: 'mailer', password: 's3cret' },
      });
      const data = message?.data ?? '';
      expect(data).toMatch(/^From: "Smith & <Sons>" <billing@books\.example\.test>$/m);
      expect(data).toContain(`Message-ID: <${email.id}@books.example.test>`);
      expect(data).toMatch(/^Content-Type: multipart\/alternative;/m);
      expect(data).toMatch(/^Content-Type: text\/plain/m);
      expect(data).toMatch(/^Content-Type: text\/html/m);
    });

    it('records a refusal as failed, and a retry with the same key sends it', async () => {
      sink.rcptReplies.set('gone@customer.test', '550 5.1.1 no such user');
      const input = {
        tenantId: tenant.tenantId,
        idempotencyKey: key(),
        to: 'gone@customer.test',
        template: 'payment_link' as const,
        data: paymentLink,
      };
      const refused = await sendEmail(api.db, input, smtp).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(EmailRejectedError);
      const failed = (refused as EmailRejectedError).email;
      expect(failed).toMatchObject({ status: 'failed', attempts: 1, sentAt: null });
      expect(failed.error).toContain('550');
      expect(sink.messages).toEqual([]);

      sink.rcptReplies.clear();
      const sent = await sendEmail(api.db, input, smtp);
      expect(sent).toMatchObject({ id: failed.id, status: 'sent', attempts: 2, error: null });
      expect(sink.messages).toHaveLength(1);
    });

    it('treats a temporary refusal as retryable', async () => {
      sink.mailFromReply = '451 4.3.0 try again later';
      const input = {
        tenantId: tenant.tenantId,
        idempotencyKey: key(),
        to: 'ap@customer.test',
        template: 'payment_link' as const,
        data: paymentLink,
      };
      await expect(sendEmail(api.db, input, smtp)).rejects.toThrow(EmailDeliveryError);
    });

    it('lets one sender at a time hand a message over; an expired claim is taken over', async () => {
      const input = {
        tenantId: tenant.tenantId,
        idempotencyKey: key(),
        to: 'ap@customer.test',
        template: 'payment_link' as const,
        data: paymentLink,
      };
      // A sender that recorded the message and died before the transport answered: queued, claimed.
      sink.mailFromReply = '451 4.3.0 try again later';
      await sendEmail(api.db, input, smtp).catch(() => undefined);
      sink.mailFromReply = undefined;
      await api.db.query(
        "UPDATE emails SET status = 'queued', error = NULL, claimed_until = now() + interval '1 minute' WHERE idempotency_key = $1",
        [input.idempotencyKey],
      );
      await expect(sendEmail(api.db, input, smtp)).rejects.toThrow(RetryAfterError);
      expect(sink.messages).toEqual([]);

      await api.db.query(
        "UPDATE emails SET claimed_until = now() - interval '1 second' WHERE idempotency_key = $1",
        [input.idempotencyKey],
      );
      expect(await sendEmail(api.db, input, smtp)).toMatchObject({ status: 'sent', attempts: 2 });
      expect(sink.messages).toHaveLength(1);
    });
  });

  it('fails a send to an SMTP server that is not there as retryable', async () => {
    const sink = await startSmtpSink();
    const port = sink.port;
    await sink.close();
    const nowhere = smtpTransport(
      { host: '127.0.0.1', port, secure: false, user: undefined, password: undefined },
      'b@books.example.test',
    );
    const input = {
      tenantId: tenant.tenantId,
      idempotencyKey: key(),
      to: 'ap@customer.test',
      template: 'payment_link' as const,
      data: paymentLink,
    };
    await expect(sendEmail(api.db, input, nowhere)).rejects.toThrow(EmailDeliveryError);
    nowhere.close();
  });
});
