// Finds a real PostgreSQL for the suite: TEST_DATABASE_URL, else a container where Docker answers, else
// the embedded server. Builds one migrated template database; each test file clones it.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createDb, createPool, migrateToLatest } from '../../src/store/db.ts';
import { installJobSchema } from '../../src/store/jobs.ts';
import { startEmbeddedPostgres } from '../../src/store/embedded.ts';
import { createLogger } from '../../src/log.ts';
import { testDatabasePrefix } from './names.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
    pgRun: string;
  }
}

async function dockerAnswers(): Promise<boolean> {
  if (process.env.DOCKER_HOST) return true;
  return existsSync('/var/run/docker.sock');
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cleanups: (() => Promise<void>)[] = [];
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl && (await dockerAnswers())) {
    try {
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
      const container = await new PostgreSqlContainer('postgres:17-alpine').start();
      adminUrl = container.getConnectionUri();
      cleanups.push(async () => void (await container.stop()));
    } catch (err) {
      console.warn(`testcontainers unavailable (${(err as Error).message}); using the embedded server`);
    }
  }
  if (!adminUrl) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'switchyard-test-pg-'));
    const server = await startEmbeddedPostgres(dir, createLogger('warn'));
    adminUrl = server.url;
    cleanups.push(async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    });
  }

  // Several runs may share one server (worktrees, CI jobs): every name this run makes carries its run id,
  // and the teardown drops only those. (Not `sy_t_…`: older harnesses drop LIKE 'sy_t_%', where `_` matches
  // any character, so that pattern also matched every other run's template and test databases.)
  const run = `${process.pid}_${Date.now().toString(36)}`;
  const template = `sytpl_${run}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  const tplUrl = withDatabase(adminUrl, template);
  const pool = createPool(tplUrl, { max: 1 });
  const db = createDb(pool);
  await migrateToLatest(db as never);
  await installJobSchema(pool);
  await db.destroy();

  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', template);
  project.provide('pgRun', run);

  return async () => {
    // Drop what the files left behind (a file killed mid-run cannot drop its own database).
    const left = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE starts_with(datname, $1) OR datname = $2`, [
      testDatabasePrefix(run),
      template,
    ]);
    for (const { datname } of left.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await admin.end();
    for (const c of cleanups.reverse()) await c();
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
