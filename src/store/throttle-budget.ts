// The call-budget arithmetic both throttles share (the in-memory one in memory-throttle.ts, the Redis
// one in redis-throttle.ts): the clock they read, what one reservation answers, the check of a rate,
// and the acquire loop over a store's reservation. It takes nothing from the core but the error type.
import { AppError } from '../core/errors.ts';

/** Time as the throttle sees it; injectable so tests can run on a fake clock. */
export interface Clock {
  /** Milliseconds on a monotonic scale (only differences matter). */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Wall-clock time: `performance.now()` and `setTimeout`, never waking before the requested time. */
export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.ceil(ms)))),
};

/** What one reservation attempt answered. */
export type ReserveOutcome =
  /** A slot is held: go after `waitMs` (0: now). `epoch` identifies the bucket generation it was made in. */
  | { granted: true; waitMs: number; epoch: number }
  /** The slot would come later than the caller may wait; nothing was reserved. */
  | { granted: false; retryAfterMs: number };

/**
 * One reservation attempt against a store. With `heldEpoch` set, the caller already holds a slot made in
 * that generation: the store answers `waitMs: 0` when it still stands, else makes a fresh reservation.
 */
export type Reserve = (maxWaitMs: number, heldEpoch: number | null) => Promise<ReserveOutcome>;

/** Checks a rate before it reaches a bucket. */
export function assertRateSpec(spec: { ratePerSec?: number | undefined; burst?: number | undefined }, where: string): void {
  if (spec.ratePerSec !== undefined && !(Number.isFinite(spec.ratePerSec) && spec.ratePerSec > 0)) {
    throw new AppError('validation', `${where}: ratePerSec must be a positive number, got ${spec.ratePerSec}`);
  }
  if (spec.burst !== undefined && !(Number.isFinite(spec.burst) && spec.burst >= 1)) {
    throw new AppError('validation', `${where}: burst must be at least 1, got ${spec.burst}`);
  }
}

/** Checks what a call costs: a positive number of tokens, not more than the bucket can ever hold. */
export function assertTokens(tokens: number, burst: number | undefined, where: string): void {
  if (!(Number.isFinite(tokens) && tokens > 0)) throw new AppError('validation', `${where}: tokens must be a positive number, got ${tokens}`);
  if (burst !== undefined && tokens > burst) throw new AppError('validation', `${where}: a call of ${tokens} tokens can never fit a bucket of ${burst}`);
}

/**
 * The acquire loop both stores share: reserve, sleep until the slot, confirm the slot was not voided
 * meanwhile (a penalty or a lower learned rate), and reserve again with what is left of `maxWaitMs` if it was.
 */
export async function acquireWithReservation(key: string, reserve: Reserve, clock: Clock, maxWaitMs = Number.POSITIVE_INFINITY): Promise<void> {
  if (Number.isNaN(maxWaitMs) || maxWaitMs < 0) throw new AppError('validation', `throttle ${key}: maxWaitMs must be >= 0`);
  const started = clock.now();
  let held: number | null = null;
  for (;;) {
    const left = Math.max(0, maxWaitMs - (clock.now() - started));
    const outcome = await reserve(left, held);
    if (!outcome.granted) {
      throw new AppError('throttled', `call budget ${key} is spent: next slot in ${outcome.retryAfterMs} ms`, { retryAfterMs: outcome.retryAfterMs });
    }
    if (outcome.waitMs <= 0) return;
    held = outcome.epoch;
    await clock.sleep(outcome.waitMs);
  }
}
