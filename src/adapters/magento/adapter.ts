// The Magento 2 channel adapter: paged incremental reads with searchCriteria, configurable products
// read with their children, MSI or legacy stock by probe, and idempotent writes. See BEHAVIOR.md.
import { createHash } from 'node:crypto';
import { AppError, isAppError } from '../../core/errors.ts';
import type { OrderInput } from '../../core/model/index.ts';
import { decodeToken, encodeToken } from '../../core/ids.ts';
import { assertUpstreamUrl } from '../../core/net.ts';
import type {
  AdapterContext,
  BulkResult,
  CancelOrderInput,
  ChannelAdapter,
  ChannelScope,
  CreateShipmentInput,
  Entity,
  ItemIssue,
  NormalizedByEntity,
  OrderCommentInput,
  PullPage,
  PullRequest,
  PullWindow,
  RawRecord,
  SetStockInput,
  UpdatePriceInput,
  UpdateProductInput,
  WriteContext,
  WriteResult,
} from '../../core/ports.ts';
import { MagentoClient, searchQuery, type Filter, type MagentoRequest } from './client.ts';
import {
  isoFromMagento,
  magentoFromIso,
  toCategory,
  toCustomer,
  toInventory,
  toOrder,
  toProduct,
  toShipment,
  type CategoryPayload,
  type InventoryPayload,
  type ProductPayload,
} from './map.ts';
import { createOrderStock } from './order-stock.ts';
import type { MagentoCredentials, MagentoSettings } from './schemas.ts';

type Ctx = AdapterContext<MagentoSettings, MagentoCredentials>;

interface SearchResult<T = Record<string, unknown>> {
  items: T[];
  total_count: number;
}

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

const rowId = (field: string) => (row: Record<string, unknown>) => {
  const v = row[field];
  if (typeof v !== 'number' && typeof v !== 'string') throw new AppError('upstream_unavailable', `magento list row without ${field}`);
  return String(v);
};

const updatedOf = (row: Record<string, unknown>): string | null => {
  const v = row.updated_at;
  if (typeof v !== 'string') return null;
  try {
    return isoFromMagento(v);
  } catch {
    return null;
  }
};

/** The short, stable marker an idempotent write leaves upstream (a comment, an ext_order_id). */
export function idempotencyMarker(key: string): string {
  return `sy-${createHash('sha256').update(key).digest('hex').slice(0, 29)}`;
}

const KNOWN_CARRIERS = new Set(['ups', 'usps', 'fedex', 'dhl', 'tablerate', 'flatrate', 'freeshipping']);

interface StoreInfo {
  currency: string;
  weight_unit: string | null;
  media_base_url: string | null;
  website_code: string | null;
}

