// The webhook benchmark: `npm run bench:webhooks` (options: `npm run bench:webhooks -- --help`).
//
// EVENTS inventory.changed events (ENTITIES stock levels, each changed EVENTS/ENTITIES times) are written
// through the store at RATE events/s, each in the transaction of its change, into a fresh database. A
// worker process (`node bin/switchyard.js worker`) fans them out to webhook endpoints served by local
// node:http receivers in this process. Two phases on fresh databases:
//
//   with-failing   ENDPOINTS endpoints, one of which answers 500 to half of its requests
//   healthy-only   the ENDPOINTS - 1 healthy endpoints alone: the baseline
//
// Delay: arrival at the receiver minus the event's creation time (its `timestamp`). Reported: deliveries/s
// (accepted deliveries to the healthy endpoints / time from the first event to the last of them), the
// healthy endpoints' p50/p99 delay in each phase, and the ratio with/without the failing endpoint. Every
// healthy endpoint must receive every event, or the run fails. Databases and workers are removed at exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { createWebhook } from '../src/core/services/webhooks.ts';
import { insertConnection } from '../src/store/connections.ts';
import { createDb, createPool, migrateToLatest, type Db } from '../src/store/db.ts';
import { upsertInventory } from '../src/store/inventory.ts';
import { installJobSchema } from '../src/store/jobs.ts';
import { AesGcmSecretBox } from '../src/store/secrets.ts';
import { createTenant } from '../src/store/tenancy.ts';
import { withAdminClient, withDatabase } from './foundation/database.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = `usage: npm run bench:webhooks -- [options]

  --events N        events written                                  default 10000
  --entities N      stock levels they are spread over               default 1000
  --endpoints N     webhook endpoints (one of them failing)         default 10
  --rate R          events written per second                       default 100
  --workers N       SWITCHYARD_WORKERS of the worker process        default 16
  --parallel N      SWITCHYARD_WEBHOOK_PARALLEL                     default 64
  --backoff-ms N    SWITCHYARD_WEBHOOK_BACKOFF_MS (first retry)     default 1000
  --phases LIST     with-failing,healthy-only                       default both

env: BENCH_DATABASE_URL (admin URL; default postgres://postgres@127.0.0.1:5432/postgres)`;

const { values: opt } = parseArgs({
  options: {
    events: { type: 'string', default: '10000' },
    entities: { type: 'string', default: '1000' },
    endpoints: { type: 'string', default: '10' },
    rate: { type: 'string', default: '100' },
    workers: { type: 'string', default: '16' },
    parallel: { type: 'string', default: '64' },
    'backoff-ms': { type: 'string', default: '1000' },
    phases: { type: 'string', default: 'with-failing,healthy-only' },
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  console.log(USAGE);
  process.exit(0);
}
const num = (k: keyof typeof opt) => Number(opt[k]);
const EVENTS = num('events');
const ENTITIES = num('entities');
const ENDPOINTS = num('endpoints');
const RATE = num('rate');
const TARGET_P99_MS = 2_000;
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECRET_KEY = randomBytes(32).toString('hex');
const box = new AesGcmSecretBox(Buffer.from(SECRET_KEY, 'hex'));
const RUN = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

const databases = new Set<string>();
const children = new Set<ChildProcess>();

const admin = <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => withAdminClient(ADMIN_URL, fn);

async function cleanup(): Promise<void> {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const name of databases) await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).catch(() => undefined);
}
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));

interface Receiver {
  url: string;
  failing: boolean;
  /** First accepted arrival per event id: delay in ms. */
  delays: Map<string, number>;
  requests: number;
  lastAcceptedAt: number;
  close(): Promise<void>;
}

