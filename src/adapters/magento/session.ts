// One Magento connection's session: its client and settings, and what the adapter learns about the
// store once and keeps (whether it runs MSI, its currency and media URL, attribute option labels, store
// configs, whether the stock export route exists), plus the per-run memory of list reads. The pulls,
// enrichment, writes and single reads (pulls.ts, enrichment.ts, writes.ts, reads.ts) all work over it;
// nothing else is shared between them.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError, isAppError } from '../../core/errors.ts';
import type { AdapterContext } from '../../core/ports.ts';
import { MagentoClient, searchQuery } from './client.ts';
import { isoFromMagento } from './map.ts';
import type { MagentoCredentials, MagentoSettings } from './schemas.ts';

export type Ctx = AdapterContext<MagentoSettings, MagentoCredentials>;

export interface SearchResult<T = Record<string, unknown>> {
  items: T[];
  total_count: number;
}

export const rowId = (field: string) => (row: Record<string, unknown>) => {
  const v = row[field];
  if (typeof v !== 'number' && typeof v !== 'string') throw new AppError('upstream_unavailable', `magento list row without ${field}`);
  return String(v);
};

export const updatedOf = (row: Record<string, unknown>): string | null => {
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

export interface StoreInfo {
  currency: string;
  weight_unit: string | null;
  media_base_url: string | null;
  website_code: string | null;
}

/** What one list read (a run of pages) remembers: ids already returned and children seen. */
export interface RunState {
  seen: Set<string>;
  simples: Map<string, unknown>;
  parents?: Promise<Map<string, Record<string, unknown>>>;
}

export class MagentoSession {
  readonly client: MagentoClient;
  readonly settings: MagentoSettings;
  readonly log: Logger | undefined;
  /** Whether the store has the MSI stock export route (null: not tried yet). */
  exportRoute: boolean | null = null;
  #msiProbe: Promise<boolean> | null = null;
  #storeInfo: Promise<StoreInfo> | null = null;
  #viewConfigs: Promise<Record<string, unknown>[]> | null = null;
  readonly #optionLabels = new Map<string, Promise<Record<string, string>>>();
  /** Per run: ids already returned (Magento can repeat rows across pages) and simple products seen. */
  readonly #runs = new Map<string, RunState>();

  constructor(readonly ctx: Ctx) {
    this.client = new MagentoClient(ctx);
    this.settings = ctx.settings;
    this.log = ctx.log;
  }

  runState(r: string): RunState {
    let st = this.#runs.get(r);
    if (!st) {
      st = { seen: new Set(), simples: new Map() };
      this.#runs.set(r, st);
      while (this.#runs.size > 12) this.#runs.delete(this.#runs.keys().next().value!);
    }
    return st;
  }

  endRun(r: string): void {
    this.#runs.delete(r);
  }

  usesMsi(): Promise<boolean> {
    const s = this.settings;
    if (s.inventory !== 'auto') return Promise.resolve(s.inventory === 'msi');
    this.#msiProbe ??= this.client
      .request({ method: 'GET', path: '/V1/inventory/sources', query: searchQuery({ pageSize: 1, currentPage: 1 }) })
      .then(() => true)
      .catch((err: unknown) => {
        if (isAppError(err) && err.kind === 'not_found') return false;
        this.#msiProbe = null;
        throw err;
      });
    return this.#msiProbe;
  }

  /** The store view's currency, weight unit, media URL and website (read once; a failed read is tried again). */
  store(): Promise<StoreInfo> {
    const { client, settings: s } = this;
    this.#storeInfo ??= (async () => {
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
      this.#storeInfo = null;
      throw err;
    });
    return this.#storeInfo;
  }

  /** Store configs of every view, for the store_view_prices reads (read once per adapter; a failed read is tried again). */
  viewConfigs(): Promise<Record<string, unknown>[]> {
    this.#viewConfigs ??= this.client.request<Record<string, unknown>[]>({ method: 'GET', path: '/V1/store/storeConfigs' }).catch((err: unknown) => {
      this.#viewConfigs = null;
      throw err;
    });
    return this.#viewConfigs;
  }

  /** The option labels of a select attribute, by option value (empty when the attribute does not exist). */
  labelsOf(code: string): Promise<Record<string, string>> {
    let p = this.#optionLabels.get(code);
    if (!p) {
      p = this.client
        .request<{ label?: string; value?: string | number }[]>({ op: 'GET /V1/products/attributes/{x}/options', method: 'GET', path: `/V1/products/attributes/${encodeURIComponent(code)}/options` })
        .then((opts) => Object.fromEntries(opts.filter((o) => o.value !== undefined && o.value !== '' && typeof o.label === 'string').map((o) => [String(o.value), o.label!])))
        .catch((err: unknown) => {
          this.#optionLabels.delete(code);
          if (isAppError(err) && err.kind === 'not_found') return {};
          throw err;
        });
      this.#optionLabels.set(code, p);
    }
    return p;
  }

  /** One order by its entity id. */
  async getOrder(orderId: string): Promise<Record<string, unknown>> {
    if (!/^\d+$/.test(orderId)) throw new AppError('validation', `magento order id "${orderId}" is not an entity id`, { errors: [{ path: 'order_external_id', message: 'must be the numeric Magento order entity id' }] });
    return this.client.request<Record<string, unknown>>({ method: 'GET', path: `/V1/orders/${orderId}` });
  }
}

export function historiesOf(order: Record<string, unknown>): { comment?: string | null }[] {
  return Array.isArray(order.status_histories) ? (order.status_histories as { comment?: string | null }[]) : [];
}

