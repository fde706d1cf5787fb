// The Throttle port, twice: MemoryThrottle on a fake clock (exact times) and in real time, and
// RedisThrottle (when REDIS_URL is set) with several clients and a second Node process on one budget.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AppError, isAppError } from '../src/core/errors.ts';
import type { RateSpec, Throttle } from '../src/core/ports.ts';
import { MemoryThrottle } from '../src/store/memory-throttle.ts';
import { createThrottle } from '../src/store/throttle.ts';
import { RedisThrottle } from '../src/store/redis-throttle.ts';
import { FakeClock, settle } from './support/fake-clock.ts';

const REDIS_URL = process.env.REDIS_URL;

/** Resolves to the clock time at which the acquisition was granted. */
function timed(clock: { now(): number }, p: Promise<void>): Promise<number> {
  return p.then(() => clock.now());
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    if (isAppError(err)) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

/**
 * The worst overshoot of the token-bucket bound over every window between two grants: how many more
 * grants fell in [t_i, t_j] than burst + rate × (t_j − t_i) allows. At most 0 for exact grant times (the
 * fake clock); observed wake-ups run late by timer and network jitter, which shortens a window by that
 * much, so real-time tests allow rate × jitter (0.5 token = 25 ms at 20/s).
 */
function worstOvershoot(times: number[], spec: RateSpec): number {
  const s = [...times].sort((a, b) => a - b);
  let worst = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < s.length; i++) {
    for (let j = i; j < s.length; j++) {
      worst = Math.max(worst, j - i + 1 - (spec.burst + (spec.ratePerSec * (s[j] - s[i])) / 1000));
    }
  }
  return worst;
}

/** How the grants kept to the rate: overall (after the burst, from `start`), and between the first and last waiter. */
function rateReport(times: number[], spec: RateSpec, start: number): string {
  const s = [...times].sort((a, b) => a - b);
  const overall = (s.length - spec.burst) / ((s[s.length - 1] - start) / 1000);
  const waited = s.slice(spec.burst);
  const steady = (waited.length - 1) / ((waited[waited.length - 1] - waited[0]) / 1000);
  return `${overall.toFixed(3)}/s overall, ${steady.toFixed(3)}/s steady, worst window overshoot ${worstOvershoot(times, spec).toFixed(3)} tokens`;
}

