// Pulls end to end: a scripted_http connection made over REST, pulls requested over REST and run by the
// engine's in-process workers against the scripted upstream over HTTP, results read back over REST.
// Also: a page that fails halfway leaves the checkpoint where it was and the retry stores each record once.
import { sql } from 'kysely';
import { afterEach, describe, expect, test } from 'vitest';
import {
  checkpoint,
  expectMirrors,
  faultOnNth,
  json,
  listAll,
  onNth,
  requestSync,
  status,
  syncFixture,
  waitFor,
  waitForPulls,
  type SyncFixture,
} from './support/sync-harness.ts';

let fx: SyncFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const delta = (after: { entities: { entity: string; records_pulled: number }[] }, before: { entities: { entity: string; records_pulled: number }[] }) =>
  Object.fromEntries(after.entities.map((e) => [e.entity, e.records_pulled - (before.entities.find((b) => b.entity === e.entity)?.records_pulled ?? 0)]));

describe('pulls end to end', () => {
  test('a requested sync stores every seeded order, product and stock level exactly once, with the upstream values', async () => {
    fx = await syncFixture({ sim: { rateLimit: false, data: { orders: 230, products: 120, inventory: 120 } }, settings: { page_size: 50 } });
    const { gw, sim, id } = fx;
    const since = await requestSync(gw, id);
    const s = await waitForPulls(gw, id, since);
    await expectMirrors(gw, sim, id);
    const cp = await checkpoint(gw, id, 'orders');
    expect(cp.run_id).toBeNull();
    expect(cp.watermark).not.toBeNull();
    const orders = s.entities.find((e) => e.entity === 'orders')!;
    expect(orders.failures).toBe(0);
    expect(orders.checkpoint).toBe(cp.watermark!.toISOString());
    expect(s.open_dead_letters).toBe(0);
  });

  test('an incremental pull after touch/update reads only the changed records and stores their new values', async () => {
    fx = await syncFixture({ sim: { rateLimit: false, data: { orders: 120, products: 60, inventory: 60 } }, settings: { page_size: 50 } });
    const { gw, sim, id } = fx;
    const before = await waitForPulls(gw, id, new Date(0));
    await expectMirrors(gw, sim, id);

    sim.state.update('orders', '100000007', (o) => void (o.status = 'on_hold'));
    sim.state.update('products', 'SKU-3', (p) => void (p.name = 'Renamed product 3'));
    sim.state.touch('inventory', ['SKU-9@default']);
    sim.state.resetCounters();
    const since = await requestSync(gw, id);
    const after = await waitForPulls(gw, id, since);

    // Only the three changed records came back (the seeded rest is far older than the overlap window).
    expect(delta(after, before)).toEqual({ orders: 1, products: 1, inventory: 1 });
    expect(sim.state.calls.get('orders.list')).toBe(1);
    const order = (await listAll(gw, `/v1/orders?connection_id=${id}`)).find((o) => o.external_id === '100000007');
    expect(order.status).toBe('on_hold');
    expect(order.updated_at).toBe(sim.state.orders.get('100000007')!.updated_at);
    await expectMirrors(gw, sim, id);
  });

  test('a full pull after a record was removed upstream marks it deleted; an incremental pull does not', async () => {
    fx = await syncFixture({ sim: { rateLimit: false, data: { orders: 10, products: 40, inventory: 40 } }, settings: { page_size: 15 } });
    const { gw, sim, id } = fx;
    await waitForPulls(gw, id, new Date(0));
    sim.state.remove('products', 'SKU-5');
    sim.state.remove('inventory', 'SKU-6@default');

    let since = await requestSync(gw, id, { entities: ['products', 'inventory'] });
    await waitForPulls(gw, id, since, ['products', 'inventory']);
    // Incremental: nothing is known to be gone.
    expect((await listAll(gw, `/v1/products?connection_id=${id}`)).map((p) => p.external_id)).toContain('SKU-5');

    since = await requestSync(gw, id, { entities: ['products', 'inventory'], full: true });
    await waitForPulls(gw, id, since, ['products', 'inventory']);
    await expectMirrors(gw, sim, id, ['products', 'inventory']);
    const { rows } = await sql<{ deleted_at: Date | null }>`SELECT deleted_at FROM products WHERE connection_id = ${id} AND external_id = 'SKU-5'`.execute(gw.tdb.db);
    expect(rows[0]!.deleted_at).toBeInstanceOf(Date);
    const { rows: alive } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM products WHERE connection_id = ${id} AND deleted_at IS NULL`.execute(gw.tdb.db);
    expect(alive[0]!.n).toBe(39);
  });

  test('a record updated upstream while a full pull runs is not taken for deleted', async () => {
    fx = await syncFixture({ sim: { rateLimit: false, data: { orders: 0, products: 100, inventory: 0 } }, settings: { page_size: 20 } });
    const { gw, sim, id } = fx;
    await waitForPulls(gw, id, new Date(0));
    // While the full run reads its third page, SKU-95 (on its last page) is updated: it moves past the
    // run's window, so the run itself never lists it.
    onNth(sim, 'products.list', 3, () => sim.state.update('products', 'SKU-95', (p) => void (p.price = '99.99')));
    const since = await requestSync(gw, id, { entities: ['products'], full: true });
    await waitForPulls(gw, id, since, ['products']);
    const products = await listAll(gw, `/v1/products?connection_id=${id}`);
    expect(products.map((p) => p.external_id)).toContain('SKU-95');
    await expectMirrors(gw, sim, id, ['products']);
  });

  test('a full sync requested while an incremental pull of the same entity runs still runs as a full pull', async () => {
    fx = await syncFixture({ sim: { rateLimit: false, data: { orders: 0, products: 30, inventory: 0 } }, settings: { page_size: 10 } });
    const { gw, sim, id } = fx;
    await waitForPulls(gw, id, new Date(0));
    sim.state.remove('products', 'SKU-4');
    // The incremental pull hangs on its first page; the full request arrives meanwhile.
    sim.faults.hangNext(1, 1_000, { routes: ['products.list'] });
    const calls = sim.state.calls.get('products.list') ?? 0;
    const since = await requestSync(gw, id, { entities: ['products'] });
    await waitFor('the incremental pull to be under way', () => (sim.state.calls.get('products.list') ?? 0) > calls);
    await requestSync(gw, id, { entities: ['products'], full: true });
    await waitFor('SKU-4 to be marked deleted', async () => {
      await waitForPulls(gw, id, since, ['products']);
      const { rows } = await sql<{ deleted_at: Date | null }>`SELECT deleted_at FROM products WHERE connection_id = ${id} AND external_id = 'SKU-4'`.execute(gw.tdb.db);
      return rows[0]!.deleted_at !== null;
    });
  });

  test('a corrupt record goes to the dead letters with its reason, the rest of its page is stored, and a replay after the upstream fixed it applies once', async () => {
    fx = await syncFixture({ sim: { rateLimit: false, data: { orders: 40, products: 5, inventory: 5 } }, settings: { page_size: 25 }, workers: false });
    const { gw, sim, id } = fx;
    sim.state.corrupt('orders', '100000011');
    await gw.engine.startWorkers(2);
    const s = await waitForPulls(gw, id, new Date(0));
    expect(s.open_dead_letters).toBe(1);
    const orders = await listAll(gw, `/v1/orders?connection_id=${id}`);
    expect(orders).toHaveLength(39);
    expect(orders.map((o) => o.external_id)).not.toContain('100000011');
    // Records on the same page before and after it are there.
    expect(orders.map((o) => o.external_id)).toEqual(expect.arrayContaining(['100000010', '100000012']));

    const letters = await json(gw.call(`/v1/dead-letters?connection_id=${id}&state=open`));
    expect(letters.data).toHaveLength(1);
    const letter = letters.data[0];
    expect(letter).toMatchObject({ source: 'pull', entity: 'orders', external_id: '100000011', error_kind: 'validation', state: 'open', replay_count: 0 });
    expect(letter.reason).toContain('currency');
    expect(letter.payload.id).toBe('100000011');

    // The upstream fixes the record (without touching it, so no incremental pull would see it).
    sim.state.corrupted.delete('orders/100000011');
    const replay = await gw.call(`/v1/dead-letters/${letter.id}/replay`, { method: 'POST' });
    expect(replay.status, await replay.clone().text()).toBe(200);
    expect(await replay.json()).toMatchObject({ id: letter.id, state: 'replayed', replay_count: 1 });
    await expectMirrors(gw, sim, id, ['orders']);

    const again = await gw.call(`/v1/dead-letters/${letter.id}/replay`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect((await listAll(gw, `/v1/orders?connection_id=${id}`)).filter((o) => o.external_id === '100000011')).toHaveLength(1);
    expect((await status(gw, id)).open_dead_letters).toBe(0);
  });

  test('a corrupt record fixed and updated upstream is stored by the next pull, which resolves its dead letter', async () => {
    fx = await syncFixture({ sim: { rateLimit: false, data: { orders: 10, products: 0, inventory: 0 } }, workers: false });
    const { gw, sim, id } = fx;
    sim.state.corrupt('orders', '100000003');
    await gw.engine.startWorkers(2);
    await waitForPulls(gw, id, new Date(0));
    sim.state.corrupted.delete('orders/100000003');
    sim.state.touch('orders', ['100000003']);
    const since = await requestSync(gw, id, { entities: ['orders'] });
    await waitForPulls(gw, id, since, ['orders']);
    await expectMirrors(gw, sim, id, ['orders']);
    const letters = await json(gw.call(`/v1/dead-letters?connection_id=${id}`));
    expect(letters.data.map((l: { state: string }) => l.state)).toEqual(['resolved']);
    const replay = await gw.call(`/v1/dead-letters/${letters.data[0].id}/replay`, { method: 'POST' });
    expect(replay.status).toBe(409);
  });
});

describe('a pull handed over between jobs', () => {
  test('a run continued in a new job after every page (time budget spent) stores every record once and closes once', async () => {
    fx = await syncFixture({
      sim: { rateLimit: false, data: { orders: 130, products: 45, inventory: 0 } },
      settings: { page_size: 20 },
      gateway: { engine: { pullBudgetMs: 0 } },
    });
    const { gw, sim, id } = fx;
    const s = await waitForPulls(gw, id, new Date(0), ['orders', 'products']);
    await expectMirrors(gw, sim, id, ['orders', 'products']);
    expect(s.entities.find((e) => e.entity === 'orders')).toMatchObject({ records_pulled: 130, pages_pulled: 7, failures: 0 });
    // Products: 3 pages and the tail read of a first (full) pass.
    expect(s.entities.find((e) => e.entity === 'products')).toMatchObject({ records_pulled: 45, pages_pulled: 4, failures: 0 });
    expect(sim.state.calls.get('orders.list')).toBe(7);
    expect(sim.state.calls.get('products.list')).toBe(4);
  });
});

describe('a page that fails halfway', () => {
  test.each([
    ['a 500 answer', 'error500'],
    ['a malformed body', 'malformed'],
  ] as const)('%s on page 3 of 5 leaves the checkpoint at page 2; the retry stores every record exactly once', async (_name, kind) => {
    fx = await syncFixture({ sim: { rateLimit: false, data: { orders: 250, products: 0, inventory: 0 } }, settings: { page_size: 50 }, workers: false });
    const { gw, sim, id } = fx;
    // Page 3 fails on every attempt until the fault is lifted.
    const fault = faultOnNth(sim, 'orders.list', 3, { kind }, Number.POSITIVE_INFINITY);
    await gw.engine.startWorkers(2);

    const failed = await waitFor('the pull to fail on page 3', async () => {
      const cp = await checkpoint(gw, id, 'orders');
      return cp.failures >= 1 ? cp : undefined;
    });
    expect(failed.run_id).not.toBeNull();
    expect(failed.run_cursor).not.toBeNull();
    expect(failed.watermark).toBeNull();
    expect(Number(failed.pages_pulled)).toBe(2);
    expect(Number(failed.records_pulled)).toBe(100);
    expect(failed.last_error).toMatch(kind === 'error500' ? /500/ : /malformed/);
    const mid = (await status(gw, id)).entities.find((e) => e.entity === 'orders')!;
    expect(mid).toMatchObject({ run_in_progress: true, checkpoint: null, pages_pulled: 2, records_pulled: 100 });
    expect(mid.failures).toBeGreaterThanOrEqual(1);
    // Pages 1 and 2 are stored; nothing of page 3.
    expect(await listAll(gw, `/v1/orders?connection_id=${id}`)).toHaveLength(100);
    // Every further attempt asks for page 3 again: the cursor never moved.
    const stuck = await checkpoint(gw, id, 'orders');
    expect(stuck.run_cursor).toBe(failed.run_cursor);
    expect(stuck.run_id).toBe(failed.run_id);

    fault.lift();
    const s = await waitForPulls(gw, id, new Date(0), ['orders']);
    await expectMirrors(gw, sim, id, ['orders']);
    const orders = s.entities.find((e) => e.entity === 'orders')!;
    expect(orders).toMatchObject({ records_pulled: 250, pages_pulled: 5, failures: 0, last_error: null, run_in_progress: false });
    // Pages 1, 2, 4, 5 once each; page 3 once per failed attempt plus once more.
    expect(sim.state.calls.get('orders.list')).toBe(5 + fault.fired());
  });

  test('a failure while closing the run after its last page re-reads the last page only', async () => {
    fx = await syncFixture({ sim: { rateLimit: false, data: { orders: 250, products: 0, inventory: 0 } }, settings: { page_size: 50 }, workers: false });
    const { gw, sim, id } = fx;
    // The first attempt to move the watermark fails, as a lost database connection would.
    await sql`CREATE SEQUENCE fail_finish_once`.execute(gw.tdb.db);
    await sql
      .raw(
        `CREATE FUNCTION fail_finish_once() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF NEW.entity = 'orders' AND NEW.watermark IS DISTINCT FROM OLD.watermark THEN
             IF nextval('fail_finish_once') = 1 THEN
               RAISE EXCEPTION 'injected failure while closing the run';
             END IF;
           END IF;
           RETURN NEW;
         END $$;
         CREATE TRIGGER fail_finish_once BEFORE UPDATE ON sync_checkpoints FOR EACH ROW EXECUTE FUNCTION fail_finish_once();`,
      )
      .execute(gw.tdb.db);
    await gw.engine.startWorkers(2);
    const s = await waitForPulls(gw, id, new Date(0), ['orders']);
    await expectMirrors(gw, sim, id, ['orders']);
    const orders = s.entities.find((e) => e.entity === 'orders')!;
    expect(orders.records_pulled).toBe(250);
    expect(sim.state.calls.get('orders.list')).toBe(6);
  });

  test('a run that failed on its first page (an outage) reads up to now when retried: a change made during the outage comes with the retry', async () => {
    fx = await syncFixture({ sim: { rateLimit: false, data: { orders: 20, products: 0, inventory: 0 } }, settings: { page_size: 50 } });
    const { gw, sim, id } = fx;
    await waitForPulls(gw, id, new Date(0), ['orders']);
    const outage = faultOnNth(sim, 'orders.list', 1, { kind: 'error503' }, Number.POSITIVE_INFINITY);
    await requestSync(gw, id, { entities: ['orders'] });
    const failed = await waitFor('the incremental pull to fail on its first page', async () => {
      const cp = await checkpoint(gw, id, 'orders');
      return cp.failures >= 1 ? cp : undefined;
    });
    expect(failed.run_cursor).toBeNull();
    // Changed upstream after the failed run's window closed.
    await new Promise((r) => setTimeout(r, 20));
    sim.state.update('orders', '100000004', (o) => void (o.status = 'on_hold'));
    expect(Date.parse(sim.state.orders.get('100000004')!.updated_at)).toBeGreaterThan(failed.run_to!.getTime());

    outage.lift();
    await waitForPulls(gw, id, await requestSync(gw, id, { entities: ['orders'] }), ['orders']);
    const order = (await listAll(gw, `/v1/orders?connection_id=${id}`)).find((o) => o.external_id === '100000004');
    expect(order.status, 'the change made during the outage, read by the retried run').toBe('on_hold');
    const done = await checkpoint(gw, id, 'orders');
    expect(done.watermark!.getTime()).toBeGreaterThan(failed.run_to!.getTime());
  });
});
