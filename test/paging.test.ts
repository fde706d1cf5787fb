// Keyset paging over thousands of rows: a walk sees every row that existed when it started exactly once,
// even while rows are inserted between its pages, for every sort; cursors are bound to their sort and a
// cursor that is not one we issued is a 400, never a 500.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { OrderInput } from '../src/core/model/index.ts';
import { upsertOrders, type ConnectionRef } from '../src/store/orders.ts';
import { startGateway, type TestGateway } from './support/app.ts';
import { ok, problem } from './support/http.ts';
import { orderInput, seedConnection } from './support/seed.ts';

let gw: TestGateway;
let ref: ConnectionRef;
const BASE = Date.parse('2026-01-01T00:00:00Z');
const INITIAL = 3000;

/** Order i: created in groups of 7 sharing one timestamp, updated in groups of 5 in another order, so ties abound. */
function order(i: number): OrderInput {
  const created = new Date(BASE + Math.floor(i / 7) * 1000).toISOString();
  const updated = new Date(BASE + ((i * 37) % 600) * 1000 + Math.floor(i / 600)).toISOString();
  return { ...orderInput(i, { lines: 1 }), created_at: created, placed_at: created, updated_at: updated };
}

let nextIndex = INITIAL;
/** Inserts orders spread over the whole time range: before, among and after the existing ones. */
async function insertSpread(n: number): Promise<void> {
  const batch: OrderInput[] = [];
  for (let k = 0; k < n; k++) {
    const i = nextIndex++;
    const t = new Date(BASE + (((k * 7919) % 1000) - 200) * 1000 + k).toISOString();
    batch.push({ ...orderInput(i, { lines: 1 }), created_at: t, placed_at: t, updated_at: t });
  }
  await upsertOrders(gw.tdb.db, ref, batch);
}

beforeAll(async () => {
  gw = await startGateway();
  const con = await seedConnection(gw.tdb.db, gw.a.id);
  ref = { tenantId: gw.a.id, connectionId: con.id, channel: 'scripted' };
  for (let i = 0; i < INITIAL; i += 1000) await upsertOrders(gw.tdb.db, ref, Array.from({ length: 1000 }, (_, k) => order(i + k)));
});
afterAll(async () => gw?.close());

type Row = { id: string; created_at: string; updated_at: string };

async function walk(query: string, between?: () => Promise<void>): Promise<{ rows: Row[]; pages: number }> {
  const rows: Row[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: { data: Row[]; next_cursor: string | null } = await ok(gw.call(`/v1/orders?${query}&fields=created_at,updated_at${cursor ? `&cursor=${cursor}` : ''}`));
    rows.push(...page.data);
    cursor = page.next_cursor;
    pages++;
    if (between && cursor) await between();
    if (pages > 1000) throw new Error(`the walk did not end after ${pages} pages (${rows.length} rows, ${new Set(rows.map((r) => r.id)).size} distinct)`);
  } while (cursor);
  return { rows, pages };
}

function inOrder(rows: Row[], column: 'created_at' | 'updated_at', desc: boolean): boolean {
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1]!;
    const b = rows[i]!;
    const cmp = a[column] === b[column] ? (a.id < b.id ? -1 : 1) : a[column] < b[column] ? -1 : 1;
    if (desc ? cmp > 0 : cmp < 0) continue;
    return false;
  }
  return true;
}

describe('a walk over 3,000 orders with inserts between its pages', () => {
  test.each([
    ['created_at', false],
    ['-created_at', true],
    ['updated_at', false],
    ['-updated_at', true],
  ] as const)('sort=%s sees every row present at the start exactly once, in order', async (sort, desc) => {
    const before = await gw.tdb.db.selectFrom('orders').select('id').where('tenant_id', '=', gw.a.id).execute();
    expect(before.length).toBeGreaterThanOrEqual(INITIAL);
    const { rows, pages } = await walk(`sort=${sort}&limit=250`, () => insertSpread(25));
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(before.length / 250));
    const ids = rows.map((r) => r.id);
    expect(new Set(ids).size, 'no row is served twice').toBe(ids.length);
    const seen = new Set(ids);
    expect(before.filter((r) => !seen.has(r.id)), 'no row present at the start is skipped').toEqual([]);
    expect(inOrder(rows, sort.replace('-', '') as 'created_at' | 'updated_at', desc)).toBe(true);
  });

  test('the default sort is -created_at and small pages walk the same rows as large ones', async () => {
    const small = await walk('limit=149');
    const large = await walk('limit=250&sort=-created_at');
    expect(small.rows.map((r) => r.id)).toEqual(large.rows.map((r) => r.id));
    expect(inOrder(small.rows, 'created_at', true)).toBe(true);
  });

  test('filters keep applying on later pages', async () => {
    const from = new Date(BASE + 100 * 1000).toISOString();
    const to = new Date(BASE + 200 * 1000).toISOString();
    const { rows } = await walk(`limit=50&sort=created_at&created_from=${from}&created_to=${to}`);
    const expected = await gw.tdb.db.selectFrom('orders').select('id').where('created_at', '>=', new Date(from)).where('created_at', '<', new Date(to)).execute();
    expect(rows.map((r) => r.id).sort()).toEqual(expected.map((r) => r.id).sort());
    expect(rows.every((r) => r.created_at >= from && r.created_at < to)).toBe(true);
  });
});

