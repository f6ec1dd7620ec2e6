import { z } from 'zod';

/**
 * The vocabulary of a workflow graph: node types, their fields, and which edge kinds each may emit.
 * Everything a validator, the API documentation or (later) the engine needs to know about a node type
 * is in the tables below, so they cannot disagree.
 */
export const EDGE_KINDS = ['next', 'on_payment', 'on_failure', 'true', 'false', 'timeout'] as const;
export type EdgeKind = (typeof EDGE_KINDS)[number];

export const TRIGGER_EVENTS = [
  'invoice_sent',
  'invoice_created',
  'payment_received',
  'invoice_paid',
  'contact_first_invoice_paid',
  'contact_created',
] as const;
export type TriggerEvent = (typeof TRIGGER_EVENTS)[number];

/** Names of the email templates a `send_email` node may use (rendered by src/email/templates). */
export const EMAIL_TEMPLATES = ['payment_link', 'review_request'] as const;
export type EmailTemplateName = (typeof EMAIL_TEMPLATES)[number];

/** Invoice statuses a workflow may set: sending a draft, or recording how it ended. */
export const SETTABLE_STATUSES = ['open', 'paid', 'void', 'uncollectible'] as const;
export type SettableStatus = (typeof SETTABLE_STATUSES)[number];

/** Invoice fields a `condition` may test, and what kind of value each holds. */
export const CONDITION_FIELDS = {
  total: 'amount',
  balance: 'amount',
  amount_paid: 'amount',
  currency: 'text',
  status: 'text',
  form_type: 'text',
  issue_date: 'date',
  due_date: 'date',
} as const;
export type ConditionField = keyof typeof CONDITION_FIELDS;
export const CONDITION_OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'is_set'] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

/** Durations are ISO 8601 days, hours and minutes ("P3D", "PT12H", "P1DT30M"), at most a year. */
export const DURATION = /^P(?!$)(?:(\d{1,3})D)?(?:T(?=\d)(?:(\d{1,4})H)?(?:(\d{1,6})M)?)?$/;
export const durationSchema = z
  .string()
  .regex(DURATION, 'must be an ISO 8601 duration of days, hours and minutes, e.g. "P3D" or "PT12H"')
  // zod runs every check even after the pattern failed, so this one must not assume the pattern held.
  .refine(
    (value) => !DURATION.test(value) || (durationMinutes(value) > 0 && durationMinutes(value) <= 366 * 1440),
    {
      message: 'must be longer than zero and at most 366 days',
    },
  );

export function durationMinutes(value: string): number {
  const match = DURATION.exec(value);
  if (!match) throw new Error(`not a duration: ${value}`);
  const [, days = '0', hours = '0', minutes = '0'] = match;
  return Number(days) * 1440 + Number(hours) * 60 + Number(minutes);
}

export const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

const base = {
  id: z.string().regex(NODE_ID, 'must be 1-64 letters, digits, "_" or "-"'),
  label: z.string().max(200).optional().describe('What a person sees on the canvas'),
};

const trigger = z.object({ ...base, type: z.literal('trigger'), event: z.enum(TRIGGER_EVENTS) }).strict();

const collectPayment = z
  .object({
    ...base,
    type: z.literal('collect_payment'),
    email_customer: z
      .boolean()
      .default(true)
      .describe('Email the payment link to the invoice contact (template payment_link)'),
  })
  .strict();

const syncQuickbooks = z.object({ ...base, type: z.literal('sync_quickbooks') }).strict();

const statusUpdate = z
  .object({
    ...base,
    type: z.literal('status_update'),
    mode: z.enum(['automatic', 'manual']),
    status: z.enum(SETTABLE_STATUSES).optional().describe('automatic: the status to set'),
    allowed_statuses: z
      .array(z.enum(SETTABLE_STATUSES))
      .min(1)
      .optional()
      .describe('manual: the statuses a person may choose'),
    timeout: durationSchema.optional().describe('manual: follow the timeout edge when nobody chose'),
  })
  .strict();

const recipient = z.union([z.literal('contact'), z.email()]);

const sendEmail = z
  .object({
    ...base,
    type: z.literal('send_email'),
    template: z.enum(EMAIL_TEMPLATES),
    recipients: z.array(recipient).min(1).max(20).describe('"contact" (the invoice contact) or addresses'),
  })
  .strict();

const wait = z
  .object({
    ...base,
    type: z.literal('wait'),
    duration: durationSchema.optional(),
    until: z.iso.datetime({ offset: true }).optional().describe('an absolute moment'),
  })
  .strict();

const conditionValue = z.union([
  z.number().int(),
  z.string().max(200),
  z.array(z.string().max(200)).min(1).max(50),
]);

const condition = z
  .object({
    ...base,
    type: z.literal('condition'),
    field: z.enum(Object.keys(CONDITION_FIELDS) as [ConditionField, ...ConditionField[]]),
    operator: z.enum(CONDITION_OPERATORS),
    value: conditionValue.optional(),
  })
  .strict();

const join = z.object({ ...base, type: z.literal('join') }).strict();

const webhook = z
  .object({
    ...base,
    type: z.literal('webhook'),
    url: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .describe('Receives a POST of the signed JSON payload'),
  })
  .strict();

export const NODE_SCHEMAS = {
  trigger,
  collect_payment: collectPayment,
  sync_quickbooks: syncQuickbooks,
  status_update: statusUpdate,
  send_email: sendEmail,
  wait,
  condition,
  join,
  webhook,
} as const;

export type NodeType = keyof typeof NODE_SCHEMAS;
export const NODE_TYPES = Object.keys(NODE_SCHEMAS) as NodeType[];

export const workflowNodeSchema = z.discriminatedUnion('type', [
  trigger,
  collectPayment,
  syncQuickbooks,
  statusUpdate,
  sendEmail,
  wait,
  condition,
  join,
  webhook,
]);
export type WorkflowNode = z.output<typeof workflowNodeSchema>;
export type WorkflowNodeInput = z.input<typeof workflowNodeSchema>;
export type NodeOf<T extends NodeType> = Extract<WorkflowNode, { type: T }>;

/**
 * THE table of which edges leave which node: `next` continues, `on_payment` fires when the invoice is
 * paid through the link, `on_failure` when the step gave up, `true`/`false` are a condition's outcomes
 * and `timeout` is a manual status update nobody answered in time.
 */
export const OUTGOING_EDGE_KINDS: Readonly<Record<NodeType, readonly EdgeKind[]>> = {
  trigger: ['next'],
  collect_payment: ['next', 'on_payment', 'on_failure'],
  sync_quickbooks: ['next', 'on_failure'],
  status_update: ['next', 'on_failure', 'timeout'],
  send_email: ['next', 'on_failure'],
  wait: ['next'],
  condition: ['true', 'false'],
  join: ['next'],
  webhook: ['next', 'on_failure'],
};
