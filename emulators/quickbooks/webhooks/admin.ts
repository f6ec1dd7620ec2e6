import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { QboWebhookDelivery } from './delivery.js';
import type { WebhookSwitches } from './types.js';

const settingsBody = z
  .object({
    /** The endpoint URL; null turns webhooks off. */
    url: z.union([z.url({ protocol: /^https?$/ }), z.null()]).optional(),
    format: z.enum(['cloudevents', 'legacy']).optional(),
    duplicate: z.boolean().optional(),
    shuffle: z.union([z.literal(false), z.enum(['reverse', 'shuffle'])]).optional(),
    paused: z.boolean().optional(),
    drop_next: z.number().int().min(0).max(100_000).optional(),
  })
  .strict();

/**
 * `/_emulator/webhooks…`: the app's webhook settings as Intuit's developer portal holds them (the
 * endpoint URL, the payload format) and the switches tests use, for callers out of process.
 * JSON in and out, no authentication, like the rest of `/_emulator`.
 */
export function registerWebhookAdmin(app: FastifyInstance, delivery: QboWebhookDelivery): void {
  const render = (switches: WebhookSwitches) => ({
    url: delivery.getEndpoint() ?? null,
    format: switches.format,
    duplicate: switches.duplicate,
    shuffle: switches.shuffle,
    paused: switches.paused,
    drop_next: switches.dropNext,
  });

  app.get('/_emulator/webhooks', async () => render(delivery.getSwitches()));

  app.post('/_emulator/webhooks', async (request, reply) => {
    const body = settingsBody.safeParse(request.body ?? {});
    if (!body.success) return reply.status(400).send({ error: body.error.issues });
    const { url, drop_next, ...rest } = body.data;
    if (url !== undefined) delivery.setEndpoint(url ?? undefined);
    const switches = delivery.setSwitches({
      ...(rest.format === undefined ? {} : { format: rest.format }),
      ...(rest.duplicate === undefined ? {} : { duplicate: rest.duplicate }),
      ...(rest.shuffle === undefined ? {} : { shuffle: rest.shuffle }),
      ...(rest.paused === undefined ? {} : { paused: rest.paused }),
      ...(drop_next === undefined ? {} : { dropNext: drop_next }),
    });
    return render(switches);
  });

  /** Every attempt (newest last) and every change dropped on purpose. */
  app.get('/_emulator/webhooks/deliveries', async () => ({
    data: delivery.deliveries(),
    dropped: delivery.dropped(),
  }));

  app.delete('/_emulator/webhooks/deliveries', async () => {
    delivery.clearLog();
    return { ok: true };
  });

  /** Answers once every delivery has settled, or 504 after `timeout_ms` (default 10 s). */
  app.post('/_emulator/webhooks/idle', async (request, reply) => {
    const body = z
      .object({ timeout_ms: z.number().int().min(1).max(120_000).default(10_000) })
      .strict()
      .safeParse(request.body ?? {});
    if (!body.success) return reply.status(400).send({ error: body.error.issues });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), body.data.timeout_ms);
    });
    const result = await Promise.race([delivery.idle().then(() => 'idle' as const), timedOut]);
    clearTimeout(timer);
    return result === 'idle' ? { idle: true } : reply.status(504).send({ idle: false });
  });
}
