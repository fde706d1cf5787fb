// The gateway as tests see it: its own database, the real app, two tenants with keys, and a scripted adapter.
import { createApp } from '../../src/api/app.ts';
import { AdapterRegistry } from '../../src/adapters/registry.ts';
import { createLogger } from '../../src/log.ts';
import { Registry } from 'prom-client';
import { SyncEngine, type EngineOptions } from '../../src/core/sync/engine.ts';
import { attachFlows } from '../../src/core/flows/runner.ts';
import { MemoryThrottle } from '../../src/store/memory-throttle.ts';
import type { AdapterFactory, Throttle } from '../../src/core/ports.ts';
import { createApiKey, createTenant } from '../../src/store/tenancy.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { scriptedAdapter } from './test-adapter.ts';
import { testBox } from './seed.ts';

export interface TenantHandle {
  id: string;
  key: string;
}

export interface TestGateway {
  tdb: TestDatabase;
  engine: SyncEngine;
  registry: AdapterRegistry;
  app: ReturnType<typeof createApp>;
  a: TenantHandle;
  b: TenantHandle;
  /** A request as tenant `who` (default a). */
  call(path: string, init?: RequestInit & { as?: TenantHandle | null }): Promise<Response>;
  close(): Promise<void>;
}

export interface GatewayOptions {
  adapters?: AdapterFactory[];
  throttle?: Throttle;
  engine?: Partial<EngineOptions>;
}

export async function startGateway(options: GatewayOptions = {}): Promise<TestGateway> {
  const tdb = await createTestDatabase();
  const registry = new AdapterRegistry([scriptedAdapter, ...(options.adapters ?? [])]);
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const engine = new SyncEngine({
    db: tdb.db,
    pool: tdb.pool,
    box: testBox,
    registry,
    throttle: options.throttle ?? new MemoryThrottle(),
    log,
    metricsRegistry: new Registry(),
    allowPrivateUpstreams: true,
    pollIntervalMs: 100,
    heartbeatMs: 250,
    staleAfterMs: 1_500,
    ...options.engine,
  });
  attachFlows(engine, log);
  const app = createApp({ db: tdb.db, box: testBox, registry, log, allowPrivateUpstreams: true, engine });
  const ta = await createTenant(tdb.db, 'tenant-a');
  const tb = await createTenant(tdb.db, 'tenant-b');
  const a = { id: ta.id, key: (await createApiKey(tdb.db, ta.id)).key };
  const b = { id: tb.id, key: (await createApiKey(tdb.db, tb.id)).key };
  return {
    tdb,
    engine,
    registry,
    app,
    a,
    b,
    call(path, init = {}) {
      const { as, ...rest } = init;
      const who = as === undefined ? a : as;
      const headers = new Headers(rest.headers);
      if (who && !headers.has('authorization') && !headers.has('x-api-key')) headers.set('authorization', `Bearer ${who.key}`);
      if (typeof rest.body === 'string' && !headers.has('content-type')) headers.set('content-type', 'application/json');
      return Promise.resolve(app.request(path, { ...rest, headers }));
    },
    async close() {
      await engine.stop();
      await tdb.drop();
    },
  };
}
