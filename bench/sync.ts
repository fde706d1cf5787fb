// The sync engine benchmark: `npm run bench:sync` (options: `npm run bench:sync -- --help`).
//
// Scenario: CONNECTIONS shops on one scripted upstream (test/sim/scripted), each with its own API key,
// its own ORDERS orders and its own token bucket (RATE req/s, burst BURST), all pulled by real worker
// processes (`node bin/switchyard.js worker`) sharing one fresh database and one Redis throttle per phase:
//
//   http-1w, http-2w   the rate-limited upstream over HTTP, with 1 and then 2 worker processes
//   mem-1w, mem-2w     a zero-latency, unlimited in-memory upstream (bench/sync-adapters.ts, bench_mem):
//                      what the engine itself costs per job
//   empty-1w           the same with no orders: one empty page per job, the fixed per-job cost
//
// Rate per connection: its accepted calls after the burst / (rate × time from its first call to its
// last). The upstream's bucket is full at the first call and refills from then on, so the n-th call can
// come (n - burst) / rate after the first at the earliest: 100% means every call came the moment the
// upstream would take it. The aggregate (calls/s over all connections) is bounded by what the engine
// can process on this machine, far below connections × rate.
//
// Every phase has the same number of pull jobs in flight (--concurrency, split over its processes). It is
// a trade: more jobs in flight raise the aggregate call rate until the machine's CPU runs out, and past
// that every connection is served slower than its upstream allows. 48 sits below that point on 2 cores.
//
// Each phase ends when every connection's orders pull has finished; the database must then hold exactly
// CONNECTIONS × ORDERS orders, ORDERS per connection, no duplicates. Databases (sy_syncbench_*), worker
// processes, simulators and the Redis throttle keys are removed at the end, also on failure or Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import pg from 'pg';
import { Registry } from 'prom-client';
import { defaultRegistry } from '../src/adapters/registry.ts';
import { SyncEngine } from '../src/core/sync/engine.ts';
import { attachFlows } from '../src/core/flows/runner.ts';
import { MemoryThrottle } from '../src/store/memory-throttle.ts';
import { createLogger } from '../src/log.ts';
import { insertConnection } from '../src/store/connections.ts';
import { createDb, createPool, migrateToLatest, type Db } from '../src/store/db.ts';
import { installJobSchema } from '../src/store/jobs.ts';
import { AesGcmSecretBox } from '../src/store/secrets.ts';
import { createTenant } from '../src/store/tenancy.ts';
import { startScriptedUpstream, type ScriptedUpstream } from '../test/sim/scripted/server.ts';
import syncAdapters, { memPage } from './sync-adapters.ts';
import { withAdminClient, withDatabase } from './foundation/database.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ADAPTERS_MODULE = 'bench/sync-adapters.ts';

const USAGE = `usage: npm run bench:sync -- [options]

  --connections N   shops (one API key and one token bucket each)          default 1000
  --orders N        orders per shop                                        default 50
  --page-size N     orders per upstream page                               default 5
  --rate R          upstream requests/s per key                            default 2
  --burst B         upstream burst per key                                 default 5
  --concurrency N   pull jobs in flight in all, split over the worker processes
                    (SWITCHYARD_WORKERS = N / processes)                   default 48
  --poll-ms N       SWITCHYARD_JOB_POLL_MS                                 default 1000
  --phases LIST     comma-separated, of http-1w,http-2w,mem-1w,mem-2w,empty-1w  default all
  --timeout-s N     give up on a phase after this long                     default 300
  --worker-log      show the workers' log lines (LOG_LEVEL=warn)
  --profile DIR     write a V8 CPU profile of each worker process into DIR (node --cpu-prof)

env: BENCH_DATABASE_URL (admin URL; default postgres://postgres@127.0.0.1:5432/postgres), REDIS_URL
(default redis://127.0.0.1:6379); for profiling: BENCH_WORKER_LOG_LEVEL (the workers' LOG_LEVEL, default
warn), BENCH_PG_LOG_STATEMENTS=1 (log every statement of the phase databases with its duration).`;

