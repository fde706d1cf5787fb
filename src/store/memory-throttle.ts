// Token-bucket call budgets in process memory: the single-node Throttle. Callers reserve a slot up front
// (tokens may go negative), so concurrent callers of one key are served in arrival order at the bucket's
// rate. A reservation made before a 429 or a lower learned rate is voided and its holder reserves again.
// The reservation arithmetic here is mirrored by the Lua script of src/store/redis-throttle.ts; the
// acquire loop and the clock both use are in src/store/throttle-budget.ts.
import { acquireWithReservation, assertRateSpec, assertTokens, systemClock, type Clock, type ReserveOutcome } from './throttle-budget.ts';
import { AppError } from '../core/errors.ts';
import type { AcquireOptions, ClosableThrottle, RateObservation, RateSpec } from '../core/ports.ts';

export { acquireWithReservation, assertRateSpec, assertTokens, systemClock, type Clock, type Reserve, type ReserveOutcome } from './throttle-budget.ts';
export type { ClosableThrottle } from '../core/ports.ts';

/** A bucket's state. Rate and burst may be known (learned) before the first acquire seeds the rest. */
interface Bucket {
  rate: number | undefined;
  burst: number | undefined;
  /** Tokens as of `ts`; negative while future slots are reserved. Undefined until first use (then full). */
  tokens: number | undefined;
  /** When `tokens` was measured. Lies in the future while the bucket is blocked by a penalty. */
  ts: number;
  blockedUntil: number;
  /** Bumped whenever outstanding reservations are voided. */
  epoch: number;
  /** When the bucket may be forgotten: settled (full, unblocked, no reservations) plus the idle time. */
  expiresAt: number;
}

export interface MemoryThrottleOptions {
  clock?: Clock;
  /** How long a settled bucket (full, unblocked) is kept, e.g. to remember a learned rate. Default 10 minutes. */
  idleTtlMs?: number;
  /** Soft bound on the number of buckets; settled ones are evicted, least recently used first. Default 10 000. */
  maxKeys?: number;
}

/**
 * Per-key token buckets in process memory, for the single-node default.
 * @example
 * const throttle = new MemoryThrottle();
 * await throttle.acquire('shop:A1:orders.list', { ratePerSec: 0.0167, burst: 20 }, { maxWaitMs: 5_000 });
 * await throttle.learn('shop:A1:orders.list', { ratePerSec: 0.5 }); // from the upstream's rate-limit header
 * await throttle.penalize('shop:A1:orders.list', 60_000); // the upstream answered 429
 */
export class MemoryThrottle implements ClosableThrottle {
  private readonly clock: Clock;
  private readonly idleTtlMs: number;
  private readonly maxKeys: number;
  /** Insertion order is recency order: every touch re-inserts. */
  private readonly buckets = new Map<string, Bucket>();
  private nextSweepAt: number;

  constructor(options: MemoryThrottleOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.idleTtlMs = options.idleTtlMs ?? 10 * 60_000;
    this.maxKeys = options.maxKeys ?? 10_000;
    this.nextSweepAt = this.clock.now() + Math.min(this.idleTtlMs, 60_000);
  }

  async acquire(key: string, spec: RateSpec, options: AcquireOptions = {}): Promise<void> {
    assertRateSpec(spec, `throttle ${key}`);
    const tokens = options.tokens ?? 1;
    assertTokens(tokens, this.buckets.get(key)?.burst ?? spec.burst, `throttle ${key}`);
    await acquireWithReservation(key, async (maxWaitMs, heldEpoch) => this.reserve(key, spec, maxWaitMs, heldEpoch, tokens), this.clock, options.maxWaitMs);
  }

  async refund(key: string, tokens: number): Promise<void> {
    if (!(Number.isFinite(tokens) && tokens >= 0)) throw new AppError('validation', `throttle ${key}: refunded tokens must be >= 0`);
    const b = this.buckets.get(key);
    if (!b || b.tokens === undefined || b.rate === undefined || b.burst === undefined) return;
    const now = this.clock.now();
    refill(b, now, b.rate, b.burst);
    b.tokens = Math.min(b.burst, b.tokens + tokens);
    this.settle(b, now);
  }