describe('MemoryThrottle on a fake clock', () => {
  test('the burst is granted at once, then one token every 1/rate seconds', async () => {
    const clock = new FakeClock();
    const t = new MemoryThrottle({ clock });
    const spec = { ratePerSec: 2, burst: 3 };
    const times = Array.from({ length: 7 }, () => timed(clock, t.acquire('k', spec)));
    await clock.advance(5_000);
    expect(await Promise.all(times)).toEqual([0, 0, 0, 500, 1000, 1500, 2000]);
    expect(worstOvershoot(await Promise.all(times), spec)).toBeLessThanOrEqual(1e-9);
  });

  test('refill is continuous and stops at the burst', async () => {
    const clock = new FakeClock();
    const t = new MemoryThrottle({ clock });
    const spec = { ratePerSec: 4, burst: 2 };
    await Promise.all([t.acquire('k', spec), t.acquire('k', spec)]);
    await clock.advance(125); // half a token
    const half = timed(clock, t.acquire('k', spec));
    await clock.advance(1_000);
    expect(await half).toBe(250);
    await clock.advance(60_000); // idle a minute: two tokens saved, not 240
    const start = clock.now();
    const times = Array.from({ length: 4 }, () => timed(clock, t.acquire('k', spec)));
    await clock.advance(1_000);
    expect((await Promise.all(times)).map((x) => x - start)).toEqual([0, 0, 250, 500]);
  });

  test('concurrent waiters are served first come, first served, and a late caller queues behind them', async () => {
    const clock = new FakeClock();
    const t = new MemoryThrottle({ clock });
    const spec = { ratePerSec: 2, burst: 1 };
    const order: string[] = [];
    const waiters = ['a', 'b', 'c', 'd'].map((name) =>
      timed(
        clock,
        t.acquire('k', spec).then(() => void order.push(name)),
      ),
    );
    await clock.advance(700);
    const late = timed(clock, t.acquire('k', spec).then(() => void order.push('late')));
    await clock.advance(5_000);
    expect(await Promise.all(waiters)).toEqual([0, 500, 1000, 1500]);
    expect(await late).toBe(2000);
    expect(order).toEqual(['a', 'b', 'c', 'd', 'late']);
  });

  test('a wait longer than maxWaitMs throws throttled with the time to the slot and reserves nothing', async () => {
    const clock = new FakeClock();
    const t = new MemoryThrottle({ clock });
    const spec = { ratePerSec: 2, burst: 1 };
    await t.acquire('k', spec, { maxWaitMs: 0 });
    const queued = [timed(clock, t.acquire('k', spec)), timed(clock, t.acquire('k', spec))]; // slots at 500, 1000
    await settle();
    const err = await rejection(t.acquire('k', spec, { maxWaitMs: 1_000 }));
    expect(err.kind).toBe('throttled');
    expect(err.retriable).toBe(true);
    expect(err.retryAfterMs).toBe(1500);
    await clock.advance(100);
    const err2 = await rejection(t.acquire('k', spec, { maxWaitMs: 0 }));
    expect(err2.retryAfterMs).toBe(1400);
    // The refusals took no slot: the next caller gets 1500, right after the queue.
    const next = timed(clock, t.acquire('k', spec, { maxWaitMs: 1_400 }));
    await clock.advance(5_000);
    expect(await Promise.all(queued)).toEqual([500, 1000]);
    expect(await next).toBe(1500);
  });

  test('learn adopts a new rate and burst; a lower rate re-slots callers already waiting', async () => {
    const clock = new FakeClock();
    const t = new MemoryThrottle({ clock });
    const spec = { ratePerSec: 10, burst: 5 };
    await Promise.all(Array.from({ length: 5 }, () => t.acquire('k', spec)));
    const waiting = [timed(clock, t.acquire('k', spec)), timed(clock, t.acquire('k', spec))]; // 100, 200 at the old rate
    await clock.advance(50);
    await t.learn('k', { ratePerSec: 2 }); // e.g. x-amzn-RateLimit-Limit: 2.0
    await clock.advance(10_000);
    const [first, second] = await Promise.all(waiting);
    // Re-reserved when they woke (100, 200) at the new rate: no two grants closer than 500 ms.
    expect(first).toBe(100 + 450);
    expect(second).toBe(first + 500);
    // After a long idle the bucket holds the old burst; learning a smaller burst caps the tokens.
    await t.learn('k', { burst: 2 });
    const start = clock.now();
    const times = Array.from({ length: 3 }, () => timed(clock, t.acquire('k', spec)));
    await clock.advance(5_000);
    expect((await Promise.all(times)).map((x) => x - start)).toEqual([0, 0, 500]);
  });

  test('learn before first use seeds the bucket; an unchanged or higher rate voids nothing', async () => {
    const clock = new FakeClock();
    const t = new MemoryThrottle({ clock });
    await t.learn('k', { ratePerSec: 5, burst: 1 });
    const spec = { ratePerSec: 100, burst: 50 }; // the documented default loses to what the upstream said
    const times = Array.from({ length: 3 }, () => timed(clock, t.acquire('k', spec)));
    await settle();
    await t.learn('k', { ratePerSec: 5 });
    await clock.advance(1_000);
    expect(await Promise.all(times)).toEqual([0, 200, 400]);
  });

  test('penalize empties the bucket and holds it, voiding slots reserved before the 429', async () => {
    const clock = new FakeClock();
    const t = new MemoryThrottle({ clock });
    const spec = { ratePerSec: 10, burst: 3 };
    await t.acquire('k', spec);
    const before = [timed(clock, t.acquire('k', spec)), timed(clock, t.acquire('k', spec)), timed(clock, t.acquire('k', spec))];
    await clock.advance(10); // two granted at once; the third holds a slot at 100
    await t.penalize('k', 1_000);
    const err = await rejection(t.acquire('k', spec, { maxWaitMs: 500 }));
    expect(err.kind).toBe('throttled');
    expect(err.retryAfterMs).toBe(1000);
    await clock.advance(5_000);
    const granted = await Promise.all(before);
    expect(granted.slice(0, 2)).toEqual([0, 0]);
    expect(granted[2]).toBe(1010); // the retry the upstream invited, at the end of the hold
    // A shorter second penalty never shortens a longer hold.
    const now = clock.now();
    await t.penalize('k', 2_000);
    await t.penalize('k', 100);
    const after = timed(clock, t.acquire('k', spec));
    await clock.advance(5_000);
    expect((await after) - now).toBe(2000);
  });

  test('keys have their own budgets', async () => {
    const clock = new FakeClock();
    const t = new MemoryThrottle({ clock });
    const spec = { ratePerSec: 1, burst: 1 };
    const a = Array.from({ length: 3 }, () => timed(clock, t.acquire('a', spec)));
    const b = Array.from({ length: 3 }, () => timed(clock, t.acquire('b', spec)));
    await clock.advance(5_000);
    expect(await Promise.all(a)).toEqual([0, 1000, 2000]);
    expect(await Promise.all(b)).toEqual([0, 1000, 2000]);
  });

  test('idle buckets are evicted, busy ones are kept, and the key count stays bounded', async () => {
    const clock = new FakeClock();
    const t = new MemoryThrottle({ clock, idleTtlMs: 1_000, maxKeys: 50 });
    const spec = { ratePerSec: 1, burst: 2 };
    for (let i = 0; i < 200; i++) await t.acquire(`k${i}`, spec);
    // Nothing settled yet (each bucket refills for a second): none may be dropped, bound or not.
    expect(t.size).toBe(200);
    await t.learn('busy', { ratePerSec: 0.001, burst: 1 });
    await t.acquire('busy', spec); // refills for 1000 s
    await clock.advance(3_000);
    await t.acquire('fresh', spec);
    expect(t.size).toBe(2); // 'busy' and 'fresh'
    // The busy bucket kept its state: empty for another ~997 s.
    const err = await rejection(t.acquire('busy', spec, { maxWaitMs: 0 }));
    expect(err.retryAfterMs).toBeGreaterThan(990_000);
  });

  test('bad specs are refused', async () => {
    const t = new MemoryThrottle({ clock: new FakeClock() });
    await expect(t.acquire('k', { ratePerSec: 0, burst: 1 })).rejects.toMatchObject({ kind: 'validation' });
    await expect(t.acquire('k', { ratePerSec: 1, burst: 0.5 })).rejects.toMatchObject({ kind: 'validation' });
    await expect(t.learn('k', { ratePerSec: Number.NaN })).rejects.toMatchObject({ kind: 'validation' });
    await expect(t.penalize('k', -1)).rejects.toMatchObject({ kind: 'validation' });
    await expect(t.acquire('k', { ratePerSec: 1, burst: 10 }, { tokens: 0 })).rejects.toMatchObject({ kind: 'validation' });
    await expect(t.acquire('k', { ratePerSec: 1, burst: 10 }, { tokens: 11 })).rejects.toMatchObject({ kind: 'validation' });
    await expect(t.refund('k', -1)).rejects.toMatchObject({ kind: 'validation' });
    await expect(t.learn('k', { available: -1 })).rejects.toMatchObject({ kind: 'validation' });
  });

  test('a call costs the tokens it asks for, waits for all of them, and gets the unused part back', async () => {
    const clock = new FakeClock();
    const t = new MemoryThrottle({ clock });
    const spec = { ratePerSec: 100, burst: 2000 }; // a cost-based budget: points per second, a bucket of points
    await t.acquire('k', spec, { tokens: 1000 });
    await t.acquire('k', spec, { tokens: 900 }); // 100 left
    const err = await rejection(t.acquire('k', spec, { tokens: 500, maxWaitMs: 1_000 }));
    expect(err.retryAfterMs).toBe(4_000); // 400 more points at 100/s
    const late = timed(clock, t.acquire('k', spec, { tokens: 500 }));
    await clock.advance(5_000);
    expect(await late).toBe(4_000);
    // the 500-point call really cost 20: 480 come back, so a 400-point call goes at once
    await t.refund('k', 480);
    expect(await timed(clock, t.acquire('k', spec, { tokens: 400, maxWaitMs: 0 }))).toBe(5_000);
    // refunds never fill past the burst
    await clock.advance(60_000);
    await t.refund('k', 5_000);
    await t.acquire('k', spec, { tokens: 2000, maxWaitMs: 0 });
    await expect(t.acquire('k', spec, { tokens: 1, maxWaitMs: 0 })).rejects.toMatchObject({ kind: 'throttled' });
    // a refund for a key never used does nothing (and creates nothing)
    await t.refund('unused', 10);
    expect(t.size).toBe(1);
  });

  test('learn with what the upstream says is left caps the bucket, and seeds an unused one', async () => {
    const clock = new FakeClock();
    const t = new MemoryThrottle({ clock });
    const spec = { ratePerSec: 100, burst: 2000 };
    await t.acquire('k', spec, { tokens: 100 }); // we think 1900 are left
    await t.learn('k', { available: 300 }); // the upstream counted other calls too
    const err = await rejection(t.acquire('k', spec, { tokens: 500, maxWaitMs: 0 }));
    expect(err.retryAfterMs).toBe(2_000);
    await t.learn('k', { available: 1_500 }); // more than we hold: ours stays
    await expect(t.acquire('k', spec, { tokens: 500, maxWaitMs: 0 })).rejects.toMatchObject({ kind: 'throttled' });
    await t.learn('fresh', { ratePerSec: 100, burst: 2000, available: 50 });
    const r = await rejection(t.acquire('fresh', spec, { tokens: 100, maxWaitMs: 0 }));
    expect(r.retryAfterMs).toBe(500);
  });
});

