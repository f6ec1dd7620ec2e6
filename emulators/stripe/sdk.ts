import Stripe from 'stripe';

/**
 * The official SDK pointed at an emulator, as tests and tools use it. Retries are off unless asked
 * for: a test that provokes a failure wants to see it, not the SDK's retry of it.
 */
export function stripeClientFor(
  emulatorUrl: string,
  key: string,
  options: { maxNetworkRetries?: number } = {},
): Stripe {
  const { hostname, port } = new URL(emulatorUrl);
  return new Stripe(key, {
    host: hostname,
    port: Number(port),
    protocol: 'http',
    maxNetworkRetries: options.maxNetworkRetries ?? 0,
  });
}
