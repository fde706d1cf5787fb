// One HTTP transport for every adapter: the shared call budget, a timeout, every call reported (and,
// when asked, logged) with the upstream's request id, redirects under the SSRF rule, and the mapping of
// an answer's status to an AppError kind. The Magento and Amazon clients build their requests (URLs,
// credentials, error envelopes) and send them here; a GraphQL client takes `asFetch()` as its fetch
// (for Shopify: @shopify/admin-api-client's `customFetchApi`).
//
// Redirects are never left to fetch: an upstream answering 3xx would otherwise send us to a target the
// SSRF check never saw, and fetch replays a redirected POST as a GET. A write (any method but GET and
// HEAD) that is answered with a redirect fails as upstream_rejected; a read follows at most
// `maxRedirects` hops, each target first passing the same check as the connection's own address, and
// keeps its credentials only while the origin stays the same.
import { AppError, type ErrorKind, type FieldError } from '../../core/errors.ts';
import { assertUpstreamUrl } from '../../core/net.ts';
import type { AdapterContext, RateSpec } from '../../core/ports.ts';

export const DEFAULT_MAX_REDIRECTS = 3;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Headers a read keeps when a redirect leaves the upstream's origin: nothing that identifies us. */
const CROSS_ORIGIN_HEADERS = new Set(['accept', 'accept-encoding', 'user-agent']);

export interface TransportOptions {
  /** The channel's name, first word of every error message (`magento GET /orders answered 500`). */
  channel: string;
  ctx: Pick<AdapterContext<unknown, unknown>, 'throttle' | 'onUpstreamCall' | 'log' | 'allowPrivateUpstreams'>;
  timeoutMs: number;
  /** The throttle bucket of an operation. */
  throttleKey(op: string): string;
  /** The answer header carrying the upstream's request id. */
  requestIdHeader: string;
  maxRedirects?: number;
  /** Log every answer (debug; warn for 429 and 5xx) under this message; no logging when absent. */
  logAs?: string;
}

export interface TransportRequest {
  /** Throttle, metrics and message name of the call. */
  op: string;
  /** The bucket's rate; no throttling when null. */
  rate: RateSpec | null;
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

export interface TransportAnswer {
  status: number;
  headers: Headers;
  bytes: Uint8Array<ArrayBuffer>;
  requestId: string | null;
  /** Where the answer came from (differs from the request's URL after a followed redirect). */
  url: URL;
}

export const answerText = (a: TransportAnswer): string => new TextDecoder().decode(a.bytes);

export class UpstreamTransport {
  /** Calls sent (redirect hops included), for benchmarks and tests. */
  calls = 0;

  constructor(private readonly o: TransportOptions) {}

  /**
   * One call: waits for the bucket, sends with the timeout, reports it, follows redirects as the header
   * comment says. Any status comes back as an answer; no answer (timeout, reset) and a refused redirect
   * are AppErrors.
   */
  async send(r: TransportRequest): Promise<TransportAnswer> {
    if (r.rate && this.o.ctx.throttle) await this.o.ctx.throttle.acquire(this.o.throttleKey(r.op), r.rate);
    const signal = AbortSignal.timeout(this.o.timeoutMs);
    const read = r.method === 'GET' || r.method === 'HEAD';
    let url = r.url;
    let headers = r.headers;
    for (let hop = 0; ; hop++) {
      const answer = await this.#once(r, url, headers, signal);
      const location = answer.headers.get('location');
      if (!REDIRECTS.has(answer.status) || location === null) return answer;
      const where = `${this.o.channel} ${r.op} answered ${answer.status} (a redirect)`;
      if (!read) throw new AppError('upstream_rejected', `${where}: a ${r.method} is never redirected, it is not sent again`, { retriable: false });
      if (hop >= (this.o.maxRedirects ?? DEFAULT_MAX_REDIRECTS)) throw new AppError('upstream_rejected', `${where}: more than ${this.o.maxRedirects ?? DEFAULT_MAX_REDIRECTS} redirects`, { retriable: false });
      let next: URL;
      try {
        next = await assertUpstreamUrl(new URL(location, url).toString(), this.o.ctx.allowPrivateUpstreams, 'redirect');
      } catch (err) {
        const why = err instanceof AppError ? (err.errors?.[0]?.message ?? err.message) : 'not a valid URL';
        throw new AppError('upstream_rejected', `${where} to an address that is not allowed: ${why}`, { retriable: false, cause: err });
      }
      if (next.origin !== url.origin) headers = Object.fromEntries(Object.entries(headers).filter(([k]) => CROSS_ORIGIN_HEADERS.has(k.toLowerCase())));
      url = next;
    }
  }

