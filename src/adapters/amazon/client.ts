// The SP-API HTTP client: regional hosts, the LWA access token in `x-amz-access-token` (no SigV4), every
// operation at its documented rate (adapted from x-amzn-RateLimit-Limit), 429 QuotaExceeded turned into a
// throttled AppError after spending the bucket, SP-API's error bodies read. Calls go through the shared
// adapter transport (call budget, timeout, reporting and logging with x-amzn-RequestId, redirects,
// status to error kind: src/adapters/kit/transport.ts).
import { createHash } from 'node:crypto';
import { AppError, type FieldError } from '../../core/errors.ts';
import { assertUpstreamUrl } from '../../core/net.ts';
import type { AdapterContext, RateSpec } from '../../core/ports.ts';
import { answerText, statusError, UpstreamTransport } from '../kit/transport.ts';
import { LwaTokens, NOTIFICATIONS_SCOPE } from './lwa.ts';
import { REGION_HOSTS } from './marketplaces.ts';
import { OPERATION_RATES, SIDE_CALL_RATE, type SideCall, type SpOperation } from './rates.ts';
import type { AmazonCredentials, AmazonSettings } from './settings.ts';

export const CHANNEL = 'amazon';

export type QueryValue = string | number | boolean | readonly string[] | null | undefined;

export interface SpCall {
  op: SpOperation;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with its parameters already encoded, e.g. `/orders/2026-01-01/orders/902-…`. */
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Use a grantless (client-credentials) token: the notifications operations. */
  grantless?: boolean;
}

/** One entry of SP-API's `{errors:[{code,message,details}]}`. */
export interface SpError {
  code: string;
  message: string;
  details?: string;
}

/** Reads `errors` from an SP-API error body (v0 and dated APIs alike). */
export function spErrors(body: unknown): SpError[] {
  const list = (body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(list)) return [];
  return list
    .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
    .map((e) => ({ code: String(e.code ?? ''), message: String(e.message ?? ''), ...(e.details === undefined ? {} : { details: String(e.details) }) }));
}

export type AmazonContext = AdapterContext<AmazonSettings, AmazonCredentials>;

export class SpApiClient {
  readonly ctx: AmazonContext;
  readonly base: string;
  readonly lwaUrl: string;
  readonly tokens: LwaTokens;
  readonly #account: string;
  readonly #learned = new Map<string, number>();
  readonly #transport: UpstreamTransport;

