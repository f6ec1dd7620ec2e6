import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { WebhookDelivery } from './delivery.js';

/**
 * `/_emulator/webhooks/…`: the delivery switches for tests and demos run out of process (in-process
 * tests use `emulator.webhooks` directly). JSON bodies, like the rest of the admin API.
 */
export function registerWebhookAdmin(admin: FastifyInstance, webhooks: WebhookDelivery): void {
  admin.post('/_emulator/webhooks/mode', async (request, reply) => {
    const body = z
      .object({
        duplicates: z.boolean().optional(),
        out_of_order: z.union([z.literal(false), z.enum(['reverse', 'shuffle'])]).optional(),
        window_size: z.number().int().min(2).max(1000).optional(),
        window_ms: z.number().int().min(1).max(60_000).optional(),
      })
      .strict()
      .safeParse(request.body ?? {});
    if (!body.success) return reply.status(400).send({ error: body.error.issues });
    const { duplicates, out_of_order, window_size, window_ms } = body.data;
    const mode = webhooks.setMode({
      ...(duplicates === undefined ? {} : { duplicates }),
      ...(out_of_order === undefined ? {} : { outOfOrder: out_of_order }),
      ...(window_size === undefined ? {} : { windowSize: window_size }),
      ...(window_ms === undefined ? {} : { windowMs: window_ms }),
    });
    return {
      duplicates: mode.duplicates,
      out_of_order: mode.outOfOrder,
      window_size: mode.windowSize,
      window_ms: mode.windowMs,
    };
  });

  admin.post('/_emulator/webhooks/retry', async (request, reply) => {
    const body = z
      .object({
        base_delay_ms: z.number().int().min(0).max(86_400_000).optional(),
        max_attempts: z.number().int().min(1).max(100).optional(),
        timeout_ms: z.number().int().min(1).max(120_000).optional(),
      })
      .strict()
      .safeParse(request.body ?? {});
    if (!body.success) return reply.status(400).send({ error: body.error.issues });
    const { base_delay_ms, max_attempts, timeout_ms } = body.data;
    const retry = webhooks.setRetry({
      ...(base_delay_ms === undefined ? {} : { baseDelayMs: base_delay_ms }),
      ...(max_attempts === undefined ? {} : { maxAttempts: max_attempts }),
      ...(timeout_ms === undefined ? {} : { timeoutMs: timeout_ms }),
    });
    return { base_delay_ms: retry.baseDelayMs, max_attempts: retry.maxAttempts, timeout_ms: retry.timeoutMs };
  });

  admin.post('/_emulator/webhooks/pause', async () => {
    webhooks.pause();
    return { paused: true };
  });

  admin.post('/_emulator/webhooks/resume', async () => {
    webhooks.resume();
    return { paused: false };
  });

  /** Answers once every delivery has settled, or 504 after `timeout_ms` (default 10 s). */
  admin.post('/_emulator/webhooks/idle', async (request, reply) => {
    const body = z
      .object({ timeout_ms: z.number().int().min(1).max(120_000).default(10_000) })
      .strict()
      .safeParse(request.body ?? {});
    if (!body.success) return reply.status(400).send({ error: body.error.issues });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), body.data.timeout_ms);
    });
    const result = await Promise.race([webhooks.idle().then(() => 'idle' as const), timedOut]);
    clearTimeout(timer);
    return result === 'idle' ? { idle: true } : reply.status(504).send({ idle: false });
  });

  admin.get('/_emulator/webhooks/deliveries', async (request) => {
    const query = request.query as Record<string, unknown>;
    const data = webhooks
      .deliveries()
      .filter(
        (attempt) =>
          (typeof query.event_id !== 'string' || attempt.event_id === query.event_id) &&
          (typeof query.endpoint_id !== 'string' || attempt.endpoint_id === query.endpoint_id),
      );
    return { data };
  });

  admin.delete('/_emulator/webhooks/deliveries', async () => {
    webhooks.clearDeliveries();
    return { ok: true };
  });
}