  async #once(r: TransportRequest, url: URL, headers: Record<string, string>, signal: AbortSignal): Promise<TransportAnswer> {
    const started = performance.now();
    this.calls++;
    let res: Response;
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      res = await fetch(url, { method: r.method, headers, body: r.body as BodyInit | undefined, signal, redirect: 'manual' });
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (err) {
      const durationMs = performance.now() - started;
      this.o.ctx.onUpstreamCall?.({ operation: r.op, status: null, durationMs, requestId: null });
      if (this.o.logAs) this.o.ctx.log?.warn({ operation: r.op, duration_ms: Math.round(durationMs) }, `${this.o.logAs} got no answer`);
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      const why = timedOut ? `timed out after ${this.o.timeoutMs} ms` : `failed: ${err instanceof Error ? String((err as { cause?: unknown }).cause ?? err.message) : 'network error'}`;
      throw new AppError('upstream_unavailable', `${this.o.channel} ${r.op} ${why}`, { cause: err });
    }
    const durationMs = performance.now() - started;
    const requestId = res.headers.get(this.o.requestIdHeader);
    this.o.ctx.onUpstreamCall?.({ operation: r.op, status: res.status, durationMs, requestId });
    if (this.o.logAs) {
      const level = res.status >= 500 || res.status === 429 ? 'warn' : 'debug';
      this.o.ctx.log?.[level]({ operation: r.op, status: res.status, upstream_request_id: requestId, duration_ms: Math.round(durationMs) }, this.o.logAs);
    }
    return { status: res.status, headers: res.headers, bytes, requestId, url };
  }

  /**
   * Empties the operation's bucket for `waitMs` (the upstream answered 429) and gives the throttled
   * error to throw, so the caller retries then.
   */
  async throttled(op: string, waitMs: number, message: string): Promise<AppError> {
    await this.o.ctx.throttle?.penalize(this.o.throttleKey(op), waitMs);
    return new AppError('throttled', message, { retryAfterMs: waitMs });
  }

  /**
   * This transport as a fetch function, for clients that bring their own request building (a GraphQL
   * client's custom fetch). `opOf` names the call for the throttle and metrics.
   * @example createAdminApiClient({ ..., customFetchApi: transport.asFetch(() => 'graphql', rate) })
   */
  asFetch(opOf: (url: URL, init: RequestInit) => string, rate: RateSpec | null): (input: string | URL, init?: RequestInit) => Promise<Response> {
    return async (input, init = {}) => {
      const url = new URL(input.toString());
      const headers = Object.fromEntries(new Headers(init.headers).entries());
      const body = typeof init.body === 'string' || init.body instanceof Uint8Array ? init.body : init.body == null ? undefined : String(init.body);
      const a = await this.send({ op: opOf(url, init), rate, url, method: (init.method ?? 'GET').toUpperCase(), headers, body });
      return new Response(a.bytes.byteLength ? a.bytes : null, { status: a.status, headers: a.headers });
    };
  }
}

/** Seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const secs = Number(header);
  if (Number.isFinite(secs) && secs >= 0) return Math.round(secs * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** The error kind of a non-2xx status (429 aside: the caller spends its bucket first, see `throttled`). */
export function kindOfStatus(status: number): ErrorKind {
  if (status === 401 || status === 403) return 'auth_failed';
  if (status === 400 || status === 422) return 'validation';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status >= 500) return 'upstream_unavailable';
  return 'upstream_rejected';
}

/**
 * The AppError of a non-2xx status: its kind by `kindOfStatus`, refused credentials and refused input
 * never retried, `errors` the upstream's own field messages.
 * @example statusError(404, 'shop GET /orders/{x} answered 404') // AppError('not_found')
 */
export function statusError(status: number, message: string, options: { errors?: FieldError[] | undefined; authHint?: string } = {}): AppError {
  const kind = kindOfStatus(status);
  if (kind === 'auth_failed') return new AppError(kind, options.authHint ? `${message}: ${options.authHint}` : message, { retriable: false });
  if (kind === 'validation') return new AppError(kind, message, { errors: options.errors, retriable: false });
  return new AppError(kind, message);
}