async function startReceiver(failing: boolean): Promise<Receiver> {
  const r: Receiver = { url: '', failing, delays: new Map(), requests: 0, lastAcceptedAt: 0, close: async () => undefined };
  let flip = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.requests += 1;
      if (failing && flip++ % 2 === 0) {
        res.writeHead(500).end();
        return;
      }
      const now = Date.now();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; timestamp: string };
      if (!r.delays.has(body.id)) r.delays.set(body.id, now - Date.parse(body.timestamp));
      r.lastAcceptedAt = now;
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  r.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r;
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

interface PhaseResult {
  name: string;
  healthyP50: number;
  healthyP99: number;
  healthyMax: number;
  deliveriesPerSec: number;
  accepted: number;
  failingDelivered: number;
  failingRequests: number;
  writeSec: number;
}

async function runPhase(name: string, withFailing: boolean, template: string): Promise<PhaseResult> {
  const dbName = `sy_whbench_${RUN}_${name.replace(/\W/g, '_')}`;
  await admin((c) => c.query(`CREATE DATABASE "${dbName}" TEMPLATE "${template}"`));
  databases.add(dbName);
  const url = withDatabase(ADMIN_URL, dbName);
  const pool = createPool(url, { max: 6, applicationName: 'switchyard-bench' });
  pool.on('error', () => undefined);
  const db: Db = createDb(pool);
  const receivers: Receiver[] = [];
  let worker: ChildProcess | undefined;
  try {
    const tenant = await createTenant(db, 'bench');
    const con = await insertConnection(db, box, tenant.id, { channel: 'bench', name: 'Bench shop', settings: {}, credentials: {} });
    const healthyCount = ENDPOINTS - 1;
    for (let i = 0; i < healthyCount; i++) receivers.push(await startReceiver(false));
    if (withFailing) receivers.push(await startReceiver(true));
    for (const r of receivers) await createWebhook({ db, box, allowPrivateUpstreams: true }, tenant.id, { url: r.url, event_types: ['inventory.*'] });

    // BENCH_WORKER_NODE_ARGS: node flags for the worker (profiling: --cpu-prof --cpu-prof-dir=…).
    const nodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
    worker = spawn(process.execPath, [...nodeArgs, 'bin/switchyard.js', 'worker'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DATABASE_URL: url,
        SWITCHYARD_SECRET_KEY: SECRET_KEY,
        SWITCHYARD_ALLOW_PRIVATE_UPSTREAMS: '1',
        SWITCHYARD_WORKERS: opt.workers,
        SWITCHYARD_WEBHOOK_PARALLEL: opt.parallel,
        SWITCHYARD_WEBHOOK_BACKOFF_MS: opt['backoff-ms'],
        SWITCHYARD_JOB_POLL_MS: '200',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.add(worker);
    await new Promise((r) => setTimeout(r, 1500));

    // Write the events at RATE/s: batches every 20 ms, each one transaction of stock changes.
    const started = Date.now();
    const perTick = Math.max(1, Math.round(RATE / 50));
    let written = 0;
    let round = 0;
    while (written < EVENTS) {
      const n = Math.min(perTick, EVENTS - written);
      const levels = Array.from({ length: n }, (_, k) => {
        const i = written + k;
        const entity = i % ENTITIES;
        const version = Math.floor(i / ENTITIES) + 1;
        return { sku: `SKU-${entity}`, location_id: 'default', fulfillment_channel: 'merchant' as const, on_hand: 1000 + version, reserved: 0, available: 1000 + version, updated_at: new Date(Date.parse('2026-01-01T00:00:00Z') + version * 1000).toISOString() };
      });
      await upsertInventory(db, { tenantId: tenant.id, connectionId: con.id, channel: 'bench' }, levels);
      written += n;
      round += 1;
      const due = started + (written / RATE) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const writeSec = (Date.now() - started) / 1000;
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM events`.execute(db);
    if (rows[0]!.n !== EVENTS) throw new Error(`${rows[0]!.n} events written, expected ${EVENTS}`);

    const healthy = receivers.filter((r) => !r.failing);
    const deadline = Date.now() + 10 * 60_000;
    while (healthy.some((r) => r.delays.size < EVENTS)) {
      if (worker.exitCode !== null || worker.signalCode !== null) throw new Error(`the worker process exited (${worker.exitCode ?? worker.signalCode})`);
      if (Date.now() > deadline) throw new Error(`healthy endpoints incomplete: ${healthy.map((r) => r.delays.size).join(', ')} of ${EVENTS}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const lastHealthy = Math.max(...healthy.map((r) => r.lastAcceptedAt));
    const allDelays = healthy.flatMap((r) => [...r.delays.values()]);
    const failing = receivers.find((r) => r.failing);
    return {
      name,
      healthyP50: quantile(allDelays, 0.5),
      healthyP99: quantile(allDelays, 0.99),
      healthyMax: Math.max(...allDelays),
      deliveriesPerSec: allDelays.length / ((lastHealthy - started) / 1000),
      accepted: allDelays.length,
      failingDelivered: failing?.delays.size ?? 0,
      failingRequests: failing?.requests ?? 0,
      writeSec,
    };
  } finally {
    if (worker && worker.exitCode === null) {
      worker.kill('SIGTERM');
      await new Promise((r) => worker!.once('exit', r));
    }
    for (const r of receivers) await r.close();
    await db.destroy();
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
    databases.delete(dbName);
  }
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main(): Promise<void> {
  console.log('Switchyard webhook benchmark');
  console.log(`  ${fmt(EVENTS)} inventory.changed events over ${fmt(ENTITIES)} entities at ${RATE}/s; ${ENDPOINTS} endpoints (one answering 500 to every other request)`);
  console.log(`  one worker process: SWITCHYARD_WORKERS=${opt.workers}, SWITCHYARD_WEBHOOK_PARALLEL=${opt.parallel}, first retry after ~${opt['backoff-ms']} ms; ${os.cpus().length} cores, node ${process.version}`);
  const template = `sy_whbench_${RUN}_tpl`;
  await admin((c) => c.query(`CREATE DATABASE "${template}"`));
  databases.add(template);
  const tplPool = createPool(withDatabase(ADMIN_URL, template), { max: 1 });
  tplPool.on('error', () => undefined);
  const tplDb = createDb(tplPool);
  await migrateToLatest(tplDb as never);
  await installJobSchema(tplPool);
  await tplDb.destroy();

  const results: PhaseResult[] = [];
  for (const phase of opt.phases.split(',').map((p) => p.trim())) {
    if (phase !== 'with-failing' && phase !== 'healthy-only') throw new Error(`unknown phase ${phase}`);
    process.stderr.write(`running ${phase} …\n`);
    const r = await runPhase(phase, phase === 'with-failing', template);
    results.push(r);
    console.log(
      `  ${r.name.padEnd(13)} wrote in ${fmt(r.writeSec, 1)} s; healthy deliveries ${fmt(r.accepted)} at ${fmt(r.deliveriesPerSec)}/s; ` +
        `healthy delay p50 ${fmt(r.healthyP50)} ms, p99 ${fmt(r.healthyP99)} ms, max ${fmt(r.healthyMax)} ms [${r.healthyP99 < TARGET_P99_MS ? 'ok' : 'MISSED'}: target p99 < ${TARGET_P99_MS} ms]` +
        (r.failingRequests ? `; failing endpoint: ${fmt(r.failingRequests)} requests, ${fmt(r.failingDelivered)} events accepted so far` : ''),
    );
  }
  const withF = results.find((r) => r.name === 'with-failing');
  const base = results.find((r) => r.name === 'healthy-only');
  if (withF && base) {
    console.log(`\n  healthy p99 with the failing endpoint / without: ${fmt(withF.healthyP99)} / ${fmt(base.healthyP99)} ms = ${fmt(withF.healthyP99 / base.healthyP99, 2)}×`);
  }
}

main()
  .then(cleanup)
  .catch(async (err: unknown) => {
    console.error(err);
    await cleanup();
    process.exitCode = 1;
  });
