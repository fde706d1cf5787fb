// Tenants and their API keys. Keys are shown once and stored as SHA-256 hashes: they are 192-bit random
// strings, so a fast hash is enough and lets every request be authenticated with one indexed lookup.
import { createHash, randomBytes } from 'node:crypto';
import { newId } from '../core/ids.ts';
import { AppError } from '../core/errors.ts';
import type { Db } from './db.ts';

export interface Tenant {
  id: string;
  name: string;
  created_at: string;
}

export interface ApiKeyInfo {
  id: string;
  tenant_id: string;
  name: string;
  prefix: string;
  created_at: string;
  revoked_at: string | null;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function generateApiKey(): string {
  return `sy_${randomBytes(24).toString('base64url')}`;
}

export async function createTenant(db: Db, name: string): Promise<Tenant> {
  const tenant = { id: newId('tenant'), name, created_at: new Date() };
  const inserted = await db.insertInto('tenants').values(tenant).onConflict((oc) => oc.column('name').doNothing()).returningAll().executeTakeFirst();
  if (!inserted) throw new AppError('conflict', `a tenant named "${name}" exists already`);
  return { id: inserted.id, name: inserted.name, created_at: inserted.created_at.toISOString() };
}

export async function findTenantByName(db: Db, name: string): Promise<Tenant | undefined> {
  const row = await db.selectFrom('tenants').selectAll().where('name', '=', name).executeTakeFirst();
  return row && { id: row.id, name: row.name, created_at: row.created_at.toISOString() };
}

/** Stores the hash of `key` (or of a new random key) for the tenant; returns the plaintext once. */
export async function createApiKey(db: Db, tenantId: string, name = 'default', key: string = generateApiKey()): Promise<{ key: string; info: ApiKeyInfo }> {
  const row = await db
    .insertInto('api_keys')
    .values({ id: newId('apiKey'), tenant_id: tenantId, name, prefix: key.slice(0, 8), hash: hashApiKey(key), created_at: new Date(), revoked_at: null })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { key, info: toKeyInfo(row) };
}

function toKeyInfo(row: { id: string; tenant_id: string; name: string; prefix: string; created_at: Date; revoked_at: Date | null }): ApiKeyInfo {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    name: row.name,
    prefix: row.prefix,
    created_at: row.created_at.toISOString(),
    revoked_at: row.revoked_at?.toISOString() ?? null,
  };
}

export async function revokeApiKey(db: Db, keyId: string): Promise<ApiKeyInfo> {
  const row = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('id', '=', keyId)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', `active API key ${keyId} was not found`);
  return toKeyInfo(row);
}

/** The tenant id that owns an active key, or undefined. */
export async function tenantForKey(db: Db, key: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .select('tenant_id')
    .where('hash', '=', hashApiKey(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row?.tenant_id;
}

/**
 * SWITCHYARD_BOOTSTRAP_API_KEY: make sure a tenant named `default` exists and owns this key. Idempotent,
 * and safe when several processes start at once.
 */
export async function ensureBootstrapKey(db: Db, key: string): Promise<string> {
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('tenants')
      .values({ id: newId('tenant'), name: 'default', created_at: new Date() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const tenant = await trx.selectFrom('tenants').select('id').where('name', '=', 'default').executeTakeFirstOrThrow();
    const hash = hashApiKey(key);
    const existing = await trx.selectFrom('api_keys').select(['tenant_id', 'revoked_at']).where('hash', '=', hash).executeTakeFirst();
    if (existing && existing.tenant_id !== tenant.id) throw new Error('SWITCHYARD_BOOTSTRAP_API_KEY belongs to another tenant');
    if (!existing) {
      await trx
        .insertInto('api_keys')
        .values({ id: newId('apiKey'), tenant_id: tenant.id, name: 'bootstrap', prefix: key.slice(0, 8), hash, created_at: new Date(), revoked_at: null })
        .onConflict((oc) => oc.column('hash').doNothing())
        .execute();
    }
    return tenant.id;
  });
}
