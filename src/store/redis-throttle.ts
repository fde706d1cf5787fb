// Token-bucket call budgets shared through Redis, so every process and machine draws on one budget per
// key. Each operation is one Lua script run atomically on Redis' own clock (TIME): it refills the bucket
// and reserves a slot (tokens may go negative), answering how long the caller sleeps before its slot.
// The arithmetic mirrors MemoryThrottle (src/store/memory-throttle.ts); see there for the semantics.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { acquireWithReservation, assertRateSpec, assertTokens, systemClock, type Clock, type ReserveOutcome } from './throttle-budget.ts';
import { AppError } from '../core/errors.ts';
import type { AcquireOptions, ClosableThrottle, RateObservation, RateSpec } from '../core/ports.ts';

// Shared by the scripts: server time in ms, and the bucket hash (fields absent until known).
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local h = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'rate', 'burst', 'blocked_until', 'epoch')
local tokens = tonumber(h[1])
local ts = tonumber(h[2]) or now
local rate = tonumber(h[3])
local burst = tonumber(h[4])
local blocked = tonumber(h[5]) or 0
local epoch = tonumber(h[6]) or 0
local idle = tonumber(ARGV[#ARGV])
local function fmt(x) return string.format('%.6f', x) end
local function save()
  local fields = {'ts', fmt(ts), 'blocked_until', fmt(blocked), 'epoch', epoch}
  if tokens then table.insert(fields, 'tokens'); table.insert(fields, fmt(tokens)) end
  if rate then table.insert(fields, 'rate'); table.insert(fields, fmt(rate)) end
  if burst then table.insert(fields, 'burst'); table.insert(fields, fmt(burst)) end
  redis.call('HSET', KEYS[1], unpack(fields))
  -- Keep the key until it is settled (full, unblocked, nothing reserved), then for the idle time.
  local settled = math.max(now, ts, blocked)
  if tokens and rate and burst then settled = math.max(settled, ts + (burst - tokens) * 1000 / rate) end
  redis.call('PEXPIRE', KEYS[1], math.ceil(settled - now + idle))
end
`;

// ARGV: rate, burst, maxWaitMs (-1: no limit), held epoch ('' if none), tokens the call costs, idle ms.
// Returns {1, waitMs, epoch} for a reserved slot, {0, retryAfterMs} when it would come too late.
const ACQUIRE = `${PRELUDE}
if ARGV[4] ~= '' and tonumber(ARGV[4]) == epoch then return {1, 0, epoch} end
rate = rate or tonumber(ARGV[1])
burst = burst or tonumber(ARGV[2])
if not tokens then tokens = burst; ts = now end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
  ts = now
end
local after = tokens - tonumber(ARGV[5])
local wait = ts - now
if after < 0 then wait = wait + (-after) * 1000 / rate end
local maxWait = tonumber(ARGV[3])
if maxWait >= 0 and wait > maxWait then return {0, math.ceil(wait)} end
tokens = after
save()
return {1, math.ceil(wait), epoch}
`;

// ARGV: rate ('' if unchanged), burst ('' if unchanged), available ('' if not reported), idle ms.
const LEARN = `${PRELUDE}
local oldRate = rate
if tokens and rate and burst and now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
  ts = now
end
rate = tonumber(ARGV[1]) or rate
burst = tonumber(ARGV[2]) or burst
if tokens then
  if oldRate and rate < oldRate and tokens < 0 then tokens = 0; epoch = epoch + 1 end
  if burst then tokens = math.min(tokens, burst) end
end
local available = tonumber(ARGV[3])
if available then
  if tokens then tokens = math.min(tokens, available)
  else
    tokens = available
    if burst then tokens = math.min(tokens, burst) end
    ts = now
  end
end
save()
return 1
`;

// ARGV: tokens to give back, idle ms. A key never used is left alone.
const REFUND = `${PRELUDE}
if not (tokens and rate and burst) then return 0 end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
  ts = now
end
tokens = math.min(burst, tokens + tonumber(ARGV[1]))
save()
return 1
`;

// ARGV: retryAfterMs, idle ms.
const PENALIZE = `${PRELUDE}
blocked = math.max(blocked, now + tonumber(ARGV[1]))
ts = blocked
tokens = 1
epoch = epoch + 1
save()
return 1
`;

interface Script {
  lua: string;
  sha: string;
}
function script(lua: string): Script {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}
const SCRIPTS = { acquire: script(ACQUIRE), learn: script(LEARN), penalize: script(PENALIZE), refund: script(REFUND) };

export interface RedisThrottleOptions {
  /** A redis:// URL; the throttle opens and closes its own client. */
  url?: string;
  /** An existing client to use instead (not closed by `close()`). */
  client?: Redis;
  /** Prepended to every key. Default `switchyard:throttle:`. */
  keyPrefix?: string;
  /** How long a settled bucket is kept (e.g. to remember a learned rate). Default 10 minutes. */
  idleTtlMs?: number;
  /** Used only for sleeping until a slot; bucket time is Redis' own. */
  clock?: Clock;
}

/**
 * Token buckets in Redis, one hash per key (tokens, ts, rate, burst, blocked_until, epoch) with a TTL,
 * so that several processes and machines share one budget per key.
 * @example
 * const throttle = new RedisThrottle({ url: 'redis://127.0.0.1:6379' });
 * await throttle.acquire('magento:c1:orders', { ratePerSec: 4, burst: 8 }, { maxWaitMs: 10_000 });
 * await throttle.close();
 */
export class RedisThrottle implements ClosableThrottle {
  readonly keyPrefix: string;
  private readonly redis: Redis;
  private readonly ownsClient: boolean;
  private readonly idleTtlMs: number;
  private readonly clock: Clock;

  constructor(options: RedisThrottleOptions) {
    if (options.client) {
      this.redis = options.client;
      this.ownsClient = false;
    } else if (options.url) {
      this.redis = new Redis(options.url, { maxRetriesPerRequest: 3 });
      this.ownsClient = true;
    } else {
      throw new AppError('validation', 'RedisThrottle needs a url or a client');
    }
    this.keyPrefix = options.keyPrefix ?? 'switchyard:throttle:';
    this.idleTtlMs = options.idleTtlMs ?? 10 * 60_000;
    this.clock = options.clock ?? systemClock;
  }

  async acquire(key: string, spec: RateSpec, options: AcquireOptions = {}): Promise<void> {
    assertRateSpec(spec, `throttle ${key}`);
    const tokens = options.tokens ?? 1;
    // Checked against the spec's burst (a learned burst lives in Redis; a call above it waits longer, never forever).
    assertTokens(tokens, spec.burst, `throttle ${key}`);
    await acquireWithReservation(
      key,
      async (maxWaitMs, heldEpoch): Promise<ReserveOutcome> => {
        const reply = await this.run(SCRIPTS.acquire, key, [
          spec.ratePerSec,
          spec.burst,
          Number.isFinite(maxWaitMs) ? maxWaitMs : -1,
          heldEpoch ?? '',
          tokens,
          this.idleTtlMs,
        ]);
        if (!Array.isArray(reply)) throw new AppError('internal', `throttle script answered ${String(reply)}`);
        const [status, ms, epoch] = reply.map(Number);
        if (status === 1) return { granted: true, waitMs: ms ?? 0, epoch: epoch ?? 0 };
        return { granted: false, retryAfterMs: ms ?? 0 };
      },
      this.clock,
      options.maxWaitMs,
    );
  }

  async learn(key: string, spec: RateObservation): Promise<void> {
    assertRateSpec(spec, `throttle ${key}`);
    if (spec.available !== undefined && !(Number.isFinite(spec.available) && spec.available >= 0)) throw new AppError('validation', `throttle ${key}: available must be >= 0`);
    if (spec.ratePerSec === undefined && spec.burst === undefined && spec.available === undefined) return;
    await this.run(SCRIPTS.learn, key, [spec.ratePerSec ?? '', spec.burst ?? '', spec.available ?? '', this.idleTtlMs]);
  }

  async refund(key: string, tokens: number): Promise<void> {
    if (!(Number.isFinite(tokens) && tokens >= 0)) throw new AppError('validation', `throttle ${key}: refunded tokens must be >= 0`);
    if (tokens === 0) return;
    await this.run(SCRIPTS.refund, key, [tokens, this.idleTtlMs]);
  }

  async penalize(key: string, retryAfterMs: number): Promise<void> {
    if (!(Number.isFinite(retryAfterMs) && retryAfterMs >= 0)) throw new AppError('validation', `throttle ${key}: retryAfterMs must be >= 0`);
    await this.run(SCRIPTS.penalize, key, [retryAfterMs, this.idleTtlMs]);
  }

  async close(): Promise<void> {
    if (this.ownsClient && this.redis.status !== 'end') await this.redis.quit();
  }

  /** EVALSHA, loading the script with EVAL the first time a server has not seen it. */
  private async run(s: Script, key: string, args: (string | number)[]): Promise<unknown> {
    const argv = args.map(String);
    const redisKey = this.keyPrefix + key;
    try {
      return await this.redis.evalsha(s.sha, 1, redisKey, ...argv);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return await this.redis.eval(s.lua, 1, redisKey, ...argv);
    }
  }
}
