// searchCriteria as Magento applies it: groups AND'ed, filters inside a group OR'ed, every condition type,
// both spellings, sort orders, paging with total_count, the repeated last page and rows duplicated across pages.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startMagentoSim, type MagentoSim } from './index.ts';
import { call, criteria, type Crit } from './client.ts';
import { matches, parseSearchCriteria } from './search.ts';

let sim: MagentoSim;
beforeAll(async () => {
  sim = await startMagentoSim({ seed: { simples: 30, configurables: 2, orders: 45, customers: 6 } });
});
afterAll(async () => {
  expect(sim.violations).toEqual([]);
  await sim.stop();
});

type P = { id: number; sku: string; price: number; status: number; type_id: string; updated_at: string };
type List<T> = { items: T[]; total_count: number; search_criteria: { filter_groups: { filters: { field: string; value: string; condition_type: string }[] }[]; page_size?: number; current_page?: number; sort_orders?: unknown[] } };
const products = async (c: Crit) => (await call<List<P>>(sim, 'GET', `/rest/default/V1/products?${criteria(c)}`)).body;
const skus = async (c: Crit) => (await products({ pageSize: 300, ...c })).items.map((p) => p.sku);

describe('filters', () => {
  test('filters within a group are OR\'ed, groups are AND\'ed', async () => {
    const or = await skus({ groups: [[['sku', 'SIM-000001'], ['sku', 'SIM-000002']]] });
    expect(or).toEqual(['SIM-000001', 'SIM-000002']);
    const and = await skus({ groups: [[['sku', 'SIM-000001'], ['sku', 'SIM-000002']], [['sku', 'SIM-000002']]] });
    expect(and).toEqual(['SIM-000002']);
    const none = await skus({ groups: [[['sku', 'SIM-000001']], [['sku', 'SIM-000002']]] });
    expect(none).toEqual([]);
  });

  test('every condition type', async () => {
    const all = sim.state.products;
    const bySku = (pred: (p: (typeof all)[number]) => boolean) => all.filter(pred).map((p) => p.sku);
    expect(await skus({ groups: [[['sku', 'sim-000003', 'eq']]] })).toEqual(['SIM-000003']);
    expect((await skus({ groups: [[['type_id', 'simple', 'neq']]] })).sort()).toEqual(bySku((p) => p.type_id !== 'simple').sort());
    expect(await skus({ groups: [[['price', '100', 'gt']]] })).toEqual(bySku((p) => p.price > 100));
    expect(await skus({ groups: [[['price', '100', 'gteq']]] })).toEqual(bySku((p) => p.price >= 100));
    expect(await skus({ groups: [[['price', '50', 'lt']]] })).toEqual(bySku((p) => p.price < 50));
    expect(await skus({ groups: [[['price', '50', 'lteq']]] })).toEqual(bySku((p) => p.price <= 50));
    expect(await skus({ groups: [[['sku', 'CFG-000001-%', 'like']]] })).toEqual(['CFG-000001-RED-S', 'CFG-000001-BLUE-M', 'CFG-000001-GREEN-L']);
    expect((await skus({ groups: [[['sku', 'SIM-%', 'nlike']]] })).every((s) => s.startsWith('CFG'))).toBe(true);
    expect(await skus({ groups: [[['sku', 'SIM-000004,SIM-000007', 'in']]] })).toEqual(['SIM-000004', 'SIM-000007']);
    expect((await skus({ groups: [[['sku', 'SIM-000004,SIM-000007', 'nin']]] })).length).toBe(all.length - 2);
    expect(await skus({ groups: [[['weight', '', 'null']]] })).toEqual(['CFG-000001', 'CFG-000002']);
    expect((await skus({ groups: [[['weight', '', 'notnull']]] })).length).toBe(all.length - 2);
    expect(await skus({ groups: [[['price', '10', 'from']], [['price', '20', 'to']]] })).toEqual(bySku((p) => p.price >= 10 && p.price <= 20));
    expect(await skus({ groups: [[['category_id', '4', 'finset']]] })).toEqual(bySku((p) => p.category_ids.includes(4)));
    expect(await skus({ groups: [[['price', '100', 'moreq']]] })).toEqual(bySku((p) => p.price >= 100));
  });

  test('date ranges on updated_at (the incremental-sync filter)', async () => {
    const mid = sim.state.products[10]!;
    const from = new Date(mid.updated_at).toISOString().slice(0, 19).replace('T', ' ');
    const got = await skus({ groups: [[['updated_at', from, 'gteq']]] });
    expect(got).toEqual(sim.state.products.filter((p) => p.updated_at >= Math.floor(mid.updated_at / 1000) * 1000).map((p) => p.sku));
  });

  test('snake_case spelling gives the same answer as camelCase', async () => {
    const c: Crit = { groups: [[['sku', 'SIM-00001%', 'like']]], sort: [['price', 'DESC']], pageSize: 4, currentPage: 2 };
    const camel = await products(c);
    const snake = await products({ ...c, snake: true });
    expect(snake.items.map((p) => p.sku)).toEqual(camel.items.map((p) => p.sku));
    expect(snake.total_count).toBe(camel.total_count);
  });

  test('search_criteria is echoed with the default condition type filled in', async () => {
    const r = await products({ groups: [[['sku', 'SIM-000001']]], pageSize: 5, currentPage: 1 });
    expect(r.search_criteria).toEqual({ filter_groups: [{ filters: [{ field: 'sku', value: 'SIM-000001', condition_type: 'eq' }] }], page_size: 5, current_page: 1 });
  });

  test('sort orders, several, with direction', async () => {
    const r = await skus({ sort: [['type_id', 'ASC'], ['price', 'DESC']], groups: [[['sku', 'SIM-00000%', 'like'], ['sku', 'CFG-000001', 'eq']]] });
    const expected = sim.state.products
      .filter((p) => p.sku.startsWith('SIM-00000') || p.sku === 'CFG-000001')
      .sort((a, b) => (a.type_id < b.type_id ? -1 : a.type_id > b.type_id ? 1 : b.price - a.price || a.id - b.id))
      .map((p) => p.sku);
    expect(r).toEqual(expected);
  });

  test('unit: matcher edge cases (case-insensitive eq and like, multi-valued attributes, like escapes)', () => {
    expect(matches('Abc', { field: 'x', value: 'aBC', condition_type: 'eq' })).toBe(true);
    expect(matches('a_b', { field: 'x', value: 'a\\_b', condition_type: 'like' })).toBe(true);
    expect(matches('axb', { field: 'x', value: 'a\\_b', condition_type: 'like' })).toBe(false);
    expect(matches([3, 4], { field: 'x', value: '4', condition_type: 'eq' })).toBe(true);
    expect(matches(null, { field: 'x', value: '4', condition_type: 'neq' })).toBe(false);
    // in/nin compare like eq: numbers as numbers, text case-insensitively, spaces around list items ignored.
    expect(matches('sim-000004', { field: 'x', value: 'SIM-000003, SIM-000004', condition_type: 'in' })).toBe(true);
    expect(matches(7, { field: 'x', value: '07.0,8', condition_type: 'in' })).toBe(true);
    expect(matches('7a', { field: 'x', value: '7,8', condition_type: 'in' })).toBe(false);
    expect(matches([1, 2], { field: 'x', value: '2', condition_type: 'nin' })).toBe(false);
    expect(matches('b', { field: 'x', value: 'A,C', condition_type: 'nin' })).toBe(true);
    expect(matches('1,2,10', { field: 'x', value: '10', condition_type: 'finset' })).toBe(true);
    expect(matches('1,2,10', { field: 'x', value: '0', condition_type: 'finset' })).toBe(false);
    expect(() => parseSearchCriteria(new URLSearchParams('searchCriteria[filterGroups][0][filters][0][field]=a&searchCriteria[filterGroups][0][filters][0][value]=1&searchCriteria[filterGroups][0][filters][0][conditionType]=bogus'), 300)).toThrow(/Invalid condition type/);
  });

  test('bad condition type and oversize pages are 400s with Magento\'s envelope', async () => {
    const bad = await call(sim, 'GET', `/rest/default/V1/products?${criteria({ groups: [[['sku', 'x', 'bogus']]] })}`);
    expect(bad).toEqual({ status: 400, body: { message: 'Invalid condition type: %1', parameters: ['bogus'] } });
    const big = await call(sim, 'GET', `/rest/default/V1/products?${criteria({ pageSize: 301 })}`);
    expect(big).toEqual({ status: 400, body: { message: 'Maximum SearchCriteria pageSize is %max', parameters: { max: '300' } } });
  });

  test('an unknown column in an order filter is the masked production 500', async () => {
    const r = await call<{ message: string }>(sim, 'GET', `/rest/default/V1/orders?${criteria({ groups: [[['no_such_column', '1']]] })}`);
    expect(r.status).toBe(500);
    expect(r.body.message).toMatch(/^Internal Error\. Details are available in Magento log file\. Report ID: webapi-[0-9a-f]+$/);
  });
});