export function createMagentoAdapter(ctx: Ctx): ChannelAdapter & { client: MagentoClient } {
  const client = new MagentoClient(ctx);
  const s = ctx.settings;
  const seg = encodeURIComponent;
  const log = ctx.log;

  let msiProbe: Promise<boolean> | null = null;
  /** Whether the store has the MSI stock export route (null: not tried yet). */
  let exportRoute: boolean | null = null;
  let storeInfo: Promise<StoreInfo> | null = null;
  const optionLabels = new Map<string, Promise<Record<string, string>>>();
  /** Per run: ids already returned (Magento can repeat rows across pages) and simple products seen. */
  const runs = new Map<string, { seen: Set<string>; simples: Map<string, unknown>; parents?: Promise<Map<string, Record<string, unknown>>> }>();
  /** Per entity: the next batch, already on its way while the engine stores the last one. */
  const prefetch = new Map<Entity, { key: string; result: Promise<Pulled> }>();
  const orderStock = createOrderStock({
    client,
    usesMsi: () => usesMsi(),
    history: async (id) => historiesOf(await getOrder(id)),
    log,
  });

  const runState = (r: string) => {
    let st = runs.get(r);
    if (!st) {
      st = { seen: new Set(), simples: new Map() };
      runs.set(r, st);
      while (runs.size > 12) runs.delete(runs.keys().next().value!);
    }
    return st;
  };

  function usesMsi(): Promise<boolean> {
    if (s.inventory !== 'auto') return Promise.resolve(s.inventory === 'msi');
    msiProbe ??= client
      .request({ method: 'GET', path: '/V1/inventory/sources', query: searchQuery({ pageSize: 1, currentPage: 1 }) })
      .then(() => true)
      .catch((err: unknown) => {
        if (isAppError(err) && err.kind === 'not_found') return false;
        msiProbe = null;
        throw err;
      });
    return msiProbe;
  }

  function store(): Promise<StoreInfo> {
    storeInfo ??= (async () => {
      const [configs, views, websites] = await Promise.all([
        client.request<Record<string, unknown>[]>({ method: 'GET', path: '/V1/store/storeConfigs' }),
        client.request<Record<string, unknown>[]>({ method: 'GET', path: '/V1/store/storeViews' }),
        client.request<Record<string, unknown>[]>({ method: 'GET', path: '/V1/store/websites' }),
      ]);
      const cfg = configs.find((c) => c.code === s.store_code) ?? configs.find((c) => c.code === 'default') ?? configs[0];
      const view = views.find((v) => v.code === s.store_code);
      const site = websites.find((w) => w.id === view?.website_id);
      const currency = typeof cfg?.base_currency_code === 'string' ? cfg.base_currency_code : 'USD';
      return {
        currency,
        weight_unit: typeof cfg?.weight_unit === 'string' ? cfg.weight_unit : null,
        media_base_url: typeof cfg?.secure_base_media_url === 'string' ? cfg.secure_base_media_url : typeof cfg?.base_media_url === 'string' ? cfg.base_media_url : `${client.baseUrl}/media/`,
        website_code: typeof site?.code === 'string' ? site.code : null,
      };
    })().catch((err: unknown) => {
      storeInfo = null;
      throw err;
    });
    return storeInfo;
  }

  function labelsOf(code: string): Promise<Record<string, string>> {
    let p = optionLabels.get(code);
    if (!p) {
      p = client
        .request<{ label?: string; value?: string | number }[]>({ op: 'GET /V1/products/attributes/{x}/options', method: 'GET', path: `/V1/products/attributes/${seg(code)}/options` })
        .then((opts) => Object.fromEntries(opts.filter((o) => o.value !== undefined && o.value !== '' && typeof o.label === 'string').map((o) => [String(o.value), o.label!])))
        .catch((err: unknown) => {
          optionLabels.delete(code);
          if (isAppError(err) && err.kind === 'not_found') return {};
          throw err;
        });
      optionLabels.set(code, p);
    }
    return p;
  }

  // ---- Lists ----

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
    idOf: (row) => `${String(row.sku)}@${String(row.source_code)}`,
    windowed: false,
    sort: [
      { field: 'sku', direction: 'ASC' },
      { field: 'source_code', direction: 'ASC' },
    ],
  };
  const LEGACY_ITEMS: ListSpec = { path: '/V1/products', idOf: rowId('sku'), windowed: false, sort: [{ field: 'entity_id', direction: 'ASC' }] };

  // ---- Enrichment of a batch into records ----

  const linksOf = (r: Record<string, unknown>) => (r.extension_attributes as { configurable_product_links?: unknown[] } | undefined)?.configurable_product_links ?? [];

  /**
   * Configurable products by the id of each child, listed once per run. Saving a child does not touch
   * its configurable's updated_at, so an incremental pull sees the child alone; the configurable (whose
   * variants the child is) has to be read again with it.
   */
  function parentsByChild(run: string): Promise<Map<string, Record<string, unknown>>> {
    const st = runState(run);
    st.parents ??= (async () => {
      const out = new Map<string, Record<string, unknown>>();
      for (let n = 1; ; n++) {
        const res = await client.request<SearchResult>({
          method: 'GET',
          path: '/V1/products',
          query: searchQuery({ groups: [[{ field: 'type_id', value: 'configurable', condition: 'eq' }]], sort: [{ field: 'entity_id', direction: 'ASC' }], pageSize: s.page_size, currentPage: n }),
        });
        for (const r of res.items ?? []) for (const l of linksOf(r)) out.set(String(l), r);
        // Magento answers the last page again past the end: the total says when to stop.
        if ((res.items ?? []).length < s.page_size || n * s.page_size >= res.total_count) break;
      }
      return out;
    })().catch((err: unknown) => {
      delete st.parents;
      throw err;
    });
    return st.parents;
  }

  async function productRecords(batch: Record<string, unknown>[], run: string | null): Promise<RawRecord[]> {
    const info = await store();
    let rows = batch;
    const children = run ? rows.filter((r) => r.type_id !== 'configurable' && Number(r.visibility) === 1) : [];
    if (children.length && run) {
      const byChild = await parentsByChild(run);
      const have = new Set(rows.map((r) => String(r.id)));
      const parents: Record<string, unknown>[] = [];
      for (const c of children) {
        const parent = byChild.get(String(c.id));
        if (parent && !have.has(String(parent.id))) {
          have.add(String(parent.id));
          parents.push(parent);
        }
      }
      rows = [...rows, ...parents];
    }
    const simples = run ? runState(run).simples : new Map<string, unknown>();
    const here = new Map<string, unknown>();
    for (const r of rows) if (r.type_id !== 'configurable') here.set(String(r.id), r);
    // Kept for later batches of the run: products not visible individually, i.e. the usual children.
    for (const r of rows) if (r.type_id !== 'configurable' && Number(r.visibility) === 1) simples.set(String(r.id), r);
    const known = (id: string) => here.get(id) ?? simples.get(id);
    const wanted = new Set<string>();
    for (const r of rows) {
      const links = linksOf(r);
      if (r.type_id === 'configurable') for (const l of links) if (!known(String(l))) wanted.add(String(l));
    }
    const missing = [...wanted];
    for (let i = 0; i < missing.length; i += s.page_size) {
      const ids = missing.slice(i, i + s.page_size);
      const res = await client.request<SearchResult>({
        method: 'GET',
        path: '/V1/products',
        query: searchQuery({ groups: [[{ field: 'entity_id', value: ids.join(','), condition: 'in' }]], pageSize: ids.length, currentPage: 1 }),
      });
      for (const c of res.items ?? []) here.set(String(c.id), c);
    }
    const viewPrices = await pricesInViews([...rows.map((r) => String(r.id)), ...[...here.keys()]]);
    const out: RawRecord[] = [];
    for (const r of rows) {
      const payload: ProductPayload = { product: r, currency: info.currency, weight_unit: info.weight_unit, media_base_url: info.media_base_url };
      if (viewPrices.length) payload.view_prices = viewPrices;
      if (r.type_id === 'configurable') {
        const links = linksOf(r);
        const children = links.map((l) => known(String(l))).filter((c): c is Record<string, unknown> => !!c);
        const options = (r.extension_attributes as { configurable_product_options?: { values?: { value_index?: unknown }[] }[] } | undefined)?.configurable_product_options ?? [];
        const codes = new Set<string>();
        for (const o of options) {
          const ids = new Set((o.values ?? []).map((v) => String(v.value_index)));
          for (const c of children) {
            const hit = ((c.custom_attributes ?? []) as { attribute_code: string; value: unknown }[]).find((a) => ids.has(String(a.value)));
            if (hit) {
              codes.add(hit.attribute_code);
              break;
            }
          }
        }
        const labels: Record<string, Record<string, string>> = {};
        for (const code of codes) labels[code] = await labelsOf(code);
        payload.children = children;
        payload.option_labels = labels;
      }
      out.push({ external_id: String(r.sku), updated_at: updatedOf(r), payload });
    }
    return out;
  }

  /**
   * Prices of these products through each store view of the store_view_prices setting: in website price
   * scope a view answers its website's price (the default view's read does not show it). One list read of
   * SKU and price per view and batch.
   */
  let viewConfigs: Promise<Record<string, unknown>[]> | null = null;
  async function pricesInViews(ids: string[]): Promise<{ scope: string; currency: string; prices: Record<string, number> }[]> {
    if (s.store_view_prices.length === 0 || ids.length === 0) return [];
    // Store configs change rarely: read once per adapter (a failed read is tried again next time).
    viewConfigs ??= client.request<Record<string, unknown>[]>({ method: 'GET', path: '/V1/store/storeConfigs' }).catch((err: unknown) => {
      viewConfigs = null;
      throw err;
    });
    const configs = await viewConfigs;
    const unique = [...new Set(ids)];
    const out: { scope: string; currency: string; prices: Record<string, number> }[] = [];
    for (const view of s.store_view_prices) {
      const cfg = configs.find((c) => c.code === view);
      if (!cfg) throw new AppError('validation', `magento has no store view ${view}`, { retriable: false, errors: [{ path: 'settings.store_view_prices', message: `no store view ${view}` }] });
      const prices: Record<string, number> = {};
      for (let i = 0; i < unique.length; i += s.page_size) {
        const batch = unique.slice(i, i + s.page_size);
        const res = await client.request<SearchResult>({
          method: 'GET',
          path: '/V1/products',
          store: view,
          query: [...searchQuery({ groups: [[{ field: 'entity_id', value: batch.join(','), condition: 'in' }]], pageSize: batch.length, currentPage: 1 }), ['fields', 'items[sku,price]']],
        });
        for (const item of res.items ?? []) if (typeof item.sku === 'string' && typeof item.price === 'number') prices[item.sku] = item.price;
      }
      out.push({ scope: view, currency: typeof cfg.base_currency_code === 'string' ? cfg.base_currency_code : 'USD', prices });
    }
    return out;
  }

  async function msiRecords(rows: Record<string, unknown>[]): Promise<RawRecord[]> {
    const observed = new Date().toISOString();
    const skus = [...new Set(rows.map((r) => String(r.sku)))];
    const sources = new Map<string, number>();
    for (const r of rows) sources.set(String(r.sku), (sources.get(String(r.sku)) ?? 0) + 1);
    const salable = await salableQuantities(skus);
    return rows.map((r) => {
      const sku = String(r.sku);
      const payload: InventoryPayload = {
        kind: 'msi',
        sku,
        source_code: String(r.source_code),
        quantity: Number(r.quantity ?? 0),
        salable_qty: salable.get(sku) ?? null,
        sources_of_sku: sources.get(sku) ?? 1,
        status: typeof r.status === 'number' ? r.status : null,
        observed_at: observed,
      };
      return { external_id: `${sku}@${payload.source_code}`, updated_at: null, payload };
    });
  }

  /**
   * Salable quantity (quantity less reservations) per SKU in the configured stock: one export call per
   * page of SKUs (Magento_InventoryExportStockApi, by the store view's website), or, where that module is
   * absent, one get-product-salable-quantity call per SKU, a few at a time.
   */
  async function salableQuantities(skus: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (exportRoute !== false && skus.length > 0) {
      const { website_code } = await store();
      try {
        for (let i = 0; i < skus.length; i += 300) {
          const chunk = skus.slice(i, i + 300);
          const res = await client.request<SearchResult>({
            op: 'GET /V1/inventory/export-stock-salable-qty/{salesChannelType}/{salesChannelCode}',
            method: 'GET',
            path: `/V1/inventory/export-stock-salable-qty/website/${seg(website_code ?? 'base')}`,
            query: searchQuery({ groups: [[{ field: 'sku', value: chunk.join(','), condition: 'in' }]], pageSize: chunk.length, currentPage: 1 }),
          });
          for (const it of res.items ?? []) if (typeof it.sku === 'string' && typeof it.qty === 'number') out.set(it.sku, it.qty);
        }
        exportRoute = true;
        return out;
      } catch (err) {
        if (!isAppError(err) || err.kind !== 'not_found') throw err;
        exportRoute = false;
        log?.info('magento store has no stock export route; reading salable quantities per SKU');
      }
    }
    const queue = [...skus];
    const worker = async () => {
      for (let sku = queue.shift(); sku !== undefined; sku = queue.shift()) {
        try {
          const q = await client.request<number>({
            op: 'GET /V1/inventory/get-product-salable-quantity/{sku}/{stockId}',
            method: 'GET',
            path: `/V1/inventory/get-product-salable-quantity/${seg(sku)}/${s.stock_id}`,
          });
          if (typeof q === 'number') out.set(sku, q);
        } catch (err) {
          // A SKU not assigned to the stock (or not manageable) has no salable quantity: keep the source quantity.
          if (!isAppError(err) || (err.kind !== 'validation' && err.kind !== 'not_found')) throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(s.page_concurrency, queue.length) }, worker));
    return out;
  }

  function legacyRecords(rows: Record<string, unknown>[]): RawRecord[] {
    const observed = new Date().toISOString();
    const out: RawRecord[] = [];
    for (const r of rows) {
      const item = (r.extension_attributes as { stock_item?: { qty?: unknown } } | undefined)?.stock_item;
      if (!item || r.type_id === 'configurable') continue;
      const payload: InventoryPayload = { kind: 'legacy', sku: String(r.sku), source_code: 'default', quantity: Number(item.qty ?? 0), salable_qty: null, sources_of_sku: 1, status: null, observed_at: observed };
      out.push({ external_id: `${payload.sku}@default`, updated_at: null, payload });
    }
    return out;
  }

  async function categoryRecords(rows: Record<string, unknown>[]): Promise<RawRecord[]> {
    if (rows.length === 0) return [];
    const names = new Map<string, string>();
    const walk = (node: Record<string, unknown>) => {
      names.set(String(node.id), String(node.name ?? ''));
      for (const c of (node.children_data ?? []) as Record<string, unknown>[]) walk(c);
    };
    walk(await client.request<Record<string, unknown>>({ method: 'GET', path: '/V1/categories' }));
    const observed = new Date().toISOString();
    return rows.map((r) => {
      const path = typeof r.path === 'string' ? r.path.split('/') : [String(r.id)];
      // The first id is the catalog root (level 0), which no shopper sees.
      const path_names = path.slice(1).map((id) => (id === String(r.id) ? String(r.name) : (names.get(id) ?? id)));
      const payload: CategoryPayload = { category: r, path_names, observed_at: observed };
      return { external_id: String(r.id), updated_at: updatedOf(r), payload };
    });
  }

  async function records(entity: Entity, rows: Record<string, unknown>[], run: string | null, msi: boolean): Promise<RawRecord[]> {
    switch (entity) {
      case 'products':
        return productRecords(rows, run);
      case 'inventory':
        return msi ? msiRecords(rows) : legacyRecords(rows);
      case 'categories':
        return categoryRecords(rows);
      case 'orders':
      case 'shipments':
      case 'customers':
        return rows.map((r) => ({ external_id: SPECS[entity].idOf(r), updated_at: updatedOf(r), payload: r }));
    }
  }

  async function pullBatch(entity: Entity, window: PullWindow, cursor: Cursor | null): Promise<Pulled> {
    const msi = entity === 'inventory' ? await usesMsi() : false;
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

  // ---- Writes ----

  async function getOrder(orderId: string): Promise<Record<string, unknown>> {
    if (!/^\d+$/.test(orderId)) throw new AppError('validation', `magento order id "${orderId}" is not an entity id`, { errors: [{ path: 'order_external_id', message: 'must be the numeric Magento order entity id' }] });
    return client.request<Record<string, unknown>>({ method: 'GET', path: `/V1/orders/${orderId}` });
  }

  async function sourceItems(skus: string[], source?: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (let i = 0; i < skus.length; i += 100) {
      const chunk = skus.slice(i, i + 100);
      const groups: Filter[][] = [[{ field: 'sku', value: chunk.join(','), condition: 'in' }]];
      if (source) groups.push([{ field: 'source_code', value: source, condition: 'eq' }]);
      const res = await client.request<SearchResult>({ method: 'GET', path: '/V1/inventory/source-items', query: searchQuery({ groups, pageSize: 300, currentPage: 1 }) });
      for (const r of res.items ?? []) out.set(`${String(r.sku)}@${String(r.source_code)}`, Number(r.quantity));
    }
    return out;
  }

  async function setStock(input: SetStockInput): Promise<WriteResult> {
    if (await usesMsi()) {
      const source = input.location_id ?? 'default';
      const current = await sourceItems([input.sku], source);
      const id = `${input.sku}@${source}`;
      // Setting an absolute quantity is idempotent by nature; reading first keeps a retry from writing at all.
      if (current.get(id) === input.quantity) return { external_id: id, data: { quantity: input.quantity, unchanged: true } };
      await client.request({ method: 'POST', path: '/V1/inventory/source-items', body: { sourceItems: [{ sku: input.sku, source_code: source, quantity: input.quantity, status: input.quantity > 0 ? 1 : 0 }] } });
      return { external_id: id, data: { quantity: input.quantity } };
    }
    if (input.location_id && input.location_id !== 'default') throw new AppError('validation', `magento without MSI has one stock; location "${input.location_id}" does not exist`, { errors: [{ path: 'location_id', message: 'must be "default" or empty' }] });
    const item = await client.request<{ item_id?: number; qty?: number }>({ method: 'GET', path: `/V1/stockItems/${seg(input.sku)}` });
    const id = `${input.sku}@default`;
    if (item.qty === input.quantity) return { external_id: id, data: { quantity: input.quantity, unchanged: true } };
    if (item.item_id === undefined) throw new AppError('upstream_rejected', `magento stock item of ${input.sku} has no item_id`);
    await client.request({ method: 'PUT', path: `/V1/products/${seg(input.sku)}/stockItems/${item.item_id}`, body: { stockItem: { qty: input.quantity, is_in_stock: input.quantity > 0 } } });
    return { external_id: id, data: { quantity: input.quantity } };
  }

  async function setStockBulk(inputs: SetStockInput[]): Promise<BulkResult> {
    const issues: ItemIssue[] = [];
    const accepted: string[] = [];
    if (!(await usesMsi())) {
      for (const i of inputs) {
        try {
          await setStock(i);
          accepted.push(i.sku);
        } catch (err) {
          if (!isAppError(err) || err.retriable) throw err;
          issues.push({ sku: i.sku, code: err.kind, message: err.message, severity: 'error' });
        }
      }
      return { accepted, issues };
    }
    const current = await sourceItems([...new Set(inputs.map((i) => i.sku))]);
    const changed = inputs.filter((i) => current.get(`${i.sku}@${i.location_id ?? 'default'}`) !== i.quantity);
    // One POST for every source item that differs (Magento saves the list in one transaction).
    for (let k = 0; k < changed.length; k += 500) {
      const chunk = changed.slice(k, k + 500);
      await client.request({
        method: 'POST',
        path: '/V1/inventory/source-items',
        body: { sourceItems: chunk.map((i) => ({ sku: i.sku, source_code: i.location_id ?? 'default', quantity: i.quantity, status: i.quantity > 0 ? 1 : 0 })) },
      });
    }
    return { accepted: inputs.map((i) => i.sku), issues };
  }

  async function updateProduct(input: UpdateProductInput): Promise<WriteResult> {
    const f = input.fields;
    const product: Record<string, unknown> = { sku: input.sku };
    if (f.title !== undefined) product.name = f.title;
    if (f.status !== undefined) {
      if (!['active', 'inactive', 'draft', 'archived'].includes(f.status)) throw new AppError('validation', `magento has no product status "${f.status}"`, { errors: [{ path: 'fields.status', message: 'unknown status' }] });
      product.status = f.status === 'active' ? 1 : 2;
    }
    const custom: { attribute_code: string; value: string }[] = [];
    if (f.description !== undefined) custom.push({ attribute_code: 'description', value: f.description ?? '' });
    for (const [k, v] of Object.entries(f.attributes ?? {})) custom.push({ attribute_code: k, value: Array.isArray(v) ? v.join(',') : v == null ? '' : String(v) });
    if (custom.length) product.custom_attributes = custom;
    // /rest/all/ writes the default (all store views) values; a PUT of the same fields twice changes nothing.
    await client.request({ method: 'PUT', store: 'all', path: `/V1/products/${seg(input.sku)}`, body: { product } });
    return { external_id: input.sku };
  }

  async function checkCurrency(p: UpdatePriceInput): Promise<void> {
    const { currency } = await store();
    for (const m of [p.price, p.sale_price]) {
      if (m && m.currency !== currency) throw new AppError('validation', `magento prices of this store are in ${currency}, not ${m.currency}`, { errors: [{ path: 'price.currency', message: `must be ${currency}` }] });
    }
  }

  async function updatePrice(input: UpdatePriceInput): Promise<WriteResult> {
    await checkCurrency(input);
    const product: Record<string, unknown> = { sku: input.sku, price: Number(input.price.amount) };
    if (input.sale_price !== undefined) product.custom_attributes = [{ attribute_code: 'special_price', value: input.sale_price ? input.sale_price.amount : '' }];
    await client.request({ method: 'PUT', store: 'all', path: `/V1/products/${seg(input.sku)}`, body: { product } });
    return { external_id: input.sku, data: { price: input.price.amount } };
  }

  async function updatePriceBulk(inputs: UpdatePriceInput[]): Promise<BulkResult> {
    const issues: ItemIssue[] = [];
    const ok: UpdatePriceInput[] = [];
    for (const i of inputs) {
      try {
        await checkCurrency(i);
        ok.push(i);
      } catch (err) {
        issues.push({ sku: i.sku, code: 'currency', message: (err as Error).message, severity: 'error' });
      }
    }
    const failed = new Set<string>();
    for (let k = 0; k < ok.length; k += 500) {
      const chunk = ok.slice(k, k + 500);
      let result: { message?: string; parameters?: string[] }[];
      try {
        result = await client.request<{ message?: string; parameters?: string[] }[]>({
          method: 'POST',
          path: '/V1/products/base-prices',
          body: { prices: chunk.map((i) => ({ sku: i.sku, price: Number(i.price.amount), store_id: 0 })) },
        });
      } catch (err) {
        // Stores without the price API (Magento_CatalogPriceApi off): one product save per SKU.
        if (!isAppError(err) || err.kind !== 'not_found') throw err;
        result = [];
        for (const i of chunk) {
          try {
            await updatePrice(i);
          } catch (e) {
            if (!isAppError(e) || e.retriable) throw e;
            result.push({ message: e.message, parameters: [i.sku] });
          }
        }
      }
      for (const r of result ?? []) {
        const sku = chunk.find((i) => (r.parameters ?? []).includes(i.sku))?.sku ?? '(unknown)';
        failed.add(sku);
        issues.push({ sku, code: 'rejected', message: String(r.message ?? 'rejected').replace(/%(\d+)/g, (m, n: string) => r.parameters?.[Number(n) - 1] ?? m), severity: 'error' });
      }
    }
    return { accepted: ok.map((i) => i.sku).filter((sku) => !failed.has(sku)), issues };
  }

  async function orderByExtId(ext: string): Promise<Record<string, unknown> | null> {
    const res = await client.request<SearchResult>({ method: 'GET', path: '/V1/orders', query: searchQuery({ groups: [[{ field: 'ext_order_id', value: ext, condition: 'eq' }]], pageSize: 1, currentPage: 1 }) });
    return res.items?.[0] ?? null;
  }

  /**
   * Saving the order entity reserves and deducts nothing (no checkout runs): with `order_stock: 'deduct'`
   * the lines' quantities are taken off stock here, once per order however often this is retried
   * (order-stock.ts). An order found by its ext_order_id (an earlier attempt created it) still goes
   * through this step: that attempt may have stopped before, during or after the stock write.
   */
  async function withStock(order: Record<string, unknown>, input: OrderInput, w: WriteContext, data: Record<string, unknown>): Promise<WriteResult> {
    const id = String(order.entity_id);
    if (s.order_stock === 'none') return { external_id: id, data };
    // The order answers carry the status history; one that does not (a trimmed answer) is read again,
    // since an earlier attempt's plan must never be missed.
    const histories = historiesOf(Array.isArray(order.status_histories) ? order : await getOrder(id));
    const res = await orderStock.deduct({ id, status: typeof order.status === 'string' ? order.status : null, histories }, input.lines, w.idempotencyKey);
    return { external_id: id, data: { ...data, stock: res.outcome, ...(res.skipped.length ? { stock_skipped: res.skipped } : {}) } };
  }

  function historiesOf(order: Record<string, unknown>): { comment?: string | null }[] {
    return Array.isArray(order.status_histories) ? (order.status_histories as { comment?: string | null }[]) : [];
  }

  async function createOrder(input: OrderInput, w: WriteContext): Promise<WriteResult> {
    const ext = idempotencyMarker(w.idempotencyKey);
    const found = await orderByExtId(ext);
    if (found) return withStock(found, input, w, { increment_id: found.increment_id ?? null, existing: true });
    const entity = orderEntity(input, ext, s.order_payment_method);
    const created = await client.request<Record<string, unknown>>({ method: 'POST', path: '/V1/orders', body: { entity } });
    return withStock(created, input, w, { increment_id: created.increment_id ?? null });
  }

  async function createShipment(input: CreateShipmentInput, w: WriteContext): Promise<WriteResult> {
    const orderId = input.order_external_id;
    const marker = idempotencyMarker(w.idempotencyKey);
    const existing = await client.request<SearchResult>({ method: 'GET', path: '/V1/shipments', query: searchQuery({ groups: [[{ field: 'order_id', value: orderId, condition: 'eq' }]], pageSize: 100, currentPage: 1 }) });
    const mine = (existing.items ?? []).find((sh) => ((sh.comments ?? []) as { comment?: string }[]).some((c) => c.comment?.includes(marker)));
    if (mine) return { external_id: String(mine.entity_id), data: { order_external_id: orderId, existing: true } };
    let items = input.lines.filter((l) => l.external_line_id).map((l) => ({ order_item_id: Number(l.external_line_id), qty: l.quantity }));
    if (items.length !== input.lines.length) {
      const order = await getOrder(orderId);
      const orderItems = ((order.items ?? []) as { item_id: number; sku: string; parent_item_id?: number | null }[]).filter((i) => i.parent_item_id == null);
      items = input.lines.map((l) => {
        if (l.external_line_id) return { order_item_id: Number(l.external_line_id), qty: l.quantity };
        const hit = orderItems.find((i) => i.sku === l.sku);
        if (!hit) throw new AppError('validation', `magento order ${orderId} has no line with SKU ${l.sku}`, { errors: [{ path: 'lines', message: `unknown SKU ${l.sku}` }] });
        return { order_item_id: hit.item_id, qty: l.quantity };
      });
    }
    const carrier = (input.carrier ?? '').trim();
    const code = KNOWN_CARRIERS.has(carrier.toLowerCase()) ? carrier.toLowerCase() : 'custom';
    const body: Record<string, unknown> = {
      items,
      notify: false,
      appendComment: true,
      // The marker lets a retried request find this shipment instead of creating a second one.
      comment: { comment: `Shipped via Switchyard [${marker}]`, is_visible_on_front: 0 },
    };
    if (input.tracking_number) body.tracks = [{ track_number: input.tracking_number, title: input.service ?? (carrier || 'Carrier'), carrier_code: code }];
    const id = await client.request<number | string>({ method: 'POST', path: `/V1/order/${seg(orderId)}/ship`, body });
    return { external_id: String(id), data: { order_external_id: orderId } };
  }

  async function addOrderComment(input: OrderCommentInput, w: WriteContext): Promise<WriteResult> {
    const marker = idempotencyMarker(w.idempotencyKey);
    const order = await getOrder(input.order_external_id);
    const histories = (order.status_histories ?? []) as { entity_id?: number; comment?: string }[];
    const mine = histories.find((h) => h.comment?.includes(marker));
    if (mine) return { external_id: mine.entity_id == null ? null : String(mine.entity_id), data: { existing: true } };
    const ok = await client.request<boolean>({
      method: 'POST',
      path: `/V1/orders/${seg(input.order_external_id)}/comments`,
      body: { statusHistory: { comment: `${input.comment} [${marker}]`, is_customer_notified: input.notify_customer ? 1 : 0, is_visible_on_front: 0, parent_id: Number(input.order_external_id), status: order.status } },
    });
    if (ok === false) throw new AppError('upstream_rejected', `magento did not add the comment to order ${input.order_external_id}`);
    return { external_id: null, data: { order_external_id: input.order_external_id } };
  }

  async function cancelOrder(input: CancelOrderInput): Promise<WriteResult> {
    const order = await getOrder(input.order_external_id);
    if (order.state === 'canceled') return { external_id: input.order_external_id, data: { status: order.status, existing: true } };
    const ok = await client.request<boolean>({ method: 'POST', path: `/V1/orders/${seg(input.order_external_id)}/cancel` });
    if (ok !== true) throw new AppError('upstream_rejected', `magento refused to cancel order ${input.order_external_id} (state ${String(order.state)})`, { retriable: false });
    return { external_id: input.order_external_id, data: { status: 'canceled' } };
  }

  // ---- Single reads ----

  async function fetchOne(entity: Entity, externalId: string): Promise<RawRecord | null> {
    const get = async (r: MagentoRequest) => {
      try {
        return await client.request<Record<string, unknown>>(r);
      } catch (err) {
        if (isAppError(err) && err.kind === 'not_found') return null;
        throw err;
      }
    };
    const numeric = /^\d+$/.test(externalId);
    switch (entity) {
      case 'products': {
        const p = await get({ method: 'GET', path: `/V1/products/${seg(externalId)}` });
        return p ? ((await productRecords([p], null))[0] ?? null) : null;
      }
      case 'orders':
      case 'shipments':
      case 'customers': {
        if (!numeric) return null;
        const path = entity === 'orders' ? `/V1/orders/${externalId}` : entity === 'shipments' ? `/V1/shipment/${externalId}` : `/V1/customers/${externalId}`;
        const row = await get({ method: 'GET', path });
        return row ? { external_id: externalId, updated_at: updatedOf(row), payload: row } : null;
      }
      case 'categories': {
        if (!numeric) return null;
        const row = await get({ method: 'GET', path: `/V1/categories/${externalId}` });
        return row ? ((await categoryRecords([row]))[0] ?? null) : null;
      }
      case 'inventory': {
        const at = externalId.lastIndexOf('@');
        if (at <= 0) return null;
        const sku = externalId.slice(0, at);
        const source = externalId.slice(at + 1);
        if (await usesMsi()) {
          const res = await client.request<SearchResult>({
            method: 'GET',
            path: '/V1/inventory/source-items',
            query: searchQuery({ groups: [[{ field: 'sku', value: sku, condition: 'eq' }]], pageSize: 100, currentPage: 1 }),
          });
          const all = res.items ?? [];
          const recs = await msiRecords(all);
          return recs.find((r) => r.external_id === externalId) ?? null;
        }
        if (source !== 'default') return null;
        const p = await get({ method: 'GET', path: `/V1/products/${seg(sku)}` });
        return p ? (legacyRecords([p])[0] ?? null) : null;
      }
    }
  }

  return {
    client,

    async testConnection() {
      await assertUpstreamUrl(s.base_url, ctx.allowPrivateUpstreams, 'settings.base_url');
      try {
        await client.request({ method: 'GET', path: '/V1/store/storeViews' });
      } catch (err) {
        if (isAppError(err) && err.kind === 'not_found') {
          throw new AppError('validation', `magento has no REST API at ${s.base_url}/rest/${s.store_code}/ (unknown store code or not a Magento store)`, {
            errors: [{ path: 'settings.store_code', message: 'not found on the store' }],
            retriable: false,
          });
        }
        throw err;
      }
    },

    async pull(entity: Entity, request: PullRequest): Promise<PullPage> {
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
      if (!out.page.next) runs.delete(out.run);
      // While the engine stores this page, the next one is already on its way (latency hiding).
      if (out.page.next && out.cursor) {
        const p = pullBatch(entity, request.window, out.cursor);
        p.catch(() => undefined);
        prefetch.set(entity, { key: prefetchKey(entity, request.window, out.page.next), result: p });
      }
      return out.page;
    },

    normalize<E extends Entity>(entity: E, record: RawRecord): NormalizedByEntity[E] {
      const map: { [K in Entity]: (r: RawRecord) => NormalizedByEntity[K] } = {
        products: toProduct,
        inventory: toInventory,
        orders: toOrder,
        shipments: toShipment,
        customers: toCustomer,
        categories: toCategory,
      };
      return map[entity](record) as NormalizedByEntity[E];
    },

    async fetch(entity: Entity, externalId: string) {
      return fetchOne(entity, externalId);
    },

    async listScopes(): Promise<ChannelScope[]> {
      const [views, websites, configs] = await Promise.all([
        client.request<Record<string, unknown>[]>({ method: 'GET', path: '/V1/store/storeViews' }),
        client.request<Record<string, unknown>[]>({ method: 'GET', path: '/V1/store/websites' }),
        client.request<Record<string, unknown>[]>({ method: 'GET', path: '/V1/store/storeConfigs' }),
      ]);
      return views
        .filter((v) => v.code !== 'admin' && v.id !== 0)
        .map((v) => {
          const cfg = configs.find((c) => c.code === v.code);
          const site = websites.find((w) => w.id === v.website_id);
          return {
            code: String(v.code),
            name: String(v.name ?? v.code),
            parent_code: typeof site?.code === 'string' ? site.code : null,
            currency: typeof cfg?.default_display_currency_code === 'string' ? cfg.default_display_currency_code : typeof cfg?.base_currency_code === 'string' ? cfg.base_currency_code : null,
            locale: typeof cfg?.locale === 'string' ? cfg.locale : null,
          };
        });
    },

    writes: {
      setStock: (input) => setStock(input),
      setStockBulk: (inputs) => setStockBulk(inputs),
      updateProduct: (input) => updateProduct(input),
      updatePrice: (input) => updatePrice(input),
      updatePriceBulk: (inputs) => updatePriceBulk(inputs),
      createOrder: (input, w) => createOrder(input, w),
      createShipment: (input, w) => createShipment(input, w),
      addOrderComment: (input, w) => addOrderComment(input, w),
      cancelOrder: (input) => cancelOrder(input),
    },
  };
}

