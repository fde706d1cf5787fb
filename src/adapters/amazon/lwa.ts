// Login with Amazon: access tokens for SP-API calls. A refresh-token exchange for seller operations and a
// client-credentials ("grantless") exchange for the notifications operations. Tokens are cached per
// credential in this module (so every adapter instance of the same account shares them), refreshed a
// little before they expire, and refreshed once however many calls are waiting for a token.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../core/errors.ts';

export interface LwaCredentials {
  client_id: string;
  client_secret: string;
  refresh_token: string;
}

/** Grantless scope of the notifications operations. */
export const NOTIFICATIONS_SCOPE = 'sellingpartnerapi::notifications';

/** Sends the form to the LWA endpoint; the client supplies it (timeout, throttle, call reporting). */
export type LwaExchange = (form: URLSearchParams) => Promise<{ status: number; text: string }>;

interface CachedToken {
  value: string;
  /** When to start refreshing: a margin before expiry, so a call never goes out with a dying token. */
  refreshAt: number;
  expiresAt: number;
}

interface Slot {
  token: CachedToken | null;
  inflight: Promise<CachedToken> | null;
}

const cache = new Map<string, Slot>();

const TokenBody = z.object({ access_token: z.string().min(1), expires_in: z.number().positive(), token_type: z.string().optional() });
const ErrorBody = z.object({ error: z.string(), error_description: z.string().optional() });

/** Refresh this long before expiry: a tenth of the lifetime, at most a minute (3600 s tokens: 60 s). */
export function refreshMargin(ttlMs: number): number {
  return Math.min(60_000, ttlMs / 10);
}

/** Forgets every cached token (tests; a process that rotated secrets everywhere). */
export function clearTokenCache(): void {
  cache.clear();
}

export class LwaTokens {
  readonly #endpoint: string;
  readonly #credentials: LwaCredentials;
  readonly #exchange: LwaExchange;
  readonly #now: () => number;

  constructor(options: { endpoint: string; credentials: LwaCredentials; exchange: LwaExchange; now?: () => number }) {
    this.#endpoint = options.endpoint;
    this.#credentials = options.credentials;
    this.#exchange = options.exchange;
    this.#now = options.now ?? Date.now;
  }

  /** The cache key: a hash of the credential and endpoint, never the secret itself. */
  #key(scope: string | null): string {
    const c = this.#credentials;
    return createHash('sha256').update([this.#endpoint, c.client_id, c.client_secret, scope === null ? c.refresh_token : `scope:${scope}`].join('\n')).digest('hex');
  }

  /**
   * A valid access token: the seller's (refresh-token grant) or, with a scope, a grantless one.
   * @example const token = await tokens.get(); const grantless = await tokens.get(NOTIFICATIONS_SCOPE);
   */
  async get(scope: string | null = null): Promise<string> {
    const key = this.#key(scope);
    let slot = cache.get(key);
    if (!slot) {
      slot = { token: null, inflight: null };
      cache.set(key, slot);
    }
    const now = this.#now();
    if (slot.token && now < slot.token.refreshAt) return slot.token.value;
    if (!slot.inflight) {
      const s = slot;
      s.inflight = this.#fetch(scope).then(
        (token) => {
          s.token = token;
          s.inflight = null;
          return token;
        },
        (err: unknown) => {
          s.inflight = null;
          if (err instanceof AppError && err.kind === 'auth_failed') s.token = null;
          throw err;
        },
      );
    }
    try {
      return (await slot.inflight!).value;
    } catch (err) {
      // A refresh that failed for a passing reason still leaves a token that has not expired: use it.
      if (!(err instanceof AppError && err.kind === 'auth_failed') && slot.token && this.#now() < slot.token.expiresAt) return slot.token.value;
      throw err;
    }
  }

  /** The upstream refused this token (expired early, revoked): the next get() fetches a new one. */
  invalidate(value: string): void {
    for (const slot of cache.values()) if (slot.token?.value === value) slot.token = null;
  }

  async #fetch(scope: string | null): Promise<CachedToken> {
    const c = this.#credentials;
    const form = new URLSearchParams(
      scope === null
        ? { grant_type: 'refresh_token', refresh_token: c.refresh_token, client_id: c.client_id, client_secret: c.client_secret }
        : { grant_type: 'client_credentials', scope, client_id: c.client_id, client_secret: c.client_secret },
    );
    const started = this.#now();
    const { status, text } = await this.#exchange(form);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    if (status >= 200 && status < 300) {
      const body = TokenBody.safeParse(json);
      if (!body.success) throw new AppError('upstream_unavailable', 'Login with Amazon answered a token response without an access token');
      const ttl = body.data.expires_in * 1000;
      return { value: body.data.access_token, expiresAt: started + ttl, refreshAt: started + ttl - refreshMargin(ttl) };
    }
    const err = ErrorBody.safeParse(json);
    const code = err.success ? err.data.error : '';
    if (code === 'invalid_client')
      throw new AppError('auth_failed', 'Login with Amazon refused the client (invalid_client): the LWA client id or secret is wrong or the secret has expired; rotate the secret in Seller Central and update the connection credentials', { retriable: false });
    if (code === 'invalid_grant')
      throw new AppError('auth_failed', 'Login with Amazon refused the refresh token (invalid_grant): the seller revoked the authorization or the token is wrong; authorize the application again', { retriable: false });
    if (code === 'unauthorized_client' || code === 'invalid_scope' || code === 'access_denied')
      throw new AppError('auth_failed', `Login with Amazon refused the application (${code})`, { retriable: false });
    if (status === 429) throw new AppError('throttled', 'Login with Amazon rate limited the token exchange', { retryAfterMs: 1000 });
    if (status >= 500) throw new AppError('upstream_unavailable', `Login with Amazon answered ${status}`);
    if (status === 400 || status === 401 || status === 403) throw new AppError('auth_failed', `Login with Amazon refused the token exchange (${status}${code ? ` ${code}` : ''})`, { retriable: false });
    throw new AppError('upstream_rejected', `Login with Amazon answered ${status}${code ? ` (${code})` : ''}`);
  }
}