const { values: opt } = parseArgs({
  options: {
    connections: { type: 'string', default: '1000' },
    orders: { type: 'string', default: '50' },
    'page-size': { type: 'string', default: '5' },
    rate: { type: 'string', default: '2' },
    burst: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '48' },
    'poll-ms': { type: 'string', default: '1000' },
    phases: { type: 'string', default: 'http-1w,http-2w,mem-1w,mem-2w,empty-1w' },
    'timeout-s': { type: 'string', default: '300' },
    'worker-log': { type: 'boolean', default: false },
    profile: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const num = (name: keyof typeof opt): number => {
  const v = Number(opt[name]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
};
const CONNECTIONS = num('connections');
const ORDERS = num('orders');
const PAGE_SIZE = num('page-size');
const RATE = num('rate');
const BURST = num('burst');
const CONCURRENCY = num('concurrency');
const POLL_MS = num('poll-ms');
const TIMEOUT_MS = num('timeout-s') * 1000;
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET_KEY = randomBytes(32).toString('hex');
const box = new AesGcmSecretBox(Buffer.from(SECRET_KEY, 'hex'));
const RUN = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

/** Calls a connection needs: one per page; the last page says "no more" itself (no empty page follows). */
const IDEAL_CALLS_PER_CONNECTION = Math.max(1, Math.ceil(ORDERS / PAGE_SIZE));

type PhaseKind = 'http' | 'mem' | 'empty';
interface PhaseSpec {
  name: string;
  kind: PhaseKind;
  workers: number;
}
const ALL_PHASES: PhaseSpec[] = [
  { name: 'http-1w', kind: 'http', workers: 1 },
  { name: 'http-2w', kind: 'http', workers: 2 },
  { name: 'mem-1w', kind: 'mem', workers: 1 },
  { name: 'mem-2w', kind: 'mem', workers: 2 },
  { name: 'empty-1w', kind: 'empty', workers: 1 },
];
const PHASES = opt.phases.split(',').map((n) => {
  const p = ALL_PHASES.find((x) => x.name === n.trim());
  if (!p) throw new Error(`unknown phase "${n}" (known: ${ALL_PHASES.map((x) => x.name).join(', ')})`);
  return p;
});

/** SWITCHYARD_WORKERS of each worker process: the phase's jobs in flight, split evenly. */
const perProcess = (spec: PhaseSpec) => Math.max(1, Math.round(CONCURRENCY / spec.workers));

// ---------------------------------------------------------------------------------------------------
// Cleanup: everything this run creates is registered here and removed at exit, also on failure.

const children = new Set<ChildProcess>();
const databases = new Set<string>();
const sims = new Set<ScriptedUpstream>();
const redisKeys = new Set<string>();
let cleaning: Promise<void> | null = null;

const admin = <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => withAdminClient(ADMIN_URL, fn);

async function dropDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  databases.delete(name);
}

const stopping = new WeakMap<ChildProcess, Promise<void>>();

/** SIGTERM (once: a second one would cut the worker's clean shutdown short), SIGKILL after the grace time. */
function killWorker(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return Promise.resolve();
  }
  let done = stopping.get(child);
  if (!done) {
    done = new Promise((resolve) => {
      const hard = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', () => {
        clearTimeout(hard);
        children.delete(child);
        resolve();
      });
      child.kill('SIGTERM');
    });
    stopping.set(child, done);
  }
  return done;
}

