// The Magento REST client: URLs per store view, the three kinds of credentials, and Magento's error
// envelope mapped to AppError kinds. Every request goes through `request()`, and every call through the
// shared adapter transport (call budget, timeout, call reporting, redirects: src/adapters/kit/transport.ts).
import { createHash } from 'node:crypto';
import { AppError } from '../../core/errors.ts';
import type { AdapterContext, RateSpec } from '../../core/ports.ts';
import { answerText, retryAfterMs, statusError, UpstreamTransport } from '../kit/transport.ts';
import { oauthHeader, rfc3986 } from './oauth.ts';
import type { MagentoCredentials, MagentoSettings } from './schemas.ts';

export const CHANNEL = 'magento';

export { retryAfterMs };

/** Admin tokens live 4 hours by default (oauth/access_token_lifetime/admin); renew a little before. */
const ADMIN_TOKEN_REFRESH_MS = 3.75 * 3600_000;

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface MagentoRequest {
  /** Throttle and metrics name, e.g. `GET /V1/products`. Defaults to method + path template. */
  op?: string;
  method: Method;
  /** Path under /rest/<store>/, starting with /V1/. */
  path: string;
  /** Store code for the URL; defaults to the connection's store_code. `all` writes every store view. */
  store?: string;
  query?: [string, string][];
  body?: unknown;
}

/** A search filter: `condition` is Magento's conditionType (eq, in, gteq, lt, like, …). */
export interface Filter {
  field: string;
  value: string;
  condition?: string;
}

export interface SearchCriteria {
  /** Groups are AND'ed; the filters within a group are OR'ed. */
  groups?: Filter[][];
  sort?: { field: string; direction: 'ASC' | 'DESC' }[];
  pageSize?: number;
  currentPage?: number;
}

/** searchCriteria as query pairs, in the camelCase spelling of the admin schema. */
export function searchQuery(sc: SearchCriteria): [string, string][] {
  const out: [string, string][] = [];
  (sc.groups ?? []).forEach((group, g) =>
    group.forEach((f, i) => {
      const p = `searchCriteria[filterGroups][${g}][filters][${i}]`;
      out.push([`${p}[field]`, f.field], [`${p}[value]`, f.value], [`${p}[conditionType]`, f.condition ?? 'eq']);
    }),
  );
  (sc.sort ?? []).forEach((s, i) => out.push([`searchCriteria[sortOrders][${i}][field]`, s.field], [`searchCriteria[sortOrders][${i}][direction]`, s.direction]));
  if (sc.pageSize !== undefined) out.push(['searchCriteria[pageSize]', String(sc.pageSize)]);
  if (sc.currentPage !== undefined) out.push(['searchCriteria[currentPage]', String(sc.currentPage)]);
  // GET /V1/products refuses a request without searchCriteria; an empty one means "everything".
  if (out.length === 0) out.push(['searchCriteria', '']);
  return out;
}

