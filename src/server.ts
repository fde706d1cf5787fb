// Process wiring: database (DATABASE_URL or the embedded default), secrets, migrations, bootstrap key,
// the HTTP server, and a clean stop on SIGINT/SIGTERM.
import { serve, type ServerType } from '@hono/node-server';
import type { Logger } from 'pino';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type pg from 'pg';
import { Registry } from 'prom-client';
import { createApp } from './api/app.ts';
import { createMetrics } from './api/metrics.ts';
import { defaultRegistry, type AdapterRegistry } from './adapters/registry.ts';
import type { Config } from './config.ts';
import type { AdapterFactory } from './core/ports.ts';
import { SyncEngine } from './core/sync/engine.ts';
import { attachFlows } from './core/flows/runner.ts';
import { createThrottle } from './store/throttle.ts';
import { MemoryThrottle, type ClosableThrottle } from './store/memory-throttle.ts';
import { createDb, createPool, migrateToLatest, type Db } from './store/db.ts';
import { installJobSchema } from './store/jobs.ts';
import { useEmbeddedPostgres } from './store/embedded.ts';
import { AesGcmSecretBox, loadOrCreateDataDirKey, parseSecretKey } from './store/secrets.ts';
import { ensureBootstrapKey } from './store/tenancy.ts';
import { createLogger } from './log.ts';

export interface Runtime {
  db: Db;
  pool: pg.Pool;
  box: AesGcmSecretBox;
  registry: AdapterRegistry;
  throttle: ClosableThrottle;
  engine: SyncEngine;
  metrics: Registry;
  log: Logger;
  config: Config;
  /** Releases the pool and, for the embedded default, stops the server we started. */
  close(): Promise<void>;
}

/** Opens the database and the secret box; runs migrations. Used by every command that needs storage. */
export async function openRuntime(config: Config, log: Logger, options: { migrate?: boolean } = {}): Promise<Runtime> {
  let url = config.DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!url) {
    const embedded = await useEmbeddedPostgres(config.SWITCHYARD_DATA_DIR, log, config.SWITCHYARD_EMBEDDED_PG_PORT);
    url = embedded.url;
    stopEmbedded = embedded.stop;
  }
  let key: Buffer;
  if (config.SWITCHYARD_SECRET_KEY) key = parseSecretKey(config.SWITCHYARD_SECRET_KEY);
  else if (!config.DATABASE_URL) key = await loadOrCreateDataDirKey(config.SWITCHYARD_DATA_DIR);
  else throw new Error('SWITCHYARD_SECRET_KEY is required when DATABASE_URL is set (it encrypts stored credentials)');

  const pool = createPool(url, { max: 20 });
  // An idle client whose server went away (restart, embedded server stopping) must not crash the process.
  pool.on('error', (err) => log.warn({ err: err.message }, 'idle database connection lost'));
  const db = createDb(pool);
  let registry: AdapterRegistry;
  try {
    if (options.migrate !== false) {
      const applied = await migrateToLatest(db as never);
      if (applied.length) log.info({ migrations: applied }, 'migrations applied');
      await installJobSchema(pool, log);
    }
    registry = await loadRegistry(config);
  } catch (err) {
    await db.destroy();
    await stopEmbedded?.();
    throw err;
  }
  const box = new AesGcmSecretBox(key);
  const throttle = createThrottle({ redisUrl: config.REDIS_URL });
  const metrics = new Registry();
  const engine = new SyncEngine({
    db,
    pool,
    box,
    registry,
    throttle,
    log,
    metricsRegistry: metrics,
    allowPrivateUpstreams: config.SWITCHYARD_ALLOW_PRIVATE_UPSTREAMS,
    heartbeatMs: config.SWITCHYARD_WORKER_HEARTBEAT_MS,
    staleAfterMs: config.SWITCHYARD_WORKER_STALE_MS,
    pollIntervalMs: config.SWITCHYARD_JOB_POLL_MS,
    webhooks: {
      timeoutMs: config.SWITCHYARD_WEBHOOK_TIMEOUT_MS,
      retryWindowMs: config.SWITCHYARD_WEBHOOK_RETRY_WINDOW_MS,
      backoffBaseMs: config.SWITCHYARD_WEBHOOK_BACKOFF_MS,
      disableAfterMs: config.SWITCHYARD_WEBHOOK_DISABLE_AFTER_MS,
      parallelPerEndpoint: config.SWITCHYARD_WEBHOOK_PARALLEL,
    },
  });
  // The flows run as an extension of the engine: their tasks on its workers, their triggers from its hooks.
  attachFlows(engine, log);
  return {
    db,
    pool,
    box,
    registry,
    throttle,
    engine,
    metrics,
    log,
    config,
    async close() {
      await engine.stop();
      await throttle.close();
      await db.destroy();
      await stopEmbedded?.();
    },
  };
}

/**
 * The built-in adapters plus any named in SWITCHYARD_EXTRA_ADAPTERS: comma-separated module paths whose
 * default export is an array of adapter factories (how tests and third parties plug in a channel).
 */
async function loadRegistry(config: Config): Promise<AdapterRegistry> {
  const registry = defaultRegistry();
  for (const spec of (config.SWITCHYARD_EXTRA_ADAPTERS ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const mod = (await import(pathToFileURL(path.resolve(spec)).href)) as { default?: AdapterFactory[] };
    if (!Array.isArray(mod.default)) throw new Error(`${spec} must export an array of adapter factories as its default export`);
    for (const f of mod.default) registry.register(f);
  }
  return registry;
}

export interface RunningServer {
  port: number;
  stop(): Promise<void>;
}

export async function startServer(rt: Runtime): Promise<RunningServer> {
  const { config, log } = rt;
  if (config.SWITCHYARD_BOOTSTRAP_API_KEY) {
    const tenantId = await ensureBootstrapKey(rt.db, config.SWITCHYARD_BOOTSTRAP_API_KEY);
    log.info({ tenant_id: tenantId }, 'bootstrap API key is active for tenant "default"');
  }
  const app = createApp(
    { db: rt.db, box: rt.box, registry: rt.registry, log, allowPrivateUpstreams: config.SWITCHYARD_ALLOW_PRIVATE_UPSTREAMS, engine: rt.engine },
    { metrics: createMetrics(rt.metrics) },
  );
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, () => resolve(s));
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.PORT;
  log.info({ host: config.HOST, port }, `switchyard listening on http://${config.HOST}:${port}`);
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive sockets would hold close() open.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}

/** Runs `stop` once on the first SIGINT or SIGTERM, then exits. */
export function onShutdown(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

/** The app with its real routes over a pool that is never used: for producing the OpenAPI document. */
export function offlineApp(): ReturnType<typeof createApp> {
  const pool = createPool('postgres://offline@127.0.0.1:1/offline', { max: 1 });
  const db = createDb(pool);
  const registry = defaultRegistry();
  const box = new AesGcmSecretBox(Buffer.alloc(32));
  const log = createLogger('silent');
  const engine = new SyncEngine({ db, pool, box, registry, throttle: new MemoryThrottle(), log, metricsRegistry: new Registry(), allowPrivateUpstreams: false });
  return createApp({ db, box, registry, log, allowPrivateUpstreams: false, engine });
}

