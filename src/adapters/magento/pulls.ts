// Pulls: paged incremental list reads with searchCriteria. Pages are counted against total_count (Magento
// repeats its last page past the end), read a few at a time, stepped back when the total shrinks, rows
// repeated within a run dropped, and the next batch fetched while the engine stores the last one.
import { AppError } from '../../core/errors.ts';
import { decodeToken, encodeToken } from '../../core/ids.ts';
import { inventoryLevelId, type Entity, type PullPage, type PullRequest, type PullWindow, type RawRecord } from '../../core/ports.ts';
import { searchQuery, type Filter } from './client.ts';
import type { Enrichment } from './enrichment.ts';
import { magentoFromIso } from './map.ts';
import { idempotencyMarker, rowId, updatedOf, type MagentoSession, type SearchResult } from './session.ts';

/** Where a list read stands: next page, the total it counts against, the page size, and the run. */
interface Cursor {
  v: 1;
  p: number;
  n: number;
  s: number;
  r: string;
}

const encodeCursor = (c: Cursor) => encodeToken(c);
function decodeCursor(s: string): Cursor {
  const c = decodeToken(s) as Partial<Cursor> | null | undefined;
  if (c && c.v === 1 && Number.isInteger(c.p) && Number.isInteger(c.n) && Number.isInteger(c.s) && typeof c.r === 'string') return c as Cursor;
  throw new AppError('validation', 'magento pull cursor is not readable', { retriable: false });
}

/** How each entity is listed: route, the id and updated-at of a row, and whether the window applies. */
interface ListSpec {
  path: string;
  idOf(row: Record<string, unknown>): string;
  windowed: boolean;
  sort: { field: string; direction: 'ASC' | 'DESC' }[];
}

const byUpdated = [
  { field: 'updated_at', direction: 'ASC' as const },
  { field: 'entity_id', direction: 'ASC' as const },
];

