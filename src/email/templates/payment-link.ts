import { z } from 'zod';
import { isCurrencyCode } from '../../domain/currency.js';
import { formatMoney } from '../../domain/money.js';
import { button, html, layout, safeUrl } from './html.js';
import type { RenderedEmail, TemplateContext } from './types.js';

export const paymentLinkData = z
  .object({
    customer_name: z.string().max(200).nullable().default(null),
    invoice_number: z.union([z.string().min(1).max(64), z.number().int().min(1)]),
    amount_due: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).describe('minor units'),
    currency: z.string().refine(isCurrencyCode, 'must be an ISO 4217 currency code'),
    due_date: z.iso.date().nullable().default(null),
    payment_url: z.url({ protocol: /^https?$/ }),
  })
  .strict();

/** The email a collect_payment step sends: the amount due and the invoice's payment link. */
export function renderPaymentLink(
  input: z.input<typeof paymentLinkData>,
  context: TemplateContext,
): RenderedEmail {
  const data = paymentLinkData.parse(input);
  const amount = formatMoney({ amount: data.amount_due, currency: data.currency }, 'en-US');
  const greeting = data.customer_name ? `Hello ${data.customer_name},` : 'Hello,';
  const due = data.due_date ? ` due on ${data.due_date}` : '';
  const subject = `Invoice ${data.invoice_number} from ${context.tenantName}: ${amount}${due}`;
  const url = safeUrl(data.payment_url);
  const text = [
    greeting,
    '',
    `${context.tenantName} sent you invoice ${data.invoice_number} for ${amount}${due}.`,
    '',
    `View and pay it here: ${url}`,
    '',
    `Thank you,`,
    context.tenantName,
    '',
  ].join('\n');
  const body = html`<p>${greeting}</p>
    <p>
      ${context.tenantName} sent you invoice <strong>${String(data.invoice_number)}</strong> for
      <strong>${amount}</strong>${due}.
    </p>
    ${button('View and pay the invoice', url)}
    <p style="font-size:13px;color:#57606a">Or copy this link into your browser: ${url}</p>
    <p>Thank you,<br />${context.tenantName}</p>`;
  return { subject, text, html: layout({ tenantName: context.tenantName, title: subject, body }) };
}
