import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQuickBooksEmulator, type QuickBooksEmulator } from '../server.js';
import { qboClient, type QboTestClient } from '../testing.js';

/** Payments against invoices, and deposits taking them out of Undeposited Funds. */
describe('QuickBooks emulator: payments and deposits', () => {
  let emulator: QuickBooksEmulator;
  let qbo: QboTestClient;
  let customerId: string;
  let checkingId: string;
  let feesId: string;
  beforeAll(async () => {
    emulator = await startQuickBooksEmulator({ limits: false });
    qbo = qboClient(emulator);
    customerId = (await qbo.create('Customer', { DisplayName: 'Paying Customer' })).Id as string;
    const accounts = (await qbo.query('select * from Account maxresults 100')).body.QueryResponse.Account as {
      Id: string;
      Name: string;
    }[];
    checkingId = accounts.find((account) => account.Name === 'Checking')?.Id ?? '';
    feesId = accounts.find((account) => account.Name === 'Bank Charges')?.Id ?? '';
  });
  afterAll(() => emulator.close());

  const newInvoice = async (amount: number) =>
    qbo.create('Invoice', {
      CustomerRef: { value: customerId },
      Line: [{ Amount: amount, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: {} }],
    });
  const pay = (
    total: number,
    applied: [invoiceId: string, amount: number][],
    extra: Record<string, unknown> = {},
  ) =>
    qbo.post('payment', {
      CustomerRef: { value: customerId },
      TotalAmt: total,
      Line: applied.map(([id, amount]) => ({
        Amount: amount,
        LinkedTxn: [{ TxnId: id, TxnType: 'Invoice' }],
      })),
      ...extra,
    });

  it('reduces the invoice Balance by a partial payment, then to zero, and links them', async () => {
    const invoice = await newInvoice(100);
    const first = await pay(40, [[invoice.Id, 40]]);
    expect(first.body.Payment).toMatchObject({
      TotalAmt: 40,
      UnappliedAmt: 0,
      DepositToAccountRef: { name: 'Undeposited Funds' },
    });
    let read = (await qbo.get(`invoice/${invoice.Id}`)).body.Invoice;
    expect(read).toMatchObject({ Balance: 60, TotalAmt: 100, SyncToken: '1' });
    expect(read.LinkedTxn).toEqual([{ TxnId: first.body.Payment.Id, TxnType: 'Payment' }]);
    await pay(60, [[invoice.Id, 60]]);
    read = (await qbo.get(`invoice/${invoice.Id}`)).body.Invoice;
    expect(read.Balance).toBe(0);
    expect(read.LinkedTxn).toHaveLength(2);
  });

  it('keeps what is not applied as UnappliedAmt and refuses paying more than is open', async () => {
    const invoice = await newInvoice(30);
    const over = await pay(50, [[invoice.Id, 35]]);
    expect(over.body.Fault.Error[0].code).toBe('6000');
    const short = await pay(10, [[invoice.Id, 20]]);
    expect(short.body.Fault.Error[0].code).toBe('6000');
    const ok = await pay(50, [[invoice.Id, 30]]);
    expect(ok.body.Payment.UnappliedAmt).toBe(20);
    const customer = (await qbo.get(`customer/${customerId}`)).body.Customer;
    expect(typeof customer.Balance).toBe('number');
  });

  it('gives the applied amount back to the invoice when the payment is updated, voided or deleted', async () => {
    const invoice = await newInvoice(80);
    const payment = (await pay(80, [[invoice.Id, 80]])).body.Payment;
    const reduced = await pay(50, [[invoice.Id, 50]], { Id: payment.Id, SyncToken: payment.SyncToken });
    expect(reduced.body.Payment).toMatchObject({ SyncToken: '1', TotalAmt: 50 });
    expect((await qbo.get(`invoice/${invoice.Id}`)).body.Invoice.Balance).toBe(30);

    const voided = await qbo.post(
      'payment',
      { Id: payment.Id, SyncToken: '1', sparse: true },
      { operation: 'update', include: 'void' },
    );
    expect(voided.body.Payment).toMatchObject({ TotalAmt: 0, PrivateNote: 'Voided' });
    expect((await qbo.get(`invoice/${invoice.Id}`)).body.Invoice).toMatchObject({
      Balance: 80,
      LinkedTxn: [],
    });

    const again = (await pay(80, [[invoice.Id, 80]])).body.Payment;
    await qbo.post('payment', { Id: again.Id, SyncToken: again.SyncToken }, { operation: 'delete' });
    expect((await qbo.get(`invoice/${invoice.Id}`)).body.Invoice.Balance).toBe(80);
  });

  it('applies a credit memo alongside a payment', async () => {
    const invoice = await newInvoice(100);
    const memo = await qbo.create('CreditMemo', {
      CustomerRef: { value: customerId },
      Line: [{ Amount: 25, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: {} }],
    });
    const answer = await qbo.post('payment', {
      CustomerRef: { value: customerId },
      TotalAmt: 75,
      Line: [
        { Amount: 100, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] },
        { Amount: 25, LinkedTxn: [{ TxnId: memo.Id, TxnType: 'CreditMemo' }] },
      ],
    });
    expect(answer.body.Payment.UnappliedAmt).toBe(0);
    expect((await qbo.get(`creditmemo/${memo.Id}`)).body.CreditMemo.RemainingCredit).toBe(0);
    expect((await qbo.get(`invoice/${invoice.Id}`)).body.Invoice.Balance).toBe(0);
  });

  const balances = async () => {
    const accounts = (await qbo.query('select * from Account maxresults 100')).body.QueryResponse.Account as {
      Name: string;
      CurrentBalance: number;
    }[];
    const of = (name: string) => accounts.find((account) => account.Name === name)?.CurrentBalance ?? NaN;
    return { checking: of('Checking'), undeposited: of('Undeposited Funds') };
  };

  it('deposits payments with a negative fee line; deposited payments cannot change (6540)', async () => {
    const invoice = await newInvoice(200);
    const payment = (await pay(200, [[invoice.Id, 200]])).body.Payment;
    const receipt = await qbo.create('SalesReceipt', {
      Line: [{ Amount: 50, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: {} }],
    });
    const before = await balances();
    const noBank = await qbo.post('deposit', {
      Line: [{ Amount: 200, LinkedTxn: [{ TxnId: payment.Id, TxnType: 'Payment' }] }],
    });
    expect(noBank.body.Fault.Error[0]).toMatchObject({ code: '2020', element: 'DepositToAccountRef' });
    const deposit = await qbo.post('deposit', {
      DepositToAccountRef: { value: checkingId },
      Line: [
        { Amount: 200, LinkedTxn: [{ TxnId: payment.Id, TxnType: 'Payment', TxnLineId: '0' }] },
        { Amount: 50, LinkedTxn: [{ TxnId: receipt.Id, TxnType: 'SalesReceipt' }] },
        {
          Amount: -7.55,
          DetailType: 'DepositLineDetail',
          DepositLineDetail: { AccountRef: { value: feesId } },
        },
      ],
    });
    expect(deposit.status).toBe(200);
    expect(deposit.body.Deposit).toMatchObject({
      TotalAmt: 242.45,
      DepositToAccountRef: { name: 'Checking' },
    });
    const after = await balances();
    expect(after.checking - before.checking).toBeCloseTo(242.45, 2);
    expect(before.undeposited - after.undeposited).toBeCloseTo(250, 2);

    const twice = await qbo.post('deposit', {
      DepositToAccountRef: { value: checkingId },
      Line: [{ Amount: 200, LinkedTxn: [{ TxnId: payment.Id, TxnType: 'Payment' }] }],
    });
    expect(twice.body.Fault.Error[0].code).toBe('6000');
    for (const answer of [
      await qbo.post('payment', {
        Id: payment.Id,
        SyncToken: payment.SyncToken,
        sparse: true,
        PrivateNote: 'x',
      }),
      await qbo.post(
        'payment',
        { Id: payment.Id, SyncToken: payment.SyncToken, sparse: true },
        { operation: 'update', include: 'void' },
      ),
      await qbo.post('payment', { Id: payment.Id, SyncToken: payment.SyncToken }, { operation: 'delete' }),
      await qbo.post('salesreceipt', { Id: receipt.Id, SyncToken: receipt.SyncToken }, { operation: 'void' }),
    ]) {
      expect(answer.body.Fault.Error[0].code).toBe('6540');
    }
    // Deleting the deposit puts them back in Undeposited Funds, and they can change again.
    await qbo.post('deposit', { Id: deposit.body.Deposit.Id, SyncToken: '0' }, { operation: 'delete' });
    const edited = await qbo.post('payment', {
      Id: payment.Id,
      SyncToken: payment.SyncToken,
      sparse: true,
      PrivateNote: 'x',
    });
    expect(edited.body.Payment.PrivateNote).toBe('x');
  });

  it('refuses to deposit a payment that is not in Undeposited Funds or with a different amount', async () => {
    const invoice = await newInvoice(10);
    const direct = (await pay(10, [[invoice.Id, 10]], { DepositToAccountRef: { value: checkingId } })).body
      .Payment;
    const notUndeposited = await qbo.post('deposit', {
      DepositToAccountRef: { value: checkingId },
      Line: [{ Amount: 10, LinkedTxn: [{ TxnId: direct.Id, TxnType: 'Payment' }] }],
    });
    expect(notUndeposited.body.Fault.Error[0].code).toBe('6000');
    const other = await newInvoice(10);
    const payment = (await pay(10, [[other.Id, 10]])).body.Payment;
    const wrongAmount = await qbo.post('deposit', {
      DepositToAccountRef: { value: checkingId },
      Line: [{ Amount: 9, LinkedTxn: [{ TxnId: payment.Id, TxnType: 'Payment' }] }],
    });
    expect(wrongAmount.body.Fault.Error[0].code).toBe('6000');
  });

  it('voiding an invoice turns the payments on it into unapplied credit', async () => {
    const invoice = await newInvoice(60);
    const payment = (await pay(60, [[invoice.Id, 60]])).body.Payment;
    const current = (await qbo.get(`invoice/${invoice.Id}`)).body.Invoice;
    await qbo.post('invoice', { Id: invoice.Id, SyncToken: current.SyncToken }, { operation: 'void' });
    const after = (await qbo.get(`payment/${payment.Id}`)).body.Payment;
    expect(after).toMatchObject({ UnappliedAmt: 60, Line: [], SyncToken: '1' });
  });
});