export function createPulls(session: MagentoSession, enrichment: Enrichment): { pull(entity: Entity, request: PullRequest): Promise<PullPage> } {
  const { client, settings: s, log } = session;
  const runState = (run: string) => session.runState(run);
  /** Per entity: the next batch, already on its way while the engine stores the last one. */
  const prefetch = new Map<Entity, { key: string; result: Promise<Pulled> }>();

  async function windowedCriteria(spec: ListSpec, window: PullWindow): Promise<Filter[][]> {
    if (!spec.windowed) return [];
    const groups: Filter[][] = [[{ field: 'updated_at', value: magentoFromIso(window.to), condition: 'lt' }]];
    if (window.from) groups.push([{ field: 'updated_at', value: magentoFromIso(window.from), condition: 'gteq' }]);
    return groups;
  }

  async function page(spec: ListSpec, groups: Filter[][], size: number, n: number): Promise<SearchResult> {
    const res = await client.request<SearchResult>({ method: 'GET', path: spec.path, query: searchQuery({ groups, sort: spec.sort, pageSize: size, currentPage: n }) });
    if (!res || !Array.isArray(res.items) || typeof res.total_count !== 'number') throw new AppError('upstream_unavailable', `magento GET ${spec.path} answered without items and total_count`);
    return res;
  }

  interface Batch {
    rows: Record<string, unknown>[];
    run: string;
    next: Cursor | null;
  }

  /**
   * The next pages of a list. The end is decided by total_count (page × size ≥ total), never by a page
   * coming back: Magento answers every page past the end with the last page again. After the first page
   * the rest are fetched `page_concurrency` at a time. A total that shrank while paging means rows left
   * the window (updated again) and later rows moved up: the read steps back by that many rows.
   */
  async function batch(spec: ListSpec, window: PullWindow, cursor: Cursor | null): Promise<Batch> {
    const groups = await windowedCriteria(spec, window);
    const size = cursor?.s ?? s.page_size;
    const results: SearchResult[] = [];
    let first = cursor?.p ?? 1;
    let total = cursor?.n ?? 0;
    const run = cursor?.r ?? idempotencyMarker(`${Date.now()}:${Math.random()}`).slice(3, 15);
    if (!cursor) {
      const head = await page(spec, groups, size, 1);
      results.push(head);
      total = head.total_count;
      first = 2;
    }
    const lastPage = Math.ceil(total / size);
    const upTo = Math.min(lastPage, first + (cursor ? s.page_concurrency : s.page_concurrency - 1) - 1);
    const pages: number[] = [];
    for (let p = first; p <= upTo; p++) pages.push(p);
    results.push(...(await Promise.all(pages.map((p) => page(spec, groups, size, p)))));
    const read = pages.length ? pages[pages.length - 1]! : first - 1;
    const numbered = [...(cursor ? [] : [1]), ...pages].map((p, i) => ({ p, total: results[i]!.total_count }));
    const smallest = Math.min(total, ...numbered.map((r) => r.total));
    let nextPage = read + 1;
    if (smallest < total) {
      // Rows after the one that left moved up into pages read before: read again from the page before
      // the first page that saw the smaller total (far enough back for the whole shrink).
      const firstShrunk = numbered.find((r) => r.total < total)!.p;
      nextPage = Math.max(1, firstShrunk - Math.ceil((total - smallest) / size));
      log?.debug({ path: spec.path, shrink: total - smallest }, 'magento total_count shrank while paging; stepping back');
    }
    // Rows repeated within the batch are dropped here; across batches when the batch is delivered.
    const seen = new Set<string>();
    const rows: Record<string, unknown>[] = [];
    for (const r of results) {
      for (const row of r.items) {
        const key = spec.idOf(row);
        if (seen.has(key)) continue;
        seen.add(key);
        rows.push(row);
      }
    }
    const done = (nextPage - 1) * size >= smallest;
    return { rows, run, next: done ? null : { v: 1, p: nextPage, n: smallest, s: size, r: run } };
  }

  const SPECS: Record<Exclude<Entity, 'inventory'>, ListSpec> = {
    products: { path: '/V1/products', idOf: rowId('sku'), windowed: true, sort: byUpdated },
    orders: { path: '/V1/orders', idOf: rowId('entity_id'), windowed: true, sort: byUpdated },
    shipments: { path: '/V1/shipments', idOf: rowId('entity_id'), windowed: true, sort: byUpdated },
    // Customers and categories are EAV lists whose rows carry `id`: sorted on updated_at alone.
    customers: { path: '/V1/customers/search', idOf: rowId('id'), windowed: true, sort: [byUpdated[0]!] },
    categories: { path: '/V1/categories/list', idOf: rowId('id'), windowed: true, sort: [byUpdated[0]!] },
  };
  const MSI_ITEMS: ListSpec = {
    path: '/V1/inventory/source-items',
    idOf: (row) => inventoryLevelId(String(row.sku), String(row.source_code)),
    windowed: false,
    sort: [
      { field: 'sku', direction: 'ASC' },
      { field: 'source_code', direction: 'ASC' },
    ],
  };
  const LEGACY_ITEMS: ListSpec = { path: '/V1/products', idOf: rowId('sku'), windowed: false, sort: [{ field: 'entity_id', direction: 'ASC' }] };

  async function records(entity: Entity, rows: Record<string, unknown>[], run: string | null, msi: boolean): Promise<RawRecord[]> {
    switch (entity) {
      case 'products':
        return enrichment.productRecords(rows, run);
      case 'inventory':
        return msi ? enrichment.msiRecords(rows) : enrichment.legacyRecords(rows);
      case 'categories':
        return enrichment.categoryRecords(rows);
      case 'orders':
      case 'shipments':
      case 'customers':
        return rows.map((r) => ({ external_id: SPECS[entity].idOf(r), updated_at: updatedOf(r), payload: r }));
    }
  }

  async function pullBatch(entity: Entity, window: PullWindow, cursor: Cursor | null): Promise<Pulled> {
    const msi = entity === 'inventory' ? await session.usesMsi() : false;
    const spec = entity === 'inventory' ? (msi ? MSI_ITEMS : LEGACY_ITEMS) : SPECS[entity];
    const b = await batch(spec, window, cursor);
    const recs = await records(entity, b.rows, b.run, msi);
    return { page: { records: recs, next: b.next ? encodeCursor(b.next) : null }, cursor: b.next, run: b.run };
  }

  interface Pulled {
    page: PullPage;
    cursor: Cursor | null;
    run: string;
  }

  const prefetchKey = (entity: Entity, window: PullWindow, cursor: string) => `${entity}|${window.from}|${window.to}|${cursor}`;


  async function pull(entity: Entity, request: PullRequest): Promise<PullPage> {
    const cursor = request.cursor ? decodeCursor(request.cursor) : null;
    const ahead = prefetch.get(entity);
    prefetch.delete(entity);
    const result = ahead && request.cursor && ahead.key === prefetchKey(entity, request.window, request.cursor) ? ahead.result : pullBatch(entity, request.window, cursor);
    const out = await result;
    // Rows Magento repeated on an earlier page of this run (or that a step back read again) go once.
    const st = runState(out.run);
    out.page.records = out.page.records.filter((r) => {
      if (st.seen.has(r.external_id)) return false;
      st.seen.add(r.external_id);
      return true;
    });
    if (!out.page.next) session.endRun(out.run);
    // While the engine stores this page, the next one is already on its way (latency hiding).
    if (out.page.next && out.cursor) {
      const p = pullBatch(entity, request.window, out.cursor);
      p.catch(() => undefined);
      prefetch.set(entity, { key: prefetchKey(entity, request.window, out.page.next), result: p });
    }
    return out.page;
  }

  return { pull };
}
