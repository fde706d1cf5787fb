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

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
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

  const template = `sy_tpl_${process.pid}_${Date.now().toString(36)}`;
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

  return async () => {
    // Drop what the files left behind (a file killed mid-run cannot drop its own database).
    const left = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'sy\\_t\\_%' OR datname = $1`, [template]);
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
