import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { createTenant } from '../src/access/repository.js';
import { buildApp } from '../src/http/app.js';
import {
  unconfiguredStripeIntegration,
  type StripeIntegration,
} from '../src/integrations/stripe/settings.js';
import { signStripePayload, verifyStripeSignature } from '../src/integrations/stripe/webhook-signature.js';
import { createLogger } from '../src/logger.js';
import { SecretBox } from '../src/security/secret-box.js';
import type { Db } from '../src/store/db.js';
import { credentialContext, insertConnection } from '../src/store/repositories/integration-connections.js';
import { type Figure, percentile, perSecond, runConcurrently, timed } from './measure.js';

const SECRET = 'whsec_benchmark_platform_secret';
const ROUNDS = 3;

function median<T extends { ms: number }>(runs: readonly T[]): T {
  const sorted = [...runs].sort((a, b) => a.ms - b.ms);
  return sorted[Math.floor(sorted.length / 2)] as T;
}

/**
 * Stripe webhook ingest over real loopback HTTP: our endpoint (verify the raw bytes, resolve the
 * tenant, store once in the inbox, enqueue the processing job, all in one transaction) against a bare
 * endpoint on the same HTTP stack that only verifies the signature. Every event is sent twice, so
 * half the requests exercise the duplicate path. Jobs are not run: this measures ingest only.
 */
export async function benchWebhooks(
  label: string,
  db: Db,
  options: { events: number; concurrency: number },
): Promise<Figure[]> {
  const stripe: StripeIntegration = {
    settings: { ...unconfiguredStripeIntegration().settings, webhookSecrets: [SECRET] },
    secrets: new SecretBox([randomBytes(32)]),
    now: Date.now,
  };
  const tenant = await createTenant(db, 'Webhook bench');
  const account = `acct_bench${randomBytes(4).toString('hex')}`;
  await insertConnection(db, {
    tenantId: tenant.id,
    provider: 'stripe',
    method: 'oauth',
    externalAccountId: account,
    connectedBy: 'bench',
    sealCredentials: (row) =>
      stripe.secrets.encrypt('{"kind":"oauth"}', credentialContext(row, 'credentials')),
  });

  const app = await buildApp({
    db,
    logger: createLogger('silent'),
    cookieSecure: false,
    sessionTtlHours: 1,
    stripe,
  });
  const bare = Fastify({ logger: false });
  bare.removeAllContentTypeParsers();
  bare.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  bare.post('/webhooks/stripe', async (request, reply) => {
    const header = request.headers['stripe-signature'];
    const verified = verifyStripeSignature({
      rawBody: request.body as Buffer,
      header: Array.isArray(header) ? header.join(',') : header,
      secrets: [SECRET],
      nowMs: Date.now(),
    });
    return verified.ok ? { received: true } : reply.status(400).send({ error: verified.reason });
  });
  const ours = await app.listen({ host: '127.0.0.1', port: 0 });
  const baseline = await bare.listen({ host: '127.0.0.1', port: 0 });

  const eventsOfRound = (round: number) =>
    Array.from({ length: options.events }, (_, i) =>
      JSON.stringify({
        id: `evt_bench_${label}_${round}_${i}_${randomBytes(4).toString('hex')}`,
        object: 'event',
        type: 'invoice.paid',
        account,
        api_version: '2026-10-28.endive',
        created: Math.floor(Date.now() / 1000),
        data: {
          object: { id: `in_bench_${i % 50}`, object: 'invoice', amount_paid: 1000 + i, currency: 'usd' },
        },
      }),
    );
  const send = async (base: string, body: string) => {
    const response = await fetch(`${base}/webhooks/stripe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'stripe-signature': signStripePayload(body, [SECRET], Math.floor(Date.now() / 1000)),
      },
      body,
    });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
  };
  try {
    const run = async (base: string, bodies: readonly string[], twice = true) => {
      const deliveries = twice ? [...bodies, ...bodies] : bodies;
      const { result, ms } = await timed(() =>
        runConcurrently(deliveries, options.concurrency, (body) => send(base, body)),
      );
      return { latencies: result, ms, count: deliveries.length };
    };
    // Alternating rounds, median of each: a busy moment on the machine then hits both endpoints
    // alike instead of deciding the comparison.
    // A third run per round sends only new events, each once: no delivery is a duplicate, so every
    // one is written to the database (the duplicates above are answered from the writer's memory).
    const bareRuns = [];
    const ourRuns = [];
    const newOnlyRuns = [];
    for (let round = 0; round < ROUNDS; round++) {
      const bodies = eventsOfRound(round);
      bareRuns.push(await run(baseline, bodies));
      ourRuns.push(await run(ours, bodies));
      newOnlyRuns.push(
        await run(ours, eventsOfRound(ROUNDS + round).concat(eventsOfRound(2 * ROUNDS + round)), false),
      );
    }
    const [row] = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM webhook_inbox WHERE account = $1',
      [account],
    );
    const expected = options.events * ROUNDS * 3;
    if (row?.n !== expected) throw new Error(`expected ${expected} inbox rows, found ${row?.n}`);
    const bareRun = median(bareRuns);
    const ourRun = median(ourRuns);
    const newOnlyRun = median(newOnlyRuns);
    const deliveryCount = bareRun.count;
    const describe = (run: { latencies: number[]; ms: number }) =>
      `${perSecond(deliveryCount, run.ms)}, p99 ${percentile(run.latencies, 99).toFixed(1)} ms`;
    const ratio = bareRun.ms / ourRun.ms;
    const newOnlyRatio = bareRun.ms / newOnlyRun.ms;
    return [
      {
        name: `Stripe webhook ingest, bare verify-only endpoint (${label})`,
        value: describe(bareRun),
        detail: `median of ${ROUNDS} alternating rounds of ${deliveryCount} signed deliveries (${options.events} events, each twice), ${options.concurrency} concurrent`,
      },
      {
        name: `Stripe webhook ingest, ledgerbridge endpoint (${label})`,
        value: describe(ourRun),
        detail: `same deliveries: verified, stored once, deduplicated, job enqueued; ${(ratio * 100).toFixed(0)}% of the bare endpoint's throughput`,
      },
      {
        name: `Stripe webhook ingest, ledgerbridge endpoint, new events only (${label})`,
        value: describe(newOnlyRun),
        detail: `${deliveryCount} deliveries of ${deliveryCount} different events (no duplicate: each one written); ${(newOnlyRatio * 100).toFixed(0)}% of the bare endpoint's throughput`,
      },
    ];
  } finally {
    await app.close();
    await bare.close();
  }
}