describe('sub-millisecond upstream timestamps', () => {
  test('orders created within one millisecond page without gaps or repeats, both ways', async () => {
    const con = await seedConnection(gw.tdb.db, gw.a.id, 'scripted', 'Microseconds');
    const micro = { tenantId: gw.a.id, connectionId: con.id, channel: 'scripted' };
    const inputs = Array.from({ length: 30 }, (_, k) => {
      const t = `2027-01-01T00:00:00.123${String(k * 31).padStart(3, '0')}Z`;
      return { ...orderInput(90_000 + k, { lines: 1 }), created_at: t, updated_at: t, placed_at: t };
    });
    await upsertOrders(gw.tdb.db, micro, inputs);
    for (const sort of ['created_at', '-created_at', 'updated_at', '-updated_at']) {
      const { rows } = await walk(`connection_id=${con.id}&sort=${sort}&limit=4`);
      expect(rows.length, sort).toBe(30);
      expect(new Set(rows.map((r) => r.id)).size, sort).toBe(30);
    }
  });
});

describe('cursors', () => {
  const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8').toString('base64url');

  test('a cursor only continues the sort it was made for', async () => {
    const first = await ok(gw.call('/v1/orders?limit=2&sort=created_at'));
    expect(first.next_cursor).toEqual(expect.any(String));
    await ok(gw.call(`/v1/orders?limit=2&sort=created_at&cursor=${first.next_cursor}`));
    for (const sort of ['-created_at', 'updated_at', '-updated_at']) {
      await problem(gw.call(`/v1/orders?limit=2&sort=${sort}&cursor=${first.next_cursor}`), 400, { type: 'validation', paths: ['cursor'] });
    }
    // No sort means -created_at: a created_at cursor does not fit it either.
    await problem(gw.call(`/v1/orders?limit=2&cursor=${first.next_cursor}`), 400, { paths: ['cursor'] });
  });

  test("another list's cursor with another sort is refused", async () => {
    const con = await seedConnection(gw.tdb.db, gw.a.id, 'scripted', 'Stock');
    const { upsertInventory } = await import('../src/store/inventory.ts');
    const { inventoryInput } = await import('./support/seed.ts');
    await upsertInventory(gw.tdb.db, { tenantId: gw.a.id, connectionId: con.id, channel: 'scripted' }, [inventoryInput(1), inventoryInput(2)]);
    const inv = await ok(gw.call('/v1/inventory?limit=1'));
    await problem(gw.call(`/v1/orders?cursor=${inv.next_cursor}`), 400, { paths: ['cursor'] });
    const orders = await ok(gw.call('/v1/orders?limit=1'));
    await problem(gw.call(`/v1/inventory?cursor=${orders.next_cursor}`), 400, { paths: ['cursor'] });
  });

  test.each([
    ['not base64 JSON', 'garbage!'],
    ['base64 of text', b64('hello')],
    ['a JSON object', b64({ s: '-created_at', v: '2026-01-01T00:00:00.000Z', id: 'ord_x' })],
    ['a short array', b64(['-created_at', '2026-01-01T00:00:00.000Z'])],
    ['a numeric id', b64(['-created_at', '2026-01-01T00:00:00.000Z', 42])],
    ['an over-long id', b64(['-created_at', '2026-01-01T00:00:00.000Z', 'x'.repeat(65)])],
    ['a time that is not a time', b64(['-created_at', 'yesterday', 'ord_x'])],
    ['a null time', b64(['-created_at', null, 'ord_x'])],
    ['a year-only time', b64(['-created_at', '2026', 'ord_x'])],
    ['a free-form date', b64(['-created_at', 'Jan 1 2026', 'ord_x'])],
    ['year zero', b64(['-created_at', '0000-01-01T00:00:00.000Z', 'ord_x'])],
    ['a six-digit year', b64(['-created_at', '+275760-09-13T00:00:00.000Z', 'ord_x'])],
    ['over 512 characters', 'A'.repeat(513)],
  ])('a tampered cursor (%s) is a 400 naming cursor', async (_what, cursor) => {
    await problem(gw.call(`/v1/orders?cursor=${encodeURIComponent(cursor)}`), 400, { paths: ['cursor'] });
  });

  test('a well-formed cursor naming no existing row still pages from its position', async () => {
    const cursor = b64(['created_at', new Date(BASE + 10 * 1000).toISOString(), 'ord_']);
    const page = await ok(gw.call(`/v1/orders?sort=created_at&limit=3&cursor=${cursor}&fields=created_at`));
    expect(page.data.map((r: Row) => r.created_at)).toEqual(Array(3).fill(new Date(BASE + 10 * 1000).toISOString()));
  });
});
