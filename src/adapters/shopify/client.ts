// The Shopify Admin GraphQL client of one connection: @shopify/admin-api-client 2.0.0 (request building,
// headers, API version) with our transport as its `customFetchApi` (timeouts, SSRF-checked redirects, call
// reporting) and its own retries off. Throttling is by query cost, not by calls: the caller gives each query's
// requested cost, taken from the shared throttle before the call; Shopify's `extensions.cost` then refunds the
// unused part and tells what its bucket holds (restore rate, size, points left). A THROTTLED answer waits for
// the points it needs (inline when short, else a throttled error with the wait); a query over the single-query
// maximum is refused before it is sent. Credentials: an Admin API access token, or the client-credentials grant
// (tokens expire after about 24 h and are renewed before; a refused grant is auth_failed, never retried).
import { createAdminApiClient, type AdminApiClient } from '@shopify/admin-api-client';
import { AppError } from '../../core/errors.ts';
import type { AdapterContext, RateSpec } from '../../core/ports.ts';
import { answerText, retryAfterMs, statusError, UpstreamTransport } from '../kit/transport.ts';

export const DEFAULT_API_VERSION = '2026-10';
/** Shopify refuses a query whose requested cost is above this, before running it. */
export const MAX_QUERY_COST = 1000;
/** The Standard plan: 100 points a second; the bucket is learned from the first answer. */
export const STANDARD_RATE: RateSpec = { ratePerSec: 100, burst: 2000 };
/** A client-credentials token is renewed this long before it expires. */
export const TOKEN_RENEW_MS = 10 * 60_000;
/** A THROTTLED answer whose points come back within this is retried inline, once. */
export const INLINE_THROTTLE_WAIT_MS = 2_000;

export type ShopifyCredentials = { type: 'access_token'; access_token: string } | { type: 'client_credentials'; client_id: string; client_secret: string };

export interface QueryCost {
  requestedQueryCost: number;
  actualQueryCost: number | null;
  throttleStatus: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
}

export interface GraphQLErrorItem {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [k: string]: unknown };
}

export interface ShopifyClientOptions {
  /** `acme.myshopify.com` */
  shop: string;
  /** Another origin to send to instead of https://<shop> (a simulator, a proxy); checked like any upstream. */
  endpoint?: string | undefined;
  apiVersion?: string;
  credentials: ShopifyCredentials;
  ctx: Pick<AdapterContext<unknown, unknown>, 'connectionId' | 'throttle' | 'onUpstreamCall' | 'log' | 'allowPrivateUpstreams'>;
  timeoutMs?: number;
  rate?: RateSpec;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class ShopifyClient {
  readonly transport: UpstreamTransport;
  readonly apiVersion: string;
  /** Points the last answers reported, for tests and benchmarks. */
  readonly costs: QueryCost[] = [];
  #token: { value: string; expiresAt: number | null } | null = null;
  #api: AdminApiClient | null = null;
  readonly #clock: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #origin: string;

  constructor(private readonly o: ShopifyClientOptions) {
    this.apiVersion = o.apiVersion ?? DEFAULT_API_VERSION;
    this.#clock = o.clock ?? Date.now;
    this.#sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.#origin = new URL(o.endpoint ?? `https://${o.shop}`).origin;
    this.transport = new UpstreamTransport({
      channel: 'shopify',
      ctx: o.ctx,
      timeoutMs: o.timeoutMs ?? 30_000,
      throttleKey: (op) => this.throttleKey(op),
      requestIdHeader: 'x-request-id',
      logAs: 'shopify call',
    });
  }

  /** One bucket per (shop, app): every query of the connection draws on it. */
  throttleKey(_op = 'graphql'): string {
    return `shopify:${this.o.shop}:graphql`;
  }

  /**
   * Runs one query or mutation whose requested cost is `cost` (the caller knows its page sizes). Answers
   * the data; throws AppError for refusals (validation for a query Shopify refuses, throttled with the wait).
   * @example await client.query('shop', '{ shop { name } }', {}, 1)
   */
  async query<T>(op: string, document: string, variables: Record<string, unknown>, cost: number): Promise<{ data: T; cost: QueryCost | null }> {
    if (cost > MAX_QUERY_COST) throw new AppError('validation', `shopify ${op}: requested cost ${cost} is over the single-query maximum of ${MAX_QUERY_COST}; split it`, { retriable: false });
    const rate = this.o.rate ?? STANDARD_RATE;
    for (let attempt = 1; ; attempt++) {
      await this.o.ctx.throttle?.acquire(this.throttleKey(op), rate, { tokens: Math.max(1, cost) });
      const api = await this.#client();
      let res: Response;
      try {
        res = await api.fetch(document, { variables });
      } catch (err) {
        await this.#giveBack(op, cost);
        throw err;
      }
      const text = await res.text();
      if (res.status === 429) {
        const wait = retryAfterMs(res.headers.get('retry-after')) ?? 1000;
        throw await this.transport.throttled(op, wait, `shopify ${op} answered 429`);
      }
      if (res.status === 401 || res.status === 403) {
        // A client-credentials token may have been revoked early: drop it so the next call asks again.
        if (this.o.credentials.type === 'client_credentials') this.#forget();
        await this.#giveBack(op, cost);
        throw statusError(res.status, `shopify ${op} answered ${res.status}`, { authHint: 'the access token was refused' });
      }
      if (res.status !== 200) {
        await this.#giveBack(op, cost);
        throw statusError(res.status, `shopify ${op} answered ${res.status}`);
      }
      let body: { data?: T; errors?: GraphQLErrorItem[]; extensions?: { cost?: QueryCost } };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        await this.#giveBack(op, cost);
        throw new AppError('upstream_unavailable', `shopify ${op} answered 200 with a body that is not JSON`);
      }
      const c = body.extensions?.cost ?? null;
      if (c) {
        this.costs.push(c);
        await this.#learn(op, c, cost);
      } else await this.#giveBack(op, cost);
      const errors = body.errors ?? [];
      if (errors.some((e) => e.extensions?.code === 'THROTTLED')) {
        const status = c?.throttleStatus;
        const needed = c ? c.requestedQueryCost : cost;
        const wait = status ? Math.ceil((Math.max(0, needed - status.currentlyAvailable) / status.restoreRate) * 1000) : 1000;
        // Once: with the shared throttle the next acquire waits for the points (the bucket now holds what
        // Shopify said is left); without one, a short wait is slept here.
        if (attempt === 1 && (this.o.ctx.throttle || wait <= INLINE_THROTTLE_WAIT_MS)) {
          if (!this.o.ctx.throttle) await this.#sleep(wait);
          continue;
        }
        throw new AppError('throttled', `shopify ${op} was throttled: ${needed} points needed, ${status?.currentlyAvailable ?? '?'} available`, { retryAfterMs: wait });
      }
      if (errors.length && body.data == null) {
        const code = errors[0]?.extensions?.code;
        const kind = code === 'ACCESS_DENIED' ? 'forbidden' : code === 'INTERNAL_SERVER_ERROR' ? 'upstream_unavailable' : 'validation';
        throw new AppError(kind, `shopify ${op} was refused: ${errors.map((e) => e.message).join('; ')}`, {
          retriable: kind === 'upstream_unavailable',
          errors: errors.map((e) => ({ path: (e.path ?? []).join('.') || '(query)', message: e.message })),
        });
      }
      if (errors.length) throw new AppError('upstream_rejected', `shopify ${op}: ${errors.map((e) => `${(e.path ?? []).join('.')}: ${e.message}`).join('; ')}`);
      return { data: body.data as T, cost: c };
    }
  }

