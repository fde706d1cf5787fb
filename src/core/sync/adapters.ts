// Building adapter instances for connections inside the engine: decrypted credentials, the shared
// throttle (bounded, so a long wait frees the worker instead of holding it), logs and call metrics.
import type { Logger } from 'pino';
import type { AdapterRegistry } from '../../adapters/registry.ts';
import { getConnectionSecrets } from '../../store/connections.ts';
import type { Db } from '../../store/db.ts';
import { AppError } from '../errors.ts';
import type { Connection } from '../model/index.ts';
import type { AdapterFactory, ChannelAdapter, RateSpec, SecretBox, Throttle } from '../ports.ts';
import type { SyncMetrics } from './metrics.ts';

/** Waits longer than this give the worker slot back: the job is rescheduled for when the bucket refills. */
export const MAX_INLINE_THROTTLE_WAIT_MS = 2_000;

function bounded(throttle: Throttle, maxWaitMs: number): Throttle {
  return {
    acquire: (key: string, spec: RateSpec, options?: { maxWaitMs?: number }) =>
      throttle.acquire(key, spec, { maxWaitMs: Math.min(options?.maxWaitMs ?? maxWaitMs, maxWaitMs) }),
    learn: (key, spec) => throttle.learn(key, spec),
    penalize: (key, ms) => throttle.penalize(key, ms),
  };
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
