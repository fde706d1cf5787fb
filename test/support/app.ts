// The gateway as tests see it: its own database, the real app, two tenants with keys, and a scripted adapter.
import { createApp } from '../../src/api/app.ts';
import { AdapterRegistry } from '../../src/adapters/registry.ts';
import { createLogger } from '../../src/log.ts';
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
  app: ReturnType<typeof createApp>;
  a: TenantHandle;
  b: TenantHandle;
  /** A request as tenant `who` (default a). */
  call(path: string, init?: RequestInit & { as?: TenantHandle | null }): Promise<Response>;
  close(): Promise<void>;
}

export async function startGateway(): Promise<TestGateway> {
  const tdb = await createTestDatabase();
  const registry = new AdapterRegistry([scriptedAdapter]);
  const app = createApp({ db: tdb.db, box: testBox, registry, log: createLogger('silent'), allowPrivateUpstreams: true });
  const ta = await createTenant(tdb.db, 'tenant-a');
  const tb = await createTenant(tdb.db, 'tenant-b');
  const a = { id: ta.id, key: (await createApiKey(tdb.db, ta.id)).key };
  const b = { id: tb.id, key: (await createApiKey(tdb.db, tb.id)).key };
  return {
    tdb,
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
    close: () => tdb.drop(),
  };
}