  /** The refund Shopify made, and what its bucket holds now. */
  async #learn(op: string, c: QueryCost, took: number): Promise<void> {
    const t = this.o.ctx.throttle;
    if (!t) return;
    const key = this.throttleKey(op);
    const spent = c.actualQueryCost ?? 0;
    if (took > spent) await t.refund(key, took - spent);
    const s = c.throttleStatus;
    await t.learn(key, { ratePerSec: s.restoreRate, burst: s.maximumAvailable, available: s.currentlyAvailable });
  }

  /** No answer said what the call cost: Shopify charged nothing we can see, give the points back. */
  async #giveBack(op: string, took: number): Promise<void> {
    await this.o.ctx.throttle?.refund(this.throttleKey(op), Math.max(1, took));
  }

  #forget(): void {
    this.#token = null;
    this.#api = null;
  }

  async #client(): Promise<AdminApiClient> {
    const now = this.#clock();
    if (this.#api && this.#token && (this.#token.expiresAt === null || this.#token.expiresAt - TOKEN_RENEW_MS > now)) return this.#api;
    const token = await this.#accessToken();
    this.#token = token;
    const origin = this.#origin;
    const fetchVia = this.transport.asFetch(() => 'graphql', null);
    this.#api = createAdminApiClient({
      storeDomain: this.o.shop,
      apiVersion: this.apiVersion,
      accessToken: token.value,
      retries: 0,
      isTesting: false,
      // The library builds https://<shop>/admin/api/<version>/graphql.json; the connection's endpoint may differ.
      customFetchApi: (url, init) => {
        const u = new URL(url);
        return fetchVia(new URL(u.pathname + u.search, origin), init);
      },
      logger: (log) => this.o.ctx.log?.debug({ connection_id: this.o.ctx.connectionId, type: log.type }, 'shopify client'),
    });
    return this.#api;
  }

  async #accessToken(): Promise<{ value: string; expiresAt: number | null }> {
    const c = this.o.credentials;
    if (c.type === 'access_token') return { value: c.access_token, expiresAt: null };
    const url = new URL('/admin/oauth/access_token', this.#origin);
    const a = await this.transport.send({
      op: 'POST /admin/oauth/access_token',
      rate: null,
      url,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ client_id: c.client_id, client_secret: c.client_secret, grant_type: 'client_credentials' }),
    });
    if (a.status !== 200) {
      // A refused grant is not retried: the connection needs new credentials.
      throw new AppError('auth_failed', `shopify refused the client-credentials grant (${a.status})`, { retriable: false });
    }
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(answerText(a)) as typeof body;
    } catch {
      throw new AppError('upstream_unavailable', 'shopify answered the token grant with a body that is not JSON');
    }
    if (typeof body.access_token !== 'string') throw new AppError('upstream_unavailable', 'shopify answered the token grant without an access token');
    const ttl = typeof body.expires_in === 'number' ? body.expires_in * 1000 : null;
    return { value: body.access_token, expiresAt: ttl === null ? null : this.#clock() + ttl };
  }
}
