// API key authentication for /v1 and /graphql: `Authorization: Bearer <key>` or `X-API-Key: <key>`.
import type { MiddlewareHandler } from 'hono';
import { tenantForKey, hashApiKey } from '../store/tenancy.ts';
import type { Db } from '../store/db.ts';
import type { AppEnv } from './context.ts';
import { problemResponse } from './problem.ts';

/**
 * A short-lived cache of key hash -> tenant, so a request costs no extra query in the common case.
 * A revoked key stops working within `ttlMs`, in this process as in others: revocation (the CLI) goes
 * straight to the database and clears no cache.
 */
export class KeyCache {
  readonly #entries = new Map<string, { tenantId: string | null; expires: number }>();
  constructor(private readonly ttlMs = 5_000, private readonly max = 10_000) {}
  get(hash: string): string | null | undefined {
    const e = this.#entries.get(hash);
    if (!e) return undefined;
    if (e.expires < Date.now()) {
      this.#entries.delete(hash);
      return undefined;
    }
    return e.tenantId;
  }
  set(hash: string, tenantId: string | null): void {
    if (this.#entries.size >= this.max) this.#entries.clear();
    this.#entries.set(hash, { tenantId, expires: Date.now() + this.ttlMs });
  }
  clear(): void {
    this.#entries.clear();
  }
}

export function presentedKey(authorization: string | undefined, apiKeyHeader: string | undefined): string | undefined {
  if (authorization) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return m?.[1];
  }
  return apiKeyHeader?.trim() || undefined;
}

export function requireApiKey(db: Db, cache: KeyCache): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = presentedKey(c.req.header('authorization'), c.req.header('x-api-key'));
    if (!key || key.length > 512) {
      c.header('www-authenticate', 'Bearer realm="switchyard"');
      return problemResponse(c, 401, 'unauthorized', 'Send an API key as "Authorization: Bearer <key>" or "X-API-Key: <key>".');
    }
    const hash = hashApiKey(key);
    let tenantId = cache.get(hash);
    if (tenantId === undefined) {
      tenantId = (await tenantForKey(db, key)) ?? null;
      cache.set(hash, tenantId);
    }
    if (!tenantId) {
      c.header('www-authenticate', 'Bearer realm="switchyard", error="invalid_token"');
      return problemResponse(c, 401, 'unauthorized', 'The API key is not valid or has been revoked.');
    }
    c.set('tenantId', tenantId);
    c.set('log', c.get('log').child({ tenant_id: tenantId }));
    await next();
  };
}
