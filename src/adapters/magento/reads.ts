// Single reads: one record by its external id (for notifications and replays), the store views as
// scopes, and the connection test.
import { AppError, isAppError } from '../../core/errors.ts';
import { assertUpstreamUrl } from '../../core/net.ts';
import { parseInventoryLevelId, type ChannelScope, type Entity, type RawRecord } from '../../core/ports.ts';
import { searchQuery, type MagentoRequest } from './client.ts';
import type { Enrichment } from './enrichment.ts';
import { updatedOf, type MagentoSession, type SearchResult } from './session.ts';

export interface Reads {
  fetchOne(entity: Entity, externalId: string): Promise<RawRecord | null>;
  listScopes(): Promise<ChannelScope[]>;
  testConnection(): Promise<void>;
}

export function createReads(session: MagentoSession, enrichment: Enrichment): Reads {
  const { client, settings: s, ctx } = session;
  const seg = encodeURIComponent;

  async function testConnection(): Promise<void> {
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
  }

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
        return p ? ((await enrichment.productRecords([p], null))[0] ?? null) : null;
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
        return row ? ((await enrichment.categoryRecords([row]))[0] ?? null) : null;
      }
      case 'inventory': {
        const level = parseInventoryLevelId(externalId);
        if (!level) return null;
        const { sku, location: source } = level;
        if (await session.usesMsi()) {
          const res = await client.request<SearchResult>({
            method: 'GET',
            path: '/V1/inventory/source-items',
            query: searchQuery({ groups: [[{ field: 'sku', value: sku, condition: 'eq' }]], pageSize: 100, currentPage: 1 }),
          });
          const all = res.items ?? [];
          const recs = await enrichment.msiRecords(all);
          return recs.find((r) => r.external_id === externalId) ?? null;
        }
        if (source !== 'default') return null;
        const p = await get({ method: 'GET', path: `/V1/products/${seg(sku)}` });
        return p ? (enrichment.legacyRecords([p])[0] ?? null) : null;
      }
    }
  }

  async function listScopes(): Promise<ChannelScope[]> {
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
  }

  return { fetchOne, listScopes, testConnection };
}