/** Fills Magento's `%1` / `%name` placeholders from `parameters` (a list or a map). */
export function fillPlaceholders(message: string, parameters: unknown): string {
  if (parameters === null || typeof parameters !== 'object') return message;
  const list = Array.isArray(parameters) ? parameters : null;
  const map = list ? null : (parameters as Record<string, unknown>);
  return message.replace(/%(\d+|[A-Za-z_][A-Za-z0-9_]*)/g, (whole, key: string) => {
    const v = list ? (/^\d+$/.test(key) ? list[Number(key) - 1] : undefined) : map![key];
    return v === undefined || v === null ? whole : typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

interface Envelope {
  message: string;
  parameters?: unknown;
  errors?: { message: string; parameters?: unknown }[];
}

function readEnvelope(text: string): Envelope | null {
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') return v as Envelope;
  } catch {
    // not JSON: the caller keeps the status alone
  }
  return null;
}

/** `/V1/products/SKU-1` → `/V1/products/{x}`: numbers and identifiers after a resource name. */
function template(path: string): string {
  return path.replace(/\/(?:products|orders|order|shipment|customers|categories|stockItems|attributes|configurable-products|get-product-salable-quantity)\/([^/]+)/g, (m, seg: string) =>
    ['search', 'list', 'attributes', 'items', 'create', 'base-prices', 'lowStock', 'track'].includes(seg) ? m : m.slice(0, m.length - seg.length) + '{x}',
  );
}

export class MagentoClient {
  readonly #ctx: AdapterContext<MagentoSettings, MagentoCredentials>;
  readonly #base: string;
  readonly #account: string;
  #adminToken: { value: string; refreshAt: number } | null = null;
  #adminTokenPending: Promise<string> | null = null;
  readonly #transport: UpstreamTransport;

  constructor(ctx: AdapterContext<MagentoSettings, MagentoCredentials>) {
    this.#ctx = ctx;
    this.#base = ctx.settings.base_url.replace(/\/+$/, '');
    const c = ctx.credentials;
    const who = c.type === 'oauth1' ? c.consumer_key + c.access_token : c.type === 'bearer' ? c.token : c.username;
    // The bucket is the store's (base URL + account); its name carries a hash, never a secret.
    this.#account = createHash('sha256').update(`${this.#base}\n${c.type}\n${who}`).digest('hex').slice(0, 16);
    this.#transport = new UpstreamTransport({ channel: CHANNEL, ctx, timeoutMs: ctx.settings.timeout_ms, throttleKey: (op) => this.throttleKey(op), requestIdHeader: 'x-request-id' });
  }

  /** Calls made, for benchmarks and tests. */
  get calls(): number {
    return this.#transport.calls;
  }

  get baseUrl(): string {
    return this.#base;
  }

  throttleKey(op: string): string {
    return `${CHANNEL}:${this.#account}:${op}`;
  }

  get #spec(): RateSpec {
    return { ratePerSec: this.#ctx.settings.rate_per_sec, burst: this.#ctx.settings.burst };
  }

  url(r: MagentoRequest): URL {
    const store = r.store ?? this.#ctx.settings.store_code;
    const qs = (r.query ?? []).map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join('&');
    return new URL(`${this.#base}/rest/${encodeURIComponent(store)}${r.path}${qs ? `?${qs}` : ''}`);
  }

  /** One request; its JSON answer, or an AppError. An admin token refused with 401 is renewed once. */
  async request<T = unknown>(r: MagentoRequest): Promise<T> {
    const creds = this.#ctx.credentials;
    for (let renewed = false; ; renewed = true) {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (r.body !== undefined) headers['content-type'] = 'application/json';
      const url = this.url(r);
      if (creds.type === 'oauth1') headers.authorization = oauthHeader(r.method, url, creds);
      else if (creds.type === 'bearer') headers.authorization = `Bearer ${creds.token}`;
      else headers.authorization = `Bearer ${await this.#admin()}`;
      const { status, text, res } = await this.#exchange(r, url, headers);
      if (status === 401 && creds.type === 'admin' && !renewed) {
        this.#adminToken = null;
        continue;
      }
      if (status >= 200 && status <= 299) return this.#json<T>(r, text);
      throw await this.#error(r, status, text, res);
    }
  }

  #json<T>(r: MagentoRequest, text: string): T {
    try {
      return (text === '' ? null : JSON.parse(text)) as T;
    } catch (err) {
      throw new AppError('upstream_unavailable', `${CHANNEL} ${this.#op(r)} answered a malformed JSON body`, { cause: err });
    }
  }

  #op(r: MagentoRequest): string {
    return r.op ?? `${r.method} ${template(r.path)}`;
  }

  async #exchange(r: MagentoRequest, url: URL, headers: Record<string, string>): Promise<{ status: number; text: string; res: { headers: Headers } }> {
    const a = await this.#transport.send({ op: this.#op(r), rate: this.#spec, url, method: r.method, headers, body: r.body === undefined ? undefined : JSON.stringify(r.body) });
    return { status: a.status, text: answerText(a), res: a };
  }

  async #error(r: MagentoRequest, status: number, text: string, res: { headers: Headers }): Promise<AppError> {
    const op = this.#op(r);
    const env = readEnvelope(text);
    const detail = env ? fillPlaceholders(env.message, env.parameters) : '';
    const message = `${CHANNEL} ${op} answered ${status}${detail ? `: ${detail.slice(0, 500)}` : ''}`;
    if (status === 429) {
      const wait = retryAfterMs(res.headers.get('retry-after')) ?? Math.ceil(1000 / this.#spec.ratePerSec);
      return this.#transport.throttled(op, wait, `${message} (retry after ${wait} ms)`);
    }
    // Magento answers some refused OAuth consumers with 400 and this message.
    if (/consumer isn't authorized/i.test(detail)) return new AppError('auth_failed', message, { retriable: false });
    const errors = env?.errors?.length
      ? env.errors.map((e) => ({ path: '(upstream)', message: fillPlaceholders(e.message, e.parameters) }))
      : detail
        ? [{ path: '(upstream)', message: detail }]
        : undefined;
    return statusError(status, message, { errors });
  }

  /** The cached admin token, fetched with the username and password when missing or old. */
  async #admin(): Promise<string> {
    if (this.#adminToken && Date.now() < this.#adminToken.refreshAt) return this.#adminToken.value;
    this.#adminTokenPending ??= (async () => {
      try {
        const creds = this.#ctx.credentials;
        if (creds.type !== 'admin') throw new AppError('internal', 'admin token requested without admin credentials');
        const req: MagentoRequest = { op: 'POST /V1/integration/admin/token', method: 'POST', path: '/V1/integration/admin/token', body: { username: creds.username, password: creds.password } };
        const { status, text, res } = await this.#exchange(req, this.url(req), { accept: 'application/json', 'content-type': 'application/json' });
        if (status !== 200) {
          const err = await this.#error(req, status, text, res);
          // Magento answers 401 (and, for locked accounts, 400/401) to wrong admin credentials.
          if (status === 400 || status === 401) throw new AppError('auth_failed', `${CHANNEL} refused the admin username or password: ${err.message}`, { retriable: false });
          throw err;
        }
        const token = this.#json<unknown>(req, text);
        if (typeof token !== 'string' || token.length === 0) throw new AppError('upstream_unavailable', `${CHANNEL} admin token answer was not a token`);
        this.#adminToken = { value: token, refreshAt: Date.now() + ADMIN_TOKEN_REFRESH_MS };
        return token;
      } finally {
        this.#adminTokenPending = null;
      }
    })();
    return this.#adminTokenPending;
  }
}
