import { z } from 'zod';
import { button, html, layout, safeUrl } from './html.js';
import type { RenderedEmail, TemplateContext } from './types.js';

export const reviewRequestData = z
  .object({
    customer_name: z.string().max(200).nullable().default(null),
    review_url: z.url({ protocol: /^https?$/ }),
  })
  .strict();

/** Sent once a contact's first invoice is paid in full: a thank-you and a link to leave a review. */
export function renderReviewRequest(
  input: z.input<typeof reviewRequestData>,
  context: TemplateContext,
): RenderedEmail {
  const data = reviewRequestData.parse(input);
  const greeting = data.customer_name ? `Hello ${data.customer_name},` : 'Hello,';
  const subject = `How did ${context.tenantName} do?`;
  const url = safeUrl(data.review_url);
  const text = [
    greeting,
    '',
    `Thank you for your payment and for choosing ${context.tenantName}.`,
    'Would you take a minute to tell others about your experience?',
    '',
    `Leave a review: ${url}`,
    '',
    context.tenantName,
    '',
  ].join('\n');
  const body = html`<p>${greeting}</p>
    <p>Thank you for your payment and for choosing ${context.tenantName}.</p>
    <p>Would you take a minute to tell others about your experience?</p>
    ${button('Leave a review', url)}
    <p>${context.tenantName}</p>`;
  return { subject, text, html: layout({ tenantName: context.tenantName, title: subject, body }) };
}
