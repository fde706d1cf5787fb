// What the sync engine's tests share: a gateway with the scripted_http adapter over a fresh database, a
// scripted upstream, a connection made through POST /v1/connections, polling helpers with generous
// deadlines (never a fixed sleep as an assertion), and readers of the engine's state through REST and SQL.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { FaultRule, RouteName, ScriptedUpstream, ScriptedUpstreamOptions } from '../sim/scripted/server.ts';
import { startScriptedUpstream } from '../sim/scripted/server.ts';
import { startGateway, type GatewayOptions, type TestGateway } from './app.ts';
import { scriptedHttpAdapter } from './scripted-adapter.ts';
import { TEST_SECRET_KEY } from './seed.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface SyncFixture {
  gw: TestGateway;
  sim: ScriptedUpstream;
  /** The connection's id (made through the REST API). */
  id: string;
  close(): Promise<void>;
}

export interface FixtureOptions {
  sim?: ScriptedUpstreamOptions;
  /** scripted_http settings besides base_url. */
  settings?: Record<string, unknown>;
  apiKey?: string;
  gateway?: GatewayOptions;
  /** Start the in-process workers (default true). */
  workers?: boolean | number;
  /** Runs after the gateway and simulator are up, before the connection is made (e.g. to start worker processes). */
  beforeConnect?(gw: TestGateway, sim: ScriptedUpstream): Promise<void>;
}

