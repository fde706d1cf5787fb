// Building adapter instances for connections inside the engine: decrypted credentials, the shared
// throttle (bounded, so a long wait frees the worker instead of holding it), logs and call metrics.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { AdapterRegistry } from '../registry.ts';
import { getConnectionSecrets } from '../../store/connections.ts';
import type { Db } from '../../store/db.ts';
import { AppError, isAppError } from '../errors.ts';
import type { Connection } from '../model/index.ts';
import type { AcquireOptions, AdapterFactory, ChannelAdapter, RateSpec, SecretBox, Throttle } from '../ports.ts';
import type { SyncMetrics } from './metrics.ts';
import { classify, retryAfterOf } from './retry.ts';

/** Waits longer than this give the worker slot back: the job is rescheduled for when the bucket refills. */
export const MAX_INLINE_THROTTLE_WAIT_MS = 2_000;

/**
 * A call that had to wait for its slot goes this much after it. Our bucket mirrors the upstream's, but
 * the upstream counts a call when it arrives: a few ms of lag on the way of an earlier call (a busy
 * event loop, a request ahead on the socket) made a call sent exactly on its slot arrive "early": one
 * rate-bound call in twelve got a 429 in bench:sync (then a penalty and a parked job). The slots stay where
 * the bucket put them, so a stream of rate-bound calls is delayed by the guard once, not per call.
 */
export const THROTTLE_SLOT_GUARD_MS = 50;

function bounded(throttle: Throttle, maxWaitMs: number, guardMs = THROTTLE_SLOT_GUARD_MS): Throttle {
  return {
    async acquire(key: string, spec: RateSpec, options?: AcquireOptions) {
      const cap = Math.min(options?.maxWaitMs ?? maxWaitMs, maxWaitMs);
      const cost = options?.tokens === undefined ? {} : { tokens: options.tokens };
      try {
        // The tokens are there: go now, no guard needed.
        return await throttle.acquire(key, spec, { maxWaitMs: 0, ...cost });
      } catch (err) {
        if (!isAppError(err) || err.kind !== 'throttled') throw err;
      }
      await throttle.acquire(key, spec, { maxWaitMs: cap, ...cost });
      if (guardMs > 0) await sleep(guardMs);
    },
    learn: (key, spec) => throttle.learn(key, spec),
    penalize: (key, ms) => throttle.penalize(key, ms),
    refund: (key, tokens) => throttle.refund(key, tokens),
  };
}

/**
 * The adapter, with short throttle waits of its pulls taken inline: a page refused for the rate (a 429,
 * or our own bucket) with a retry-after within `maxWaitMs` is read again after that wait, up to `tries`
 * times, instead of the job giving its worker back. A parked pull is queued again behind every job that
 * was already waiting: in bench:sync a one-second retry-after parked connections for 35-50 s.
 */
export function withInlineThrottleWaits(adapter: ChannelAdapter, maxWaitMs = MAX_INLINE_THROTTLE_WAIT_MS, tries = 3): ChannelAdapter {
  const pull = adapter.pull;
  if (!pull) return adapter;
  const patient: ChannelAdapter['pull'] = async (entity, request) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await pull.call(adapter, entity, request);
      } catch (err) {
        const wait = retryAfterOf(err);
        if (classify(err) !== 'throttled' || attempt >= tries || wait > maxWaitMs) throw err;
        await sleep(wait);
      }
    }
  };
  return new Proxy(adapter, {
    get(target, prop) {
      if (prop === 'pull') return patient;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export interface LiveAdapter {
  connection: Connection;
  factory: AdapterFactory;
  adapter: ChannelAdapter;
}

export interface AdapterDeps {
  db: Db;
  box: SecretBox;
  registry: AdapterRegistry;
  throttle: Throttle;
  log: Logger;
  metrics: SyncMetrics;
  allowPrivateUpstreams: boolean;
}

/**
 * Adapter instances are kept per connection while its settings and credentials are unchanged, so
 * token caches (e.g. an OAuth access token) survive between jobs.
 */
export class AdapterCache {
  readonly #cache = new Map<string, { version: string; live: LiveAdapter }>();
  constructor(private readonly deps: AdapterDeps) {}

  async get(tenantId: string, connectionId: string): Promise<LiveAdapter> {
    const { connection, credentials } = await getConnectionSecrets(this.deps.db, this.deps.box, tenantId, connectionId);
    const version = connection.updated_at;
    const hit = this.#cache.get(connectionId);
    if (hit && hit.version === version) return { ...hit.live, connection };
    const factory = this.deps.registry.get(connection.channel);
    if (!factory) throw new AppError('validation', `no adapter is installed for channel "${connection.channel}"`, { retriable: false });
    const settings = factory.settingsSchema.parse(connection.settings);
    const creds = factory.credentialsSchema.parse(credentials);
    const log = this.deps.log.child({ tenant_id: tenantId, connection_id: connectionId, channel: connection.channel });
    const { metrics } = this.deps;
    const adapter = factory.create({
      tenantId,
      connectionId,
      settings,
      credentials: creds,
      allowPrivateUpstreams: this.deps.allowPrivateUpstreams,
      throttle: bounded(this.deps.throttle, MAX_INLINE_THROTTLE_WAIT_MS),
      log,
      onUpstreamCall: (call) => {
        const status = call.status === null ? 'none' : String(call.status);
        metrics.upstreamCalls.inc({ channel: connection.channel, operation: call.operation, status });
        if (call.status === 429) metrics.upstream429.inc({ channel: connection.channel, operation: call.operation });
        log.debug({ operation: call.operation, status: call.status, duration_ms: Math.round(call.durationMs), upstream_request_id: call.requestId }, 'upstream call');
      },
    });
    const live = { connection, factory, adapter };
    this.#cache.set(connectionId, { version, live });
    return live;
  }

  forget(connectionId: string): void {
    this.#cache.delete(connectionId);
  }
}
