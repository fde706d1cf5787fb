// A second process for the shared-budget test: connects its own RedisThrottle, says "ready", waits for a
// line on stdin, makes COUNT concurrent acquisitions of one key and prints the grant times as JSON.
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { RedisThrottle } from '../../src/store/redis-throttle.ts';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

const client = new Redis(env('REDIS_URL'));
const throttle = new RedisThrottle({ client, keyPrefix: env('THROTTLE_PREFIX') });
const key = env('THROTTLE_KEY');
const spec = { ratePerSec: Number(env('THROTTLE_RATE')), burst: Number(env('THROTTLE_BURST')) };
const count = Number(env('THROTTLE_COUNT'));

await client.ping(); // connected before the start signal, so startup does not skew the timing
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
lines.close();
const times = await Promise.all(
  Array.from({ length: count }, async () => {
    await throttle.acquire(key, spec);
    return performance.timeOrigin + performance.now();
  }),
);
process.stdout.write(`${JSON.stringify(times)}\n`);
await client.quit();
