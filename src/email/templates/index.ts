import type { z } from 'zod';
import type { EmailTemplateName } from '../../domain/workflows/nodes.js';
import type { paymentLinkData } from './payment-link.js';
import { renderPaymentLink } from './payment-link.js';
import type { reviewRequestData } from './review-request.js';
import { renderReviewRequest } from './review-request.js';
import type { RenderedEmail, TemplateContext } from './types.js';

export type { RenderedEmail, TemplateContext } from './types.js';

/** The data each template takes, by the name a workflow's send_email node uses. */
export interface TemplateData {
  payment_link: z.input<typeof paymentLinkData>;
  review_request: z.input<typeof reviewRequestData>;
}

// Keyed by the domain's list of template names, so a workflow cannot name a template that is not here.
const renderers: {
  [T in EmailTemplateName]: (data: TemplateData[T], context: TemplateContext) => RenderedEmail;
} = {
  payment_link: renderPaymentLink,
  review_request: renderReviewRequest,
};

/** Subject, text and HTML of a template; throws a ZodError when `data` does not fit the template. */
export function renderEmail<T extends EmailTemplateName>(
  template: T,
  data: TemplateData[T],
  context: TemplateContext,
): RenderedEmail {
  const render = renderers[template] as (data: TemplateData[T], context: TemplateContext) => RenderedEmail;
  return render(data, context);
}
