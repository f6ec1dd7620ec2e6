import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { PersonResult } from './actions.js';
import {
  createCustomer,
  createInvoice,
  deactivateCustomer,
  deleteInvoice,
  editInvoice,
  recordPayment,
  voidInvoice,
} from './actions.js';
import type { QuickBooksClient } from './client.js';
import { customerInput, invoiceEdit, invoiceInput, paymentInput } from './schemas.js';

type Params = { realmId: string; invoiceId?: string; customerId?: string };

/**
 * `/_emulator/companies/:realmId/person/…`: the actions a person takes in QuickBooks' screens, as
 * JSON. Each answers QuickBooks' own objects, or its Fault with its HTTP status.
 */
export function registerPersonAdmin(
  scope: FastifyInstance,
  client: QuickBooksClient,
  knownRealm: (realmId: string) => boolean,
): void {
  const base = '/_emulator/companies/:realmId/person';

  const route = <S extends z.ZodType>(
    path: string,
    schema: S | undefined,
    act: (realmId: string, params: Params, input: z.infer<S>) => Promise<PersonResult>,
  ) =>
    scope.post<{ Params: Params }>(`${base}${path}`, async (request, reply) => {
      const { realmId } = request.params;
      if (!knownRealm(realmId)) return reply.status(404).send({ error: `There is no company ${realmId}` });
      let input: z.infer<S> = undefined as z.infer<S>;
      if (schema) {
        const parsed = schema.safeParse(request.body ?? {});
        if (!parsed.success) return reply.status(400).send({ error: parsed.error.issues });
        input = parsed.data;
      }
      const result = await act(realmId, request.params, input);
      return reply.status(result.status).send(result.body);
    });

  const invoice = (params: Params) => params.invoiceId ?? '';
  route('/invoices', invoiceInput, (realm, _p, input) => createInvoice(client, realm, input));
  route('/invoices/:invoiceId/payments', paymentInput, (realm, p, input) =>
    recordPayment(client, realm, invoice(p), input),
  );
  route('/invoices/:invoiceId/edit', invoiceEdit, (realm, p, input) =>
    editInvoice(client, realm, invoice(p), input),
  );
  route('/invoices/:invoiceId/void', undefined, (realm, p) => voidInvoice(client, realm, invoice(p)));
  route('/invoices/:invoiceId/delete', undefined, (realm, p) => deleteInvoice(client, realm, invoice(p)));
  route('/customers', customerInput, (realm, _p, input) => createCustomer(client, realm, input));
  route('/customers/:customerId/delete', undefined, (realm, p) =>
    deactivateCustomer(client, realm, p.customerId ?? ''),
  );
}
