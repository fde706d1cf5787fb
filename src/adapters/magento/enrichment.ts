// Enrichment: list rows made into the records the adapter hands over. A product read with its
// configurable's children, option labels and store view prices; MSI source items with salable
// quantities; legacy stock items; categories with their path names.
import { AppError, isAppError } from '../../core/errors.ts';
import { inventoryLevelId, type RawRecord } from '../../core/ports.ts';
import { searchQuery } from './client.ts';
import type { CategoryPayload, InventoryPayload, ProductPayload } from './map.ts';
import { updatedOf, type MagentoSession, type SearchResult } from './session.ts';

export interface Enrichment {
  /** Products with what their payload needs; with a run, configurables of changed children join the batch. */
  productRecords(batch: Record<string, unknown>[], run: string | null): Promise<RawRecord[]>;
  msiRecords(rows: Record<string, unknown>[]): Promise<RawRecord[]>;
  legacyRecords(rows: Record<string, unknown>[]): RawRecord[];
  categoryRecords(rows: Record<string, unknown>[]): Promise<RawRecord[]>;
}

export function createEnrichment(session: MagentoSession): Enrichment {
  const { client, settings: s, log } = session;
  const seg = encodeURIComponent;
  const store = () => session.store();
  const labelsOf = (code: string) => session.labelsOf(code);
  const runState = (run: string) => session.runState(run);

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
  async function pricesInViews(ids: string[]): Promise<{ scope: string; currency: string; prices: Record<string, number> }[]> {
    if (s.store_view_prices.length === 0 || ids.length === 0) return [];
    // Store configs change rarely: read once per adapter (a failed read is tried again next time).
    const configs = await session.viewConfigs();
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
      return { external_id: inventoryLevelId(sku, String(payload.source_code)), updated_at: null, payload };
    });
  }

  /**
   * Salable quantity (quantity less reservations) per SKU in the configured stock: one export call per
   * page of SKUs (Magento_InventoryExportStockApi, by the store view's website), or, where that module is
   * absent, one get-product-salable-quantity call per SKU, a few at a time.
   */
  async function salableQuantities(skus: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (session.exportRoute !== false && skus.length > 0) {
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
        session.exportRoute = true;
        return out;
      } catch (err) {
        if (!isAppError(err) || err.kind !== 'not_found') throw err;
        session.exportRoute = false;
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
      out.push({ external_id: inventoryLevelId(String(payload.sku), 'default'), updated_at: null, payload });
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

  return { productRecords, msiRecords, legacyRecords, categoryRecords };
}