/** A simulator, a gateway with the scripted_http adapter, and a connection to the one from the other. */
export async function syncFixture(o: FixtureOptions = {}): Promise<SyncFixture> {
  const sim = await startScriptedUpstream(o.sim ?? {});
  const gw = await startGateway({ ...o.gateway, adapters: [scriptedHttpAdapter, ...(o.gateway?.adapters ?? [])] });
  await o.beforeConnect?.(gw, sim);
  const res = await gw.call('/v1/connections', {
    method: 'POST',
    body: JSON.stringify({
      channel: 'scripted_http',
      name: 'Scripted shop',
      settings: { base_url: sim.url, ...o.settings },
      credentials: { api_key: o.apiKey ?? 'test-key' },
    }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const { id } = (await res.json()) as { id: string };
  // graphile-worker wants error handlers on the pool it is given and its clients; a test database
  // going away at the end of a file is not news.
  gw.tdb.pool.on('error', () => undefined);
  gw.tdb.pool.on('connect', (client) => void client.on('error', () => undefined));
  if (o.workers !== false) await gw.engine.startWorkers(typeof o.workers === 'number' ? o.workers : 2);
  return {
    gw,
    sim,
    id,
    async close() {
      await sim.stop();
      await gw.close();
    },
  };
}

/** Polls `probe` until it returns a value other than undefined/false; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 40_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function json<T = any>(res: Response | Promise<Response>): Promise<T> {
  const r = await res;
  return (await r.json()) as T;
}

export interface EntityStatus {
  entity: string;
  last_success_at: string | null;
  checkpoint: string | null;
  run_in_progress: boolean;
  records_pulled: number;
  pages_pulled: number;
  failures: number;
  last_error: string | null;
}

export interface StatusReport {
  connection: { id: string; status: string; last_error?: string | null };
  entities: EntityStatus[];
  pending_operations: number;
  paused_operations: number;
  open_dead_letters: number;
}

export async function status(gw: TestGateway, id: string): Promise<StatusReport> {
  const res = await gw.call(`/v1/connections/${id}/status`);
  expect(res.status).toBe(200);
  return json<StatusReport>(res);
}

/** Pull jobs that are running or due now: none left means the engine has nothing more to pull right now. */
export async function activePullJobs(gw: TestGateway, id: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM graphile_worker.jobs
    WHERE task_identifier = 'pull' AND queue_name LIKE ${`pull:${id}:%`}
      AND attempts < max_attempts AND (locked_at IS NOT NULL OR run_at <= now())`.execute(gw.tdb.db);
  return rows[0]!.n;
}

/**
 * Waits until every listed entity finished a run after `since` (its last_success_at is later), no run
 * is in progress and no pull job is running or due. Returns the status report as it stands then.
 */
export async function waitForPulls(gw: TestGateway, id: string, since: Date, entities = ['orders', 'products', 'inventory'], timeoutMs = 25_000): Promise<StatusReport> {
  return waitFor(
    `pulls of ${entities.join(', ')} finished after ${since.toISOString()}`,
    async () => {
      const s = await status(gw, id);
      const done = entities.every((e) => {
        const st = s.entities.find((x) => x.entity === e);
        return st && st.last_success_at && Date.parse(st.last_success_at) > since.getTime() && !st.run_in_progress;
      });
      if (!done) return undefined;
      return (await activePullJobs(gw, id)) === 0 ? s : undefined;
    },
    timeoutMs,
    100,
  );
}

export async function requestSync(gw: TestGateway, id: string, body: { entities?: string[]; full?: boolean } = {}): Promise<Date> {
  const since = new Date(Date.now() - 1);
  const res = await gw.call(`/v1/connections/${id}/sync`, { method: 'POST', body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(202);
  return since;
}

/** Every item of a REST list, following next_cursor. */
export async function listAll<T = any>(gw: TestGateway, pathAndQuery: string): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  const sep = pathAndQuery.includes('?') ? '&' : '?';
  do {
    const res = await gw.call(`${pathAndQuery}${sep}limit=250${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.status, await res.clone().text()).toBe(200);
    const page = (await res.json()) as { data: T[]; next_cursor: string | null };
    out.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

/** external ids that occur more than once in a list. */
export function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const id of ids) (seen.has(id) ? dup : seen).add(id);
  return [...dup];
}

/**
 * Asserts the gateway holds exactly the simulator's orders, products and stock levels for the
 * connection: each external id once, and with the simulator's values.
 */
export async function expectMirrors(gw: TestGateway, sim: ScriptedUpstream, id: string, entities: ('orders' | 'products' | 'inventory')[] = ['orders', 'products', 'inventory']): Promise<void> {
  if (entities.includes('orders')) {
    const orders = await listAll(gw, `/v1/orders?connection_id=${id}`);
    expect(duplicates(orders.map((o) => o.external_id))).toEqual([]);
    expect(orders.map((o) => o.external_id).sort()).toEqual([...sim.state.orders.values()].map((o) => o.id).sort());
    for (const o of orders) {
      const up = sim.state.orders.get(o.external_id)!;
      expect({ number: o.order_number, status: o.channel_status, currency: o.currency, total: o.totals.total.amount, updated_at: o.updated_at, lines: o.lines.length }, `order ${o.external_id}`).toEqual({
        number: up.number,
        status: up.status,
        currency: up.currency,
        total: up.grand_total,
        updated_at: up.updated_at,
        lines: up.items.length,
      });
    }
  }
  if (entities.includes('products')) {
    const products = await listAll(gw, `/v1/products?connection_id=${id}`);
    expect(duplicates(products.map((p) => p.external_id))).toEqual([]);
    expect(products.map((p) => p.external_id).sort()).toEqual([...sim.state.products.values()].map((p) => p.sku).sort());
    for (const p of products) {
      const up = sim.state.products.get(p.external_id)!;
      expect({ title: p.title, price: p.prices[0]?.price.amount, updated_at: p.updated_at }, `product ${p.external_id}`).toEqual({ title: up.name, price: up.price, updated_at: up.updated_at });
    }
  }
  if (entities.includes('inventory')) {
    const levels = await listAll(gw, `/v1/inventory?connection_id=${id}`);
    const keys = levels.map((l) => `${l.sku}@${l.location_id}`);
    expect(duplicates(keys)).toEqual([]);
    expect(keys.sort()).toEqual([...sim.state.inventory.values()].map((l) => `${l.sku}@${l.location}`).sort());
    for (const l of levels) {
      const up = sim.state.inventory.get(`${l.sku}@${l.location_id}`)!;
      expect({ on_hand: l.on_hand, reserved: l.reserved, available: l.available }, `stock ${l.sku}`).toEqual({ on_hand: up.quantity, reserved: up.reserved, available: up.quantity - up.reserved });
    }
  }
}

export interface CheckpointRow {
  entity: string;
  watermark: Date | null;
  run_id: string | null;
  run_to: Date | null;
  run_cursor: string | null;
  run_full: boolean;
  records_pulled: number;
  pages_pulled: number;
  failures: number;
  last_error: string | null;
}

export async function checkpoint(gw: TestGateway, id: string, entity: string): Promise<CheckpointRow> {
  const { rows } = await sql<CheckpointRow>`SELECT * FROM sync_checkpoints WHERE connection_id = ${id} AND entity = ${entity}`.execute(gw.tdb.db);
  return rows[0]!;
}

/** Wraps the simulator's fault picker: `hook` sees every request to `route` before the simulator's own rules. */
function interceptRoute(sim: ScriptedUpstream, route: RouteName, hook: (n: number) => FaultRule | null): void {
  let seen = 0;
  const pick = sim.faults.pick.bind(sim.faults);
  sim.faults.pick = (r, phase) => {
    if (r === route && phase === 'before') {
      seen += 1;
      const rule = hook(seen);
      if (rule) {
        sim.faults.fired[rule.kind] += 1;
        return rule;
      }
    }
    return pick(r, phase);
  };
}

/**
 * Arms `rule` from the `nth` request (1-based, counted from now) to `route` on, for `times` requests,
 * e.g. a 500 on page 3 of a pull and every retry of it until `lift()`. Malformed bodies, which the
 * simulator applies after the handler, are armed the same way.
 */
export function faultOnNth(sim: ScriptedUpstream, route: RouteName, nth: number, rule: Omit<FaultRule, 'times' | 'routes'>, times = 1): { lift(): void; fired(): number } {
  let left = times;
  let fired = 0;
  let pendingAfter = 0;
  const after = rule.kind === 'malformed' || rule.kind === 'fail_after_effect';
  interceptRoute(sim, route, (n) => {
    if (n < nth || left <= 0) return null;
    left -= 1;
    fired += 1;
    if (after) {
      pendingAfter += 1;
      return null;
    }
    return { ...rule, routes: [route] };
  });
  if (after) {
    const pick = sim.faults.pick.bind(sim.faults);
    sim.faults.pick = (r, phase) => {
      if (r === route && phase === 'after' && pendingAfter > 0) {
        pendingAfter -= 1;
        sim.faults.fired[rule.kind] += 1;
        return { ...rule, routes: [route] };
      }
      return pick(r, phase);
    };
  }
  return {
    lift: () => void (left = 0),
    fired: () => fired,
  };
}

/** Arrival times (performance.now()) of every request the simulator receives from now on. */
export function recordArrivals(sim: ScriptedUpstream): number[] {
  const times: number[] = [];
  const pick = sim.faults.pick.bind(sim.faults);
  sim.faults.pick = (r, phase) => {
    if (phase === 'before') times.push(performance.now());
    return pick(r, phase);
  };
  return times;
}

/** The most requests seen in any window of `ms` milliseconds. */
export function maxInWindow(times: readonly number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= ms) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** Runs `fn` when the `nth` request (counted from now) to `route` arrives, before it is answered. */
export function onNth(sim: ScriptedUpstream, route: RouteName, nth: number, fn: () => void): void {
  interceptRoute(sim, route, (n) => {
    if (n === nth) fn();
    return null;
  });
}

/** Submits an operation over REST. */
export async function submitOp(gw: TestGateway, id: string, kind: string, payload: unknown, key?: string): Promise<Response> {
  return gw.call(`/v1/connections/${id}/operations`, {
    method: 'POST',
    headers: key ? { 'idempotency-key': key } : {},
    body: JSON.stringify({ kind, payload }),
  });
}

export async function getOp(gw: TestGateway, opId: string): Promise<any> {
  const res = await gw.call(`/v1/operations/${opId}`);
  expect(res.status).toBe(200);
  return res.json();
}

export async function waitForOp(gw: TestGateway, opId: string, states: string[] = ['succeeded', 'failed'], timeoutMs = 25_000): Promise<any> {
  return waitFor(`operation ${opId} to reach ${states.join('|')}`, async () => {
    const op = await getOp(gw, opId);
    return states.includes(op.state) ? op : undefined;
  }, timeoutMs, 100);
}

// ---------------------------------------------------------------------------------------------------
// Worker processes

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `node bin/switchyard.js worker` against the test database with the scripted adapter loaded. */
/** Worker processes a test file starts, so one call can kill them all after each test. */
export function trackWorkerProcesses(): { spawn(databaseUrl: string, env?: Record<string, string>): WorkerProcess; killAll(): Promise<void> } {
  let live: WorkerProcess[] = [];
  return {
    spawn(databaseUrl, env = {}) {
      const w = spawnWorker(databaseUrl, env);
      live.push(w);
      return w;
    },
    async killAll() {
      await Promise.all(live.map((w) => w.kill()));
      live = [];
    },
  };
}

export function spawnWorker(databaseUrl: string, env: Record<string, string> = {}): WorkerProcess {
  const child = spawn(process.execPath, ['bin/switchyard.js', 'worker'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATABASE_URL: databaseUrl,
      SWITCHYARD_SECRET_KEY: TEST_SECRET_KEY,
      SWITCHYARD_EXTRA_ADAPTERS: 'test/support/scripted-adapter.ts',
      SWITCHYARD_ALLOW_PRIVATE_UPSTREAMS: '1',
      SWITCHYARD_WORKERS: '2',
      SWITCHYARD_WORKER_HEARTBEAT_MS: '200',
      SWITCHYARD_WORKER_STALE_MS: '1500',
      SWITCHYARD_JOB_POLL_MS: '100',
      LOG_LEVEL: process.env.WORKER_LOG_LEVEL ?? 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Process ids of worker processes heart-beating into the database right now. */
export async function liveWorkerProcesses(gw: TestGateway, freshMs = 1_000): Promise<string[]> {
  const { rows } = await sql<{ process_id: string }>`
    SELECT DISTINCT process_id FROM worker_heartbeats WHERE last_seen > now() - make_interval(secs => ${freshMs / 1000})`.execute(gw.tdb.db);
  return rows.map((r) => r.process_id);
}
