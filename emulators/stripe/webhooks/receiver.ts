import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  readonly headers: IncomingHttpHeaders;
  /** The raw body, byte for byte: signatures are computed over it. */
  readonly body: string;
  readonly status: number;
}

/**
 * A minimal HTTP endpoint that records what the emulator delivers, for tests of webhook delivery
 * (the emulator's own and the integration's). `respond` picks the status of each request, in
 * arrival order from 0, so a test can make an endpoint fail a few times before it succeeds.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  respond: (index: number, body: string) => number = () => 200;
  private server: Server | undefined;
  private count = 0;

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const status = this.respond(this.count, body);
        this.count += 1;
        this.received.push({ headers: request.headers, body, status });
        response.writeHead(status, { 'content-type': 'application/json' }).end('{"received":true}');
      });
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;
  }

  /** Events of the deliveries answered 2xx, parsed, in arrival order. */
  events(): { id: string; type: string; account?: string; data: { object: Record<string, unknown> } }[] {
    return this.received
      .filter((r) => r.status < 300)
      .map((r) => JSON.parse(r.body) as ReturnType<WebhookReceiver['events']>[number]);
  }

  reset(): void {
    this.received.length = 0;
    this.count = 0;
    this.respond = () => 200;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  }
}