async function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all([...children].map((c) => killWorker(c)));
    await Promise.all([...sims].map((s) => s.stop().catch(() => undefined)));
    sims.clear();
    for (const name of [...databases]) await dropDatabase(name).catch((err: unknown) => console.error(`could not drop ${name}: ${String(err)}`));
    if (redisKeys.size) {
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      try {
        const keys = [...redisKeys];
        for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
        redisKeys.clear();
      } catch (err) {
        console.error(`could not remove the throttle keys from Redis: ${String(err)}`);
      } finally {
        redis.disconnect();
      }
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: cleaning up`);
    cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------------
// Measurement helpers

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pct = (x: number, digits = 1) => `${fmt(x * 100, digits)}%`;
function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i]!;
}

/** Busy and total jiffies of the whole machine (all cores), from /proc/stat. */
function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** CPU seconds (user + system) a process has used so far. */
function processCpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** CPU seconds of the PostgreSQL backends serving a database (sampled at the end of a phase). */
async function postgresCpuSeconds(dbName: string): Promise<number> {
  const rows = await admin((c) => c.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [dbName]));
  return rows.rows.reduce((sum, r) => sum + processCpuSeconds(r.pid), 0);
}

function throttleKey(baseUrl: string, apiKey: string): string {
  const account = createHash('sha256').update(`${baseUrl}\n${apiKey}`).digest('hex').slice(0, 16);
  return `switchyard:throttle:scripted_http:${account}:*`;
}

/** What a phase that does not finish is waiting for: unfinished pulls, their jobs, the workers' warnings. */
async function explainStuck(db: Db, warnings: Map<string, number>): Promise<void> {
  const open = await sql<Record<string, unknown>>`
    SELECT c.name, cp.records_pulled, cp.pages_pulled, cp.failures, cp.last_error, cp.run_cursor IS NOT NULL AS mid_run,
           j.run_at, j.attempts, j.max_attempts, j.locked_at, j.last_error AS job_error
    FROM sync_checkpoints cp JOIN connections c ON c.id = cp.connection_id
    LEFT JOIN graphile_worker.jobs j ON j.key = 'pull:' || cp.connection_id || ':' || cp.entity
    WHERE cp.last_success_at IS NULL LIMIT 10`.execute(db);
  console.error('unfinished pulls (up to 10):');
  for (const r of open.rows) console.error(`  ${JSON.stringify(r)}`);
  console.error('worker log lines (warn and above):');
  for (const [m, n] of [...warnings].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.error(`  ${n}× ${m}`);
}

// ---------------------------------------------------------------------------------------------------
// A phase

interface PhaseResult {
  spec: PhaseSpec;
  wallMs: number;
  activeMs: number;
  jobs: number;
  orders: { total: number; distinct: number; badConnections: number; deadLetters: number };
  http?: {
    calls: number;
    accepted: number;
    throttled: number;
    otherErrors: number;
    perConnection: number[];
    aggregatePerSec: number;
    connectionsRateBound: number;
    /** Connections with more accepted calls than pages. */
    repeatedPages: number;
    /** Call timelines of the slowest connections: seconds after their first call, 429s marked. */
    slowest: string[];
    /** For each 429: how long before the upstream's bucket would have had a token, in ms. */
    earlyMs: number[];
  };
  jobLatencyMs: number[];
  cpu: { machineBusy: number; machineSec: number; workersSec: number; postgresSec: number; benchSec: number; load: number };
  workerWarnings: Map<string, number>;
}

async function runPhase(spec: PhaseSpec, template: string): Promise<PhaseResult> {
  const dbName = `sy_syncbench_${RUN}_${spec.name.replace(/\W/g, '_')}`;
  await admin((c) => c.query(`CREATE DATABASE "${dbName}" TEMPLATE "${template}"`));
  databases.add(dbName);
  // Profiling aid: every statement of this database with its duration, in the server's log.
  if (process.env.BENCH_PG_LOG_STATEMENTS) await admin((c) => c.query(`ALTER DATABASE "${dbName}" SET log_min_duration_statement = 0`));
  const url = withDatabase(ADMIN_URL, dbName);
  const pool = createPool(url, { max: 4, applicationName: 'switchyard-bench' });
  pool.on('error', () => undefined);
  const db = createDb(pool);
  let sim: ScriptedUpstream | undefined;
  const workers: ChildProcess[] = [];
  try {
    const orders = spec.kind === 'empty' ? 0 : ORDERS;
    const keys = Array.from({ length: CONNECTIONS }, (_, i) => `${spec.name}-shop-${String(i).padStart(5, '0')}`);
    let channel: string;
    let settingsFor: (key: string) => Record<string, unknown>;
    if (spec.kind === 'http') {
      sim = await startScriptedUpstream({
        apiKeys: [],
        dataByKey: Object.fromEntries(keys.map((k) => [k, { orders }])),
        rateLimit: { ratePerSec: RATE, burst: BURST },
        maxPageSize: 1000,
      });
      sims.add(sim);
      const base = sim.url;
      for (const k of keys) redisKeys.add(throttleKey(base, k));
      channel = 'scripted_http';
      // throttle_scope account: one bucket per API key, as the upstream limits (not one per operation).
      settingsFor = () => ({ base_url: base, rate_per_sec: RATE, burst: BURST, throttle_scope: 'account', page_size: PAGE_SIZE });
    } else {
      channel = 'bench_mem';
      settingsFor = () => ({ orders, page_size: PAGE_SIZE });
    }

    const tenant = await createTenant(db, 'bench');
    await db.transaction().execute(async (trx) => {
      for (const k of keys) await insertConnection(trx, box, tenant.id, { channel, name: k, settings: settingsFor(k), credentials: { api_key: k } });
    });
    // One pull per connection: the next regular pull would come after a day, not during the phase.
    await sql`UPDATE connections SET sync_intervals = '{"orders": 86400}'::jsonb`.execute(db);
    // Queue every pull now, as a worker does at start (its own pass then finds them queued).
    const registry = defaultRegistry();
    for (const f of syncAdapters) registry.register(f);
    const engine = new SyncEngine({ db, pool, box, registry, throttle: new MemoryThrottle(), log: createLogger('silent'), metricsRegistry: new Registry(), allowPrivateUpstreams: true });
    attachFlows(engine, createLogger('silent'));
    const queued = await engine.ensureSchedules();
    if (queued !== CONNECTIONS) throw new Error(`expected ${CONNECTIONS} pulls queued, got ${queued}`);

    // Start the workers.
    const warnings = new Map<string, number>();
    const cpu0 = machineCpu();
    const bench0 = process.cpuUsage();
    const load = os.loadavg()[0]!;
    const t0 = performance.now();
    for (let w = 0; w < spec.workers; w++) {
      const profile = opt.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(opt.profile, `${spec.name}-w${w + 1}`)}`] : [];
      const child = spawn(process.execPath, [...profile, 'bin/switchyard.js', 'worker'], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          DATABASE_URL: url,
          SWITCHYARD_SECRET_KEY: SECRET_KEY,
          SWITCHYARD_EXTRA_ADAPTERS: ADAPTERS_MODULE,
          SWITCHYARD_WORKERS: String(perProcess(spec)),
          SWITCHYARD_JOB_POLL_MS: String(POLL_MS),
          SWITCHYARD_ALLOW_PRIVATE_UPSTREAMS: '1',
          REDIS_URL,
          LOG_LEVEL: process.env.BENCH_WORKER_LOG_LEVEL ?? 'warn',
        },
      });
      children.add(child);
      workers.push(child);
      let tail = '';
      const onData = (chunk: Buffer) => {
        tail += chunk.toString('utf8');
        const lines = tail.split('\n');
        tail = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.trim()) continue;
          let msg = line.slice(0, 200);
          try {
            const j = JSON.parse(line) as { msg?: string; err?: string };
            msg = `${j.msg ?? '?'}${j.err ? `: ${String(j.err).slice(0, 120)}` : ''}`;
          } catch {
            // not JSON: keep the raw line
          }
          warnings.set(msg, (warnings.get(msg) ?? 0) + 1);
          if (opt['worker-log']) process.stderr.write(`  [worker ${w + 1}] ${line}\n`);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
    }

    // Wait until every connection's pull has finished.
    let lastPrint = 0;
    for (;;) {
      const r = await sql<{ done: number; records: number }>`
        SELECT count(*) FILTER (WHERE last_success_at IS NOT NULL)::int AS done, coalesce(sum(records_pulled), 0)::int AS records
        FROM sync_checkpoints WHERE entity = 'orders'`.execute(db);
      const { done, records } = r.rows[0]!;
      const elapsed = performance.now() - t0;
      if (done >= CONNECTIONS) break;
      if (cleaning) throw new Error('interrupted');
      const dead = workers.find((c) => c.exitCode !== null || c.signalCode !== null);
      if (dead) throw new Error(`a worker process exited early (code ${dead.exitCode}, signal ${dead.signalCode}); its last lines: ${[...warnings.keys()].slice(-5).join(' | ')}`);
      if (elapsed > TIMEOUT_MS) {
        await explainStuck(db, warnings);
        throw new Error(`phase ${spec.name} timed out after ${fmt(elapsed / 1000)} s: ${done}/${CONNECTIONS} pulls done, ${records} records`);
      }
      if (elapsed - lastPrint > 10_000) {
        lastPrint = elapsed;
        process.stderr.write(`  … ${fmt(elapsed / 1000)} s: ${fmt(done)}/${fmt(CONNECTIONS)} pulls done, ${fmt(records)} orders\n`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const wallMs = performance.now() - t0;
    const cpu1 = machineCpu();
    const bench1 = process.cpuUsage(bench0);
    const workersSec = workers.reduce((s, c) => s + processCpuSeconds(c.pid), 0);
    const postgresSec = await postgresCpuSeconds(dbName);
    await Promise.all(workers.map((c) => killWorker(c)));

    // Verify: exactly ORDERS orders per connection, none twice.
    const v = await sql<{ total: number; distinct: number }>`
      SELECT count(*)::int AS total, count(DISTINCT (connection_id, external_id))::int AS distinct FROM orders`.execute(db);
    const bad = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM connections c
      WHERE (SELECT count(*) FROM orders o WHERE o.connection_id = c.id) <> ${orders}`.execute(db);
    const dl = await sql<{ n: number }>`SELECT count(*)::int AS n FROM dead_letters`.execute(db);
    const timing = await sql<{ started: Date; finished: Date }>`
      SELECT last_attempt_at AS started, last_success_at AS finished FROM sync_checkpoints WHERE entity = 'orders'`.execute(db);
    const jobLatencyMs = timing.rows.map((t) => t.finished.getTime() - t.started.getTime()).sort((a, b) => a - b);
    const firstStart = Math.min(...timing.rows.map((t) => t.started.getTime()));
    const lastFinish = Math.max(...timing.rows.map((t) => t.finished.getTime()));

    const result: PhaseResult = {
      spec,
      wallMs,
      activeMs: lastFinish - firstStart,
      jobs: timing.rows.length,
      orders: { total: v.rows[0]!.total, distinct: v.rows[0]!.distinct, badConnections: bad.rows[0]!.n, deadLetters: dl.rows[0]!.n },
      jobLatencyMs,
      cpu: {
        machineBusy: (cpu1.busy - cpu0.busy) / Math.max(1, cpu1.total - cpu0.total),
        machineSec: (cpu1.busy - cpu0.busy) / 100,
        workersSec,
        postgresSec,
        benchSec: (bench1.user + bench1.system) / 1e6,
        load,
      },
      workerWarnings: warnings,
    };

    if (sim) {
      const log = sim.state.log.filter((r) => r.route === 'orders.list');
      const byKey = new Map<string, number[]>();
      const timeline = new Map<string, { at: number; status: number }[]>();
      for (const r of log) {
        if (!r.apiKey || r.at === undefined) continue;
        let all = timeline.get(r.apiKey);
        if (!all) timeline.set(r.apiKey, (all = []));
        all.push({ at: r.at, status: r.status });
        if (r.status !== 200) continue;
        let list = byKey.get(r.apiKey);
        if (!list) byKey.set(r.apiKey, (list = []));
        list.push(r.at);
      }
      // Replays each key's bucket over its calls: a 429 came this long before the bucket had a token.
      const earlyMs: number[] = [];
      for (const calls of timeline.values()) {
        let tokens = BURST;
        let last = calls[0]?.at ?? 0;
        for (const c of calls) {
          tokens = Math.min(BURST, tokens + ((c.at - last) / 1000) * RATE);
          last = c.at;
          if (c.status === 429) earlyMs.push(((1 - tokens) / RATE) * 1000);
          else if (tokens >= 1) tokens -= 1;
        }
      }
      earlyMs.sort((a, b) => a - b);
      const spans = [...byKey].map(([key, t]) => ({ key, span: Math.max(...t) - Math.min(...t) })).sort((a, b) => b.span - a.span);
      const slowest = spans.slice(0, 3).map(({ key }) => {
        const t = timeline.get(key)!;
        const t0 = t[0]!.at;
        return `${key}: ${t.map((c) => `${((c.at - t0) / 1000).toFixed(2)}${c.status === 200 ? '' : `(${c.status})`}`).join(' ')}`;
      });
      // Per connection: the bucket is full at its first call and refills at RATE from then on, so the
      // earliest the n-th accepted call can come is (n - BURST) / RATE after the first. The achieved
      // fraction of the allowed rate is that over the time it actually took (1.0: every call came the
      // moment the upstream would accept it).
      const perConnection: number[] = [];
      for (const times of byKey.values()) {
        if (times.length <= BURST) continue;
        times.sort((a, b) => a - b);
        const spanSec = (times[times.length - 1]! - times[0]!) / 1000;
        perConnection.push((times.length - BURST) / (RATE * spanSec));
      }
      perConnection.sort((a, b) => a - b);
      const at = log.map((r) => r.at ?? 0);
      const accepted = log.filter((r) => r.status === 200).length;
      const spanSec = (Math.max(...at) - Math.min(...at)) / 1000;
      result.activeMs = spanSec * 1000;
      result.http = {
        calls: log.length,
        accepted,
        throttled: log.filter((r) => r.status === 429).length,
        otherErrors: log.filter((r) => r.status !== 200 && r.status !== 429).length,
        perConnection,
        aggregatePerSec: accepted / spanSec,
        connectionsRateBound: perConnection.length,
        earlyMs,
        repeatedPages: [...byKey.values()].reduce((n, t) => n + Math.max(0, t.length - IDEAL_CALLS_PER_CONNECTION), 0),
        slowest,
      };
      if (sim.state.log.length !== log.length) result.workerWarnings.set(`calls to other routes: ${sim.state.log.length - log.length}`, 1);
    }
    return result;
  } finally {
    await Promise.all(workers.map((c) => killWorker(c)));
    if (sim) {
      await sim.stop();
      sims.delete(sim);
    }
    await db.destroy().catch(() => undefined);
    await dropDatabase(dbName).catch((err: unknown) => console.error(`could not drop ${dbName}: ${String(err)}`));
  }
}

// ---------------------------------------------------------------------------------------------------
// Report

const TARGET_RATE = 0.9;
const TARGET_429 = 0.01;
const TARGET_OVERHEAD_MS = 5;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
const row = (label: string, value: string, target = '') => console.log(`  ${label.padEnd(34)} ${value.padEnd(58)} ${target}`);

/** Time the zero-latency upstream itself takes per job, measured here (the same code the workers run). */
function memUpstreamMsPerJob(orders: number): number {
  const settings = { orders, page_size: PAGE_SIZE };
  const window = { from: null, to: new Date().toISOString() };
  const n = 200;
  for (let i = 0; i < n; i++) memPage(`warm-${i}`, settings, { window, cursor: null, full: true }); // seeding happens on first use
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    let cursor: string | null = null;
    do cursor = memPage(`warm-${i}`, settings, { window, cursor, full: true }).next;
    while (cursor);
  }
  return (performance.now() - t) / n;
}

function report(r: PhaseResult): void {
  const { spec } = r;
  const procs = `${spec.workers} worker process${spec.workers > 1 ? 'es' : ''} × ${perProcess(spec)} concurrent jobs`;
  const what = spec.kind === 'http' ? 'rate-limited upstream over HTTP' : spec.kind === 'mem' ? 'zero-latency unlimited upstream' : 'zero-latency upstream, connections without orders';
  console.log(`\nphase ${spec.name}: ${what}; ${procs}`);
  row('wall time', `${fmt(r.wallMs / 1000, 1)} s from spawning the workers to the last pull done`);
  const expected = spec.kind === 'empty' ? 0 : CONNECTIONS * ORDERS;
  const perConnection = spec.kind === 'empty' ? 0 : ORDERS;
  const ok = r.orders.total === expected && r.orders.distinct === expected && r.orders.badConnections === 0;
  row('orders stored', `${fmt(r.orders.total)} (distinct ${fmt(r.orders.distinct)}; connections without exactly ${perConnection}: ${r.orders.badConnections}; dead letters ${r.orders.deadLetters})`, `expected ${fmt(expected)}: ${ok ? 'OK' : 'WRONG'}`);
  if (!ok) process.exitCode = 1;
  if (r.http) {
    const h = r.http;
    const ideal = CONNECTIONS * IDEAL_CALLS_PER_CONNECTION;
    row('upstream calls', `${fmt(h.calls)} vs ideal ${fmt(ideal)} (${CONNECTIONS} × ceil(${ORDERS}/${PAGE_SIZE}), no empty last page; ${h.calls >= ideal ? '+' : ''}${pct(h.calls / ideal - 1, 2)})`);
    row('pages fetched twice', `${fmt(h.repeatedPages)} accepted calls beyond ${IDEAL_CALLS_PER_CONNECTION} per connection`);
    const early = h.earlyMs.length ? `; they came ${fmt(quantile(h.earlyMs, 0.5), 1)} ms (median; max ${fmt(h.earlyMs[h.earlyMs.length - 1]!, 1)}) before the upstream's slot` : '';
    row('429 answers', `${fmt(h.throttled)} = ${pct(h.throttled / h.calls, 2)} of calls${early}${h.otherErrors ? `; other errors ${h.otherErrors}` : ''}`, `target < ${pct(TARGET_429, 0)}: ${verdict(h.throttled / h.calls < TARGET_429)}`);
    const pc = h.perConnection;
    const med = quantile(pc, 0.5);
    row('rate per connection', `median ${pct(med)} of ${RATE}/s (mean ${pct(pc.reduce((a, b) => a + b, 0) / pc.length)}, p10 ${pct(quantile(pc, 0.1))}, min ${pct(pc[0] ?? Number.NaN)}; n=${pc.length})`, `target ≥ ${pct(TARGET_RATE, 0)}: ${verdict(med >= TARGET_RATE)}`);
    const allowed = CONNECTIONS * RATE;
    row('aggregate call rate', `${fmt(h.aggregatePerSec, 1)} calls/s = ${pct(h.aggregatePerSec / allowed)} of the ${fmt(allowed)}/s the upstream allows in all`);
    row('active time', `${fmt(r.activeMs / 1000, 1)} s from the first call to the last; ${fmt(r.jobs / (r.activeMs / 1000), 1)} connections done per second`);
    for (const line of h.slowest.slice(0, 1)) row('slowest connection (calls, s)', line.length > 110 ? `${line.slice(0, 110)}…` : line);
  } else {
    const upstreamMs = memUpstreamMsPerJob(spec.kind === 'empty' ? 0 : ORDERS);
    const perJob = r.activeMs / r.jobs;
    const pages = spec.kind === 'empty' ? 1 : IDEAL_CALLS_PER_CONNECTION;
    row('throughput', `${fmt(r.jobs / (r.activeMs / 1000), 1)} jobs/s, ${fmt((r.jobs * pages) / (r.activeMs / 1000))} pages/s (${pages} page${pages > 1 ? 's' : ''} and ${perConnection} orders per job)`);
    const label = spec.kind === 'empty' ? 'engine time per job (fixed part)' : 'engine time per job';
    row(label, `${fmt(perJob - upstreamMs, 2)} ms = ${fmt(r.activeMs / 1000, 1)} s / ${fmt(r.jobs)} jobs − ${fmt(upstreamMs, 3)} ms upstream per job`, `target < ${TARGET_OVERHEAD_MS} ms: ${verdict(perJob - upstreamMs < TARGET_OVERHEAD_MS)}`);
    row('job latency', `median ${fmt(quantile(r.jobLatencyMs, 0.5))} ms, p90 ${fmt(quantile(r.jobLatencyMs, 0.9))} ms in the pull (${CONCURRENCY} in flight; Little: ${fmt((CONCURRENCY * r.activeMs) / r.jobs)} ms per job)`);
  }
  const c = r.cpu;
  const others = Math.max(0, c.machineSec - c.workersSec - c.postgresSec - c.benchSec);
  row('CPU seconds', `workers ${fmt(c.workersSec, 1)}, postgres ${fmt(c.postgresSec, 1)}, bench+simulator ${fmt(c.benchSec, 1)}, other processes ~${fmt(others, 1)} (machine ${pct(c.machineBusy, 0)} busy; load ${fmt(c.load, 1)} at start)`);
  const warns = [...r.workerWarnings].filter(([m]) => !m.startsWith('WARNING: having maxPoolSize')).sort((a, b) => b[1] - a[1]);
  if (warns.length) row('worker log (warn+)', warns.slice(0, 4).map(([m, n]) => `${n}× ${m}`).join('; '));
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  console.log('Switchyard sync engine benchmark');
  console.log(`  ${CONNECTIONS} connections × ${ORDERS} orders = ${fmt(CONNECTIONS * ORDERS)} orders; upstream ${RATE} req/s, burst ${BURST} per API key; page size ${PAGE_SIZE} (${IDEAL_CALLS_PER_CONNECTION} calls per connection)`);
  console.log(`  workers: node bin/switchyard.js worker; ${CONCURRENCY} pull jobs in flight per phase (SWITCHYARD_WORKERS split over the processes), SWITCHYARD_JOB_POLL_MS=${POLL_MS}, one REDIS_URL; ${os.cpus().length} cores, node ${process.version}`);
  console.log('  rate per connection: accepted calls after the burst / (rate × time from its first call to its last); 100% = every call came as soon as the bucket allowed');
  if (IDEAL_CALLS_PER_CONNECTION <= BURST) console.log(`  note: ${IDEAL_CALLS_PER_CONNECTION} calls per connection fit in the burst of ${BURST}: the rate limit does not bind`);

  // A migrated template; each phase clones it.
  const template = `sy_syncbench_${RUN}_tpl`;
  await admin((c) => c.query(`CREATE DATABASE "${template}"`));
  databases.add(template);
  const tplPool = createPool(withDatabase(ADMIN_URL, template), { max: 1 });
  tplPool.on('error', () => undefined);
  const tplDb: Db = createDb(tplPool);
  await migrateToLatest(tplDb as never);
  await installJobSchema(tplPool);
  await tplDb.destroy();

  const results: PhaseResult[] = [];
  for (const spec of PHASES) {
    process.stderr.write(`running ${spec.name} …\n`);
    const r = await runPhase(spec, template);
    results.push(r);
    report(r);
  }

  console.log('\nsummary');
  let fixed: PhaseResult | undefined;
  let full: PhaseResult | undefined;
  for (const r of results) {
    const name = r.spec.name.padEnd(9);
    if (r.http) {
      const med = quantile(r.http.perConnection, 0.5);
      const share = r.http.throttled / r.http.calls;
      console.log(
        `  ${name} ${fmt(r.wallMs / 1000, 1).padStart(6)} s  calls ${fmt(r.http.calls)} (ideal ${fmt(CONNECTIONS * IDEAL_CALLS_PER_CONNECTION)})  429s ${pct(share, 2)} [${verdict(share < TARGET_429)}]` +
          `  rate/connection ${pct(med)} [${verdict(med >= TARGET_RATE)}]  aggregate ${fmt(r.http.aggregatePerSec)}/s of ${fmt(CONNECTIONS * RATE)}/s  orders ${fmt(r.orders.distinct)}`,
      );
    } else {
      if (r.spec.kind === 'empty') fixed = r;
      else full ??= r;
      console.log(`  ${name} ${fmt(r.wallMs / 1000, 1).padStart(6)} s  ${fmt(r.jobs / (r.activeMs / 1000), 1)} jobs/s  ${fmt(r.activeMs / r.jobs, 2)} ms per job [${verdict(r.activeMs / r.jobs < TARGET_OVERHEAD_MS)}]  orders ${fmt(r.orders.distinct)}`);
    }
  }
  if (fixed && full) {
    const perPage = (full.activeMs / full.jobs - fixed.activeMs / fixed.jobs) / (IDEAL_CALLS_PER_CONNECTION - 1);
    console.log(`  engine cost: ${fmt(fixed.activeMs / fixed.jobs, 1)} ms per job (an empty pull) + ${fmt(perPage, 1)} ms per further page of ${PAGE_SIZE} orders, at ${CONCURRENCY} jobs in flight`);
  }
  console.log(`  targets: ≥ ${pct(TARGET_RATE, 0)} of the allowed rate per connection; < ${pct(TARGET_429, 0)} of calls answered 429; engine < ${TARGET_OVERHEAD_MS} ms per job`);
}

try {
  await main();
} catch (err) {
  console.error(`bench:sync failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