/** N concurrent acquisitions of one key; grant times in ms since the start. */
async function burstOf(t: Throttle, key: string, spec: RateSpec, n: number): Promise<{ start: number; times: number[] }> {
  const start = performance.now();
  const times = await Promise.all(Array.from({ length: n }, async () => (await t.acquire(key, spec), performance.now() - start)));
  return { start: 0, times };
}

const accuracy: string[] = [];
afterAll(() => {
  if (accuracy.length) console.info(`throttle rate accuracy:\n  ${accuracy.join('\n  ')}`);
});

describe('MemoryThrottle in real time', () => {
  test('40 acquisitions at 20/s with a burst of 5 take 1.75 s, never faster', async () => {
    const t = new MemoryThrottle();
    const spec = { ratePerSec: 20, burst: 5 };
    const { start, times } = await burstOf(t, 'k', spec, 40);
    const elapsed = Math.max(...times);
    accuracy.push(`memory 20/s burst 5 ×40: ${elapsed.toFixed(1)} ms for 1750 expected, ${rateReport(times, spec, start)}`);
    expect(elapsed).toBeGreaterThanOrEqual(1750 - 2);
    expect(elapsed).toBeLessThan(1750 + 500);
    expect(worstOvershoot(times, spec)).toBeLessThanOrEqual(0.5);
  });

  test('two keys do not slow each other', async () => {
    const t = new MemoryThrottle();
    const spec = { ratePerSec: 10, burst: 1 };
    const started = performance.now();
    await Promise.all([burstOf(t, 'a', spec, 5), burstOf(t, 'b', spec, 5)]);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(400 - 2);
    expect(elapsed).toBeLessThan(700); // 900 if the keys shared a budget
  });
});