// ---- createOrder payload ----

const n = (amount: string) => Number(amount);

function splitName(name: string | null | undefined): { firstname: string; lastname: string } {
  const parts = (name ?? '').trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return { firstname: 'Unknown', lastname: 'Customer' };
  if (parts.length === 1) return { firstname: parts[0]!, lastname: parts[0]! };
  return { firstname: parts.slice(0, -1).join(' '), lastname: parts[parts.length - 1]! };
}

function orderAddress(a: OrderInput['billing_address'], type: 'billing' | 'shipping', email: string) {
  const { firstname, lastname } = splitName(a?.name);
  return {
    address_type: type,
    firstname,
    lastname,
    company: a?.company ?? undefined,
    street: [a?.line1, a?.line2, a?.line3].filter((x): x is string => !!x),
    city: a?.city ?? '-',
    region: a?.region ?? undefined,
    postcode: a?.postal_code ?? '-',
    country_id: a?.country ?? 'US',
    telephone: a?.phone ?? '-',
    email: a?.email ?? email,
  };
}

/**
 * The order as Magento's order repository saves it (POST /V1/orders): every amount as the source
 * channel charged it, in its currency (base = order currency, rate 1), nothing recalculated.
 */
export function orderEntity(input: OrderInput, extOrderId: string, paymentMethod: string): Record<string, unknown> {
  const t = input.totals;
  const cur = input.currency;
  const email = input.customer.email ?? 'unknown@invalid.example';
  const { firstname, lastname } = splitName(input.customer.name ?? input.billing_address?.name);
  const items = input.lines.map((l) => {
    const q = l.quantity;
    const tax = n(l.tax.amount);
    const disc = n(l.discount.amount);
    const rowTotal = n(l.total.amount);
    return {
      sku: l.sku,
      name: l.title ?? l.sku,
      product_type: 'simple',
      qty_ordered: q,
      price: n(l.unit_price.amount),
      base_price: n(l.unit_price.amount),
      original_price: n(l.unit_price.amount),
      base_original_price: n(l.unit_price.amount),
      price_incl_tax: q > 0 ? Math.round(((rowTotal + tax) / q) * 10_000) / 10_000 : 0,
      row_total: rowTotal,
      base_row_total: rowTotal,
      row_total_incl_tax: Math.round((rowTotal + tax) * 10_000) / 10_000,
      base_row_total_incl_tax: Math.round((rowTotal + tax) * 10_000) / 10_000,
      tax_amount: tax,
      base_tax_amount: tax,
      discount_amount: disc,
      base_discount_amount: disc,
      ext_order_item_id: l.external_id.slice(0, 255),
    };
  });
  const billing = orderAddress(input.billing_address ?? input.shipping_address ?? null, 'billing', email);
  const shipping = orderAddress(input.shipping_address ?? input.billing_address ?? null, 'shipping', email);
  const money = (field: string, value: string) => ({ [field]: n(value), [`base_${field}`]: n(value) });
  return {
    ext_order_id: extOrderId,
    state: 'processing',
    status: 'processing',
    order_currency_code: cur,
    base_currency_code: cur,
    global_currency_code: cur,
    store_currency_code: cur,
    base_to_order_rate: 1,
    base_to_global_rate: 1,
    customer_email: email,
    customer_firstname: firstname,
    customer_lastname: lastname,
    customer_is_guest: 1,
    ...money('subtotal', t.subtotal.amount),
    ...money('shipping_amount', t.shipping.amount),
    ...money('tax_amount', t.tax.amount),
    // Magento keeps discounts negative.
    discount_amount: -n(t.discount.amount),
    base_discount_amount: -n(t.discount.amount),
    ...money('grand_total', t.total.amount),
    total_qty_ordered: input.lines.reduce((q, l) => q + l.quantity, 0),
    total_item_count: input.lines.length,
    created_at: input.placed_at ? magentoFromIso(input.placed_at) : undefined,
    items,
    billing_address: billing,
    payment: { method: paymentMethod, account_status: null, additional_information: [`source order ${input.order_number}`], cc_last4: null, amount_ordered: n(t.total.amount), base_amount_ordered: n(t.total.amount) },
    status_histories: [{ comment: `Imported by Switchyard: order ${input.order_number}${input.marketplace_id ? ` (${input.marketplace_id})` : ''} [${extOrderId}]`, is_customer_notified: 0, is_visible_on_front: 0, parent_id: 0, status: 'processing' }],
    extension_attributes: {
      shipping_assignments: [{ shipping: { address: shipping, method: 'flatrate_flatrate', total: { shipping_amount: n(t.shipping.amount), base_shipping_amount: n(t.shipping.amount) } }, items: [] }],
    },
  };
}