  async learn(key: string, spec: RateObservation): Promise<void> {
    assertRateSpec(spec, `throttle ${key}`);
    if (spec.available !== undefined && !(Number.isFinite(spec.available) && spec.available >= 0)) throw new AppError('validation', `throttle ${key}: available must be >= 0`);
    const now = this.clock.now();
    const b = this.touch(key, now);
    const oldRate = b.rate;
    if (b.tokens !== undefined && oldRate !== undefined) refill(b, now, oldRate, b.burst ?? b.tokens);
    if (spec.ratePerSec !== undefined) b.rate = spec.ratePerSec;
    if (spec.burst !== undefined) b.burst = spec.burst;
    if (b.tokens !== undefined) {
      // Slots reserved at a faster rate would overshoot the slower one: void them, their holders re-reserve.
      if (oldRate !== undefined && b.rate !== undefined && b.rate < oldRate && b.tokens < 0) {
        b.tokens = 0;
        b.epoch += 1;
      }
      if (b.burst !== undefined) b.tokens = Math.min(b.tokens, b.burst);
    }
    // What the upstream says is left caps ours (it counts calls we do not see: other processes' retries,
    // its own refunds rounding); an unused key starts from it.
    if (spec.available !== undefined) {
      if (b.tokens === undefined) {
        b.tokens = b.burst !== undefined ? Math.min(spec.available, b.burst) : spec.available;
        b.ts = now;
      } else b.tokens = Math.min(b.tokens, spec.available);
    }
    this.settle(b, now);
  }

  async penalize(key: string, retryAfterMs: number): Promise<void> {
    if (!(Number.isFinite(retryAfterMs) && retryAfterMs >= 0)) throw new AppError('validation', `throttle ${key}: retryAfterMs must be >= 0`);
    const now = this.clock.now();
    const b = this.touch(key, now);
    // Empty, hold until the retry time (never shortening a longer hold), then allow the one retry the
    // upstream invited; reservations made before the 429 are voided.
    b.blockedUntil = Math.max(b.blockedUntil, now + retryAfterMs);
    b.ts = b.blockedUntil;
    b.tokens = 1;
    b.epoch += 1;
    this.settle(b, now);
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }

  /** How many buckets are held (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private reserve(key: string, spec: RateSpec, maxWaitMs: number, heldEpoch: number | null, cost: number): ReserveOutcome {
    const now = this.clock.now();
    const existing = this.buckets.get(key);
    if (heldEpoch !== null && (existing?.epoch ?? 0) === heldEpoch) return { granted: true, waitMs: 0, epoch: heldEpoch };
    const b = this.touch(key, now);
    const rate = b.rate ?? spec.ratePerSec;
    const burst = b.burst ?? spec.burst;
    let tokens = b.tokens ?? burst;
    let ts = b.tokens === undefined ? now : b.ts;
    if (now > ts) {
      tokens = Math.min(burst, tokens + ((now - ts) * rate) / 1000);
      ts = now;
    }
    const after = tokens - cost;
    const waitMs = ts - now + (after < 0 ? (-after * 1000) / rate : 0);
    if (waitMs > maxWaitMs) {
      if (b.tokens === undefined) this.buckets.delete(key);
      return { granted: false, retryAfterMs: Math.ceil(waitMs) };
    }
    b.rate = rate;
    b.burst = burst;
    b.tokens = after;
    b.ts = ts;
    this.settle(b, now);
    return { granted: true, waitMs, epoch: b.epoch };
  }

  /** The key's bucket, created empty-handed if absent, marked most recently used; sweeps now and then. */
  private touch(key: string, now: number): Bucket {
    let b = this.buckets.get(key);
    if (b) this.buckets.delete(key);
    else b = { rate: undefined, burst: undefined, tokens: undefined, ts: now, blockedUntil: 0, epoch: 0, expiresAt: now + this.idleTtlMs };
    this.buckets.set(key, b);
    if (now >= this.nextSweepAt || this.buckets.size > this.maxKeys) this.sweep(now, key);
    return b;
  }

  private settle(b: Bucket, now: number): void {
    let settledAt = Math.max(now, b.ts, b.blockedUntil);
    if (b.tokens !== undefined && b.rate !== undefined && b.burst !== undefined) {
      settledAt = Math.max(settledAt, b.ts + ((b.burst - b.tokens) * 1000) / b.rate);
    }
    b.expiresAt = settledAt + this.idleTtlMs;
  }

  private sweep(now: number, keep: string): void {
    this.nextSweepAt = now + Math.min(this.idleTtlMs, 60_000);
    for (const [key, b] of this.buckets) if (key !== keep && b.expiresAt <= now) this.buckets.delete(key);
    if (this.buckets.size <= this.maxKeys) return;
    // Still too many: drop settled buckets (nothing reserved or blocked), least recently used first.
    for (const [key, b] of this.buckets) {
      if (this.buckets.size <= this.maxKeys) break;
      if (key !== keep && b.expiresAt - this.idleTtlMs <= now) this.buckets.delete(key);
    }
  }
}

/** Brings `tokens` up to `now` at `rate`, capped at `burst`. */
function refill(b: Bucket, now: number, rate: number, burst: number): void {
  if (b.tokens === undefined || now <= b.ts) return;
  b.tokens = Math.min(burst, b.tokens + ((now - b.ts) * rate) / 1000);
  b.ts = now;
}