describe('createThrottle', () => {
  test('gives the memory throttle without a Redis URL', async () => {
    const t = createThrottle({});
    expect(t).toBeInstanceOf(MemoryThrottle);
    await t.close();
  });
});

describe.skipIf(!REDIS_URL)('RedisThrottle (needs REDIS_URL)', () => {
  const prefix = `switchyard:test:throttle:${process.pid}:${randomUUID().slice(0, 8)}:`;
  let admin: Redis;
  const opened: RedisThrottle[] = [];
  const open = (): RedisThrottle => {
    const t = new RedisThrottle({ url: REDIS_URL, keyPrefix: prefix, idleTtlMs: 5_000 });
    opened.push(t);
    return t;
  };

  beforeAll(async () => {
    admin = new Redis(REDIS_URL ?? '');
    await admin.ping();
  });
  afterAll(async () => {
    for (const t of opened) await t.close();
    if (!admin) return;
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length) await admin.del(...keys);
    await admin.quit();
  });

  test('createThrottle gives the Redis throttle when a Redis URL is set', async () => {
    const t = createThrottle({ redisUrl: REDIS_URL, keyPrefix: prefix });
    expect(t).toBeInstanceOf(RedisThrottle);
    await t.acquire('factory', { ratePerSec: 1, burst: 1 });
    expect(await admin.exists(`${prefix}factory`)).toBe(1);
    await t.close();
  });

  test('40 acquisitions at 20/s with a burst of 5 take 1.75 s, never faster', async () => {
    const t = open();
    const spec = { ratePerSec: 20, burst: 5 };
    const { start, times } = await burstOf(t, 'rate', spec, 40);
    const elapsed = Math.max(...times);
    accuracy.push(`redis 20/s burst 5 ×40: ${elapsed.toFixed(1)} ms for 1750 expected, ${rateReport(times, spec, start)}`);
    expect(elapsed).toBeGreaterThanOrEqual(1750 - 2);
    expect(elapsed).toBeLessThan(1750 + 500);
    expect(worstOvershoot(times, spec)).toBeLessThanOrEqual(0.5);
  });

  test('the bucket is a hash with a TTL', async () => {
    const t = open();
    await t.acquire('hash', { ratePerSec: 2, burst: 3 });
    const h = await admin.hgetall(`${prefix}hash`);
    expect(Number(h.rate)).toBe(2);
    expect(Number(h.burst)).toBe(3);
    expect(Number(h.tokens)).toBeCloseTo(2, 1);
    expect(Number(h.blocked_until)).toBe(0);
    expect(Number(h.ts)).toBeGreaterThan(0);
    const ttl = await admin.pttl(`${prefix}hash`);
    expect(ttl).toBeGreaterThan(5_000); // half a second to settle, then the idle time
    expect(ttl).toBeLessThanOrEqual(5_500);
  });

  test('concurrent callers are served in order, one slot each', async () => {
    const t = open();
    const spec = { ratePerSec: 10, burst: 1 };
    const order: number[] = [];
    const started = performance.now();
    const times = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        await t.acquire('fifo', spec);
        order.push(i);
        return performance.now() - started;
      }),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThan(60); // 100 ± timer jitter
    expect(times[5]).toBeGreaterThanOrEqual(500 - 2);
  });

  test('a wait longer than maxWaitMs throws throttled and reserves nothing', async () => {
    const t = open();
    const spec = { ratePerSec: 2, burst: 1 };
    await t.acquire('maxwait', spec);
    const err = await rejection(t.acquire('maxwait', spec, { maxWaitMs: 100 }));
    expect(err.kind).toBe('throttled');
    expect(err.retryAfterMs).toBeGreaterThan(400);
    expect(err.retryAfterMs).toBeLessThanOrEqual(500);
    const started = performance.now();
    await t.acquire('maxwait', spec, { maxWaitMs: 600 }); // the refusal took no slot: ~500 ms, not ~1000
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThan(300);
    expect(waited).toBeLessThan(800);
  });

  test('a call costs its tokens; refunds and what the upstream says is left move the shared bucket', async () => {
    const t = open();
    const other = open(); // a second client: one budget
    const spec = { ratePerSec: 100, burst: 2000 };
    await t.acquire('cost', spec, { tokens: 1900 });
    const err = await rejection(other.acquire('cost', spec, { tokens: 500, maxWaitMs: 100 }));
    expect(err.retryAfterMs).toBeGreaterThan(3_800);
    expect(err.retryAfterMs).toBeLessThanOrEqual(4_000);
    await other.refund('cost', 1_000); // the 1900-point call cost 900
    await t.acquire('cost', spec, { tokens: 1000, maxWaitMs: 0 });
    await t.learn('cost', { available: 20 });
    expect(Number((await admin.hgetall(`${prefix}cost`)).tokens)).toBeLessThanOrEqual(20);
    const later = await rejection(other.acquire('cost', spec, { tokens: 500, maxWaitMs: 0 }));
    expect(later.retryAfterMs).toBeGreaterThan(4_700);
    await other.refund('never-used', 10);
    expect(await admin.exists(`${prefix}never-used`)).toBe(0);
    await expect(t.acquire('cost', spec, { tokens: 2001 })).rejects.toMatchObject({ kind: 'validation' });
  });

  test('learn adopts a lower rate, re-slotting a caller already waiting', async () => {
    const t = open();
    // Slow enough that a loaded machine cannot let the first slot (at ~250 ms) pass before learn() lands.
    const spec = { ratePerSec: 4, burst: 1 };
    await t.acquire('learn', spec);
    const started = performance.now();
    const waiting = t.acquire('learn', spec).then(() => performance.now() - started); // slot at ~250
    await new Promise((r) => setTimeout(r, 20));
    await t.learn('learn', { ratePerSec: 1 });
    const h = await admin.hgetall(`${prefix}learn`);
    expect(Number(h.rate)).toBe(1);
    const first = await waiting;
    expect(first).toBeGreaterThanOrEqual(1000 - 2);
    const second = await t.acquire('learn', spec).then(() => performance.now() - started);
    expect(second - first).toBeGreaterThanOrEqual(1000 - 5);
  });

  test('penalize holds the key, pushing back a slot reserved before the 429', async () => {
    const t = open();
    const spec = { ratePerSec: 5, burst: 1 };
    await t.acquire('penalty', spec);
    const started = performance.now();
    const waiting = t.acquire('penalty', spec).then(() => performance.now() - started); // slot at ~200
    await t.penalize('penalty', 400);
    const err = await rejection(t.acquire('penalty', spec, { maxWaitMs: 0 }));
    expect(err.retryAfterMs).toBeGreaterThan(300);
    expect(Number(await admin.hget(`${prefix}penalty`, 'blocked_until'))).toBeGreaterThan(0);
    expect(await waiting).toBeGreaterThanOrEqual(400 - 5);
  });

  test('two keys do not slow each other', async () => {
    const t = open();
    const spec = { ratePerSec: 10, burst: 1 };
    const started = performance.now();
    await Promise.all([burstOf(t, 'ka', spec, 5), burstOf(t, 'kb', spec, 5)]);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(400 - 2);
    expect(elapsed).toBeLessThan(700);
  });

  test('two clients and a second Node process share one budget', async () => {
    const spec = { ratePerSec: 25, burst: 5 };
    const perWorker = 12;
    const a = open();
    const b = open();
    await Promise.all([a.learn('warm', { burst: 1 }), b.learn('warm', { burst: 1 })]); // connected, scripts loaded

    const worker = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./support/throttle-worker.ts', import.meta.url))], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: {
        ...process.env,
        THROTTLE_PREFIX: prefix,
        THROTTLE_KEY: 'shared',
        THROTTLE_RATE: String(spec.ratePerSec),
        THROTTLE_BURST: String(spec.burst),
        THROTTLE_COUNT: String(perWorker),
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
    const lines = createInterface({ input: worker.stdout });
    const iter = lines[Symbol.asyncIterator]();
    expect((await iter.next()).value).toBe('ready');

    const now = (): number => performance.timeOrigin + performance.now();
    const start = now();
    worker.stdin.write('go\n');
    const local = (t: RedisThrottle): Promise<number[]> =>
      Promise.all(Array.from({ length: perWorker }, async () => (await t.acquire('shared', spec), now())));
    const [fromA, fromB, fromWorker] = await Promise.all([
      local(a),
      local(b),
      iter.next().then((r) => JSON.parse(String(r.value)) as number[]),
    ]);
    lines.close();
    expect(await exited).toBe(0);

    const all = [...fromA, ...fromB, ...fromWorker].map((x) => x - start);
    expect(all).toHaveLength(3 * perWorker);
    // Every process got some, and together they never outran the one budget.
    for (const part of [fromA, fromB, fromWorker]) expect(part.length).toBe(perWorker);
    const expected = ((all.length - spec.burst) / spec.ratePerSec) * 1000;
    const elapsed = Math.max(...all);
    accuracy.push(
      `redis shared by 2 clients + 1 process, 25/s burst 5 ×36: ${elapsed.toFixed(1)} ms for ${expected} expected, ${rateReport(all, spec, 0)}`,
    );
    expect(elapsed).toBeGreaterThanOrEqual(expected - 5);
    expect(elapsed).toBeLessThan(expected + 800);
    expect(worstOvershoot(all, spec)).toBeLessThanOrEqual(1);
  });
});