  constructor(ctx: AmazonContext) {
    this.ctx = ctx;
    const hosts = REGION_HOSTS[ctx.settings.region];
    this.base = (ctx.settings.endpoint ?? hosts.api).replace(/\/+$/, '');
    this.lwaUrl = ctx.settings.lwa_endpoint ?? hosts.lwa;
    // Amazon's usage plans are per selling partner and application: the bucket key hashes both.
    this.#account = createHash('sha256').update([this.base, ctx.settings.seller_id, ctx.credentials.client_id].join('\n')).digest('hex').slice(0, 16);
    this.#transport = new UpstreamTransport({ channel: CHANNEL, ctx, timeoutMs: ctx.settings.timeout_ms, throttleKey: (op) => this.throttleKey(op), requestIdHeader: 'x-amzn-requestid', logAs: 'amazon call' });
    this.tokens = new LwaTokens({
      endpoint: this.lwaUrl,
      credentials: ctx.credentials,
      exchange: async (form) => {
        const { res, text } = await this.#send('lwaToken', SIDE_CALL_RATE, new URL(this.lwaUrl), {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8', accept: 'application/json' },
          body: form.toString(),
        });
        return { status: res.status, text };
      },
    });
  }

  /** Both upstream addresses are public (or private ones are allowed here). */
  async assertAddresses(): Promise<void> {
    await assertUpstreamUrl(this.base, this.ctx.allowPrivateUpstreams, 'settings.endpoint');
    await assertUpstreamUrl(this.lwaUrl, this.ctx.allowPrivateUpstreams, 'settings.lwa_endpoint');
  }

  /** The throttle key of an operation, e.g. `amazon:3f2a…:searchOrders`. */
  throttleKey(op: string): string {
    return `${CHANNEL}:${this.#account}:${op}`;
  }

  /** The rate in force for an operation: what the upstream last told us, else the documented one. */
  rateOf(op: SpOperation): number {
    return this.#learned.get(op) ?? OPERATION_RATES[op].ratePerSec;
  }

  /**
   * One SP-API call; the parsed JSON body of a 2xx answer (null when empty), else an AppError.
   * An access token refused with 403 is replaced once before the 403 counts.
   */
  async call(c: SpCall): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.get(c.grantless ? NOTIFICATIONS_SCOPE : null);
      const url = new URL(this.base + c.path);
      for (const [k, v] of Object.entries(c.query ?? {})) {
        if (v === undefined || v === null) continue;
        url.searchParams.set(k, Array.isArray(v) ? v.join(',') : String(v));
      }
      const headers: Record<string, string> = { accept: 'application/json', 'x-amz-access-token': token, 'user-agent': 'switchyard/0.1 (Language=TypeScript)' };
      if (c.body !== undefined) headers['content-type'] = 'application/json';
      const { res, text } = await this.#send(c.op, OPERATION_RATES[c.op], url, { method: c.method, headers, body: c.body === undefined ? undefined : JSON.stringify(c.body) });
      await this.#learn(c.op, res.headers.get('x-amzn-ratelimit-limit'));
      let body: unknown = null;
      if (text !== '') {
        try {
          body = JSON.parse(text) as unknown;
        } catch (err) {
          if (res.status >= 200 && res.status < 300) throw new AppError('upstream_unavailable', `${CHANNEL} ${c.op} answered a malformed JSON body`, { cause: err });
        }
      }
      if (res.status >= 200 && res.status < 300) return body;
      if (res.status === 403 && attempt === 0) {
        // Expired or revoked access token (Unauthorized / MissingAuthenticationToken): fetch a new one once.
        this.tokens.invalidate(token);
        continue;
      }
      throw this.#statusError(c.op, res.status, body);
    }
  }

  /** A presigned document transfer (feed upload, report and schema download): no token, own bucket. */
  async transfer(op: SideCall, url: string, init: { method: 'GET' | 'PUT'; body?: Uint8Array | string; contentType?: string }): Promise<Uint8Array> {
    const target = await assertUpstreamUrl(url, this.ctx.allowPrivateUpstreams, `${op} url`);
    const headers: Record<string, string> = {};
    if (init.contentType) headers['content-type'] = init.contentType;
    const { res, bytes } = await this.#send(op, SIDE_CALL_RATE, target, { method: init.method, headers, body: init.body }, true);
    if (res.status < 200 || res.status > 299) {
      if (res.status >= 500 || res.status === 429) throw new AppError('upstream_unavailable', `${CHANNEL} ${op} answered ${res.status}`);
      throw new AppError('upstream_rejected', `${CHANNEL} ${op} answered ${res.status}`);
    }
    return bytes;
  }

  async #send(op: string, spec: RateSpec, url: URL, init: { method: string; headers: Record<string, string>; body?: string | Uint8Array }, binary = false): Promise<{ res: { status: number; headers: Headers }; text: string; bytes: Uint8Array }> {
    const a = await this.#transport.send({ op, rate: spec, url, method: init.method, headers: init.headers, body: init.body });
    if (a.status === 429 && op in OPERATION_RATES) {
      // QuotaExceeded: our bucket let a call through that Amazon's did not. Empty ours for the time a
      // token takes to come back, and let the caller retry then.
      const wait = Math.ceil(1000 / this.rateOf(op as SpOperation));
      throw await this.#transport.throttled(op, wait, `${CHANNEL} ${op} was rate limited (QuotaExceeded, request ${a.requestId ?? 'unknown'}); retry after ${wait} ms`);
    }
    return { res: a, text: binary ? '' : answerText(a), bytes: a.bytes };
  }

  async #learn(op: SpOperation, header: string | null): Promise<void> {
    if (!header) return;
    const rate = Number(header);
    if (!Number.isFinite(rate) || rate <= 0 || rate === this.rateOf(op)) return;
    this.#learned.set(op, rate);
    await this.ctx.throttle?.learn(this.throttleKey(op), { ratePerSec: rate });
  }

  #statusError(op: SpOperation, status: number, body: unknown): AppError {
    const errors = spErrors(body);
    const said = errors.map((e) => `${e.code}: ${e.message}`).join('; ').slice(0, 500);
    const message = `${CHANNEL} ${op} answered ${status}${said ? ` (${said})` : ''}`;
    const fields: FieldError[] = errors.map((e) => ({ path: e.code || op, message: e.message }));
    return statusError(status, message, { errors: fields, authHint: "the seller authorization or the application's access to this operation was refused" });
  }
}