describe('paging', () => {
  const orders = (c: Crit) => call<List<{ entity_id: number }>>(sim, 'GET', `/rest/default/V1/orders?${criteria(c)}`);

  test('total_count counts the whole match; pages partition it', async () => {
    const seen: number[] = [];
    for (let page = 1; page <= 5; page++) {
      const r = (await orders({ pageSize: 10, currentPage: page, sort: [['entity_id', 'ASC']] })).body;
      expect(r.total_count).toBe(45);
      seen.push(...r.items.map((o) => o.entity_id));
    }
    expect(seen).toEqual(sim.state.orders.slice(0, 45).map((o) => o.entity_id));
  });

  test('a page past the end repeats the last page (default), or is empty when switched off', async () => {
    const last = (await orders({ pageSize: 10, currentPage: 5 })).body.items.map((o) => o.entity_id);
    const past = (await orders({ pageSize: 10, currentPage: 9 })).body;
    expect(past.items.map((o) => o.entity_id)).toEqual(last);
    expect(past.total_count).toBe(45);
    sim.faults.repeatLastPage(false);
    try {
      expect((await orders({ pageSize: 10, currentPage: 9 })).body.items).toEqual([]);
    } finally {
      sim.faults.repeatLastPage(true);
    }
  });

  test('duplicateAcrossPages: each page after the first starts with the previous page\'s last row', async () => {
    sim.faults.duplicateAcrossPages(true);
    try {
      const p1 = (await orders({ pageSize: 10, currentPage: 1 })).body.items.map((o) => o.entity_id);
      const p2 = (await orders({ pageSize: 10, currentPage: 2 })).body.items.map((o) => o.entity_id);
      expect(p2[0]).toBe(p1[9]);
      const all = new Set<number>();
      for (let page = 1; page <= 5; page++) for (const o of (await orders({ pageSize: 10, currentPage: page })).body.items) all.add(o.entity_id);
      expect(all.size).toBe(45);
    } finally {
      sim.faults.clear();
    }
  });

  test('the next page of a query sees rows changed between pages (cached results are dropped)', async () => {
    const c: Crit = { groups: [[['updated_at', '2030-01-01 00:00:00', 'gteq']]], sort: [['updated_at', 'ASC']], pageSize: 2, currentPage: 1 };
    expect((await products(c)).total_count).toBe(0);
    sim.state.touchProduct('SIM-000011', Date.UTC(2030, 0, 2));
    expect((await products(c)).items.map((p) => p.sku)).toEqual(['SIM-000011']);
    // a hand edit that moves updated_at is seen too
    sim.state.product('SIM-000012')!.updated_at = Date.UTC(2030, 0, 1);
    expect((await products(c)).items.map((p) => p.sku)).toEqual(['SIM-000012', 'SIM-000011']);
    await call(sim, 'PUT', '/rest/all/V1/products/SIM-000013', { product: { price: 1 } });
    expect((await products({ ...c, groups: [[['updated_at', '2026-01-01 00:00:00', 'gteq']]] })).total_count).toBeGreaterThanOrEqual(1);
  });

  test('no pageSize: Magento\'s default page (the maximum page size)', async () => {
    const r = (await call<List<P>>(sim, 'GET', '/rest/default/V1/products?searchCriteria')).body;
    expect(r.items.length).toBe(sim.state.products.length);
    expect(r.search_criteria).toEqual({ filter_groups: [] });
  });
});
