// Connections: settings in clear, credentials sealed with the SecretBox and never read back out
// except by the adapter that needs them.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { newId } from '../core/ids.ts';
import { notFound } from '../core/errors.ts';
import type { Connection, ConnectionStatus } from '../core/model/index.ts';
import type { SecretBox } from '../core/ports.ts';
import type { Db } from './db.ts';
import { equalities, keysetPage, type Cursor, type Page, type Sort } from './paging.ts';
import type { ConnectionsTable } from './schema.ts';
import type { Selectable } from 'kysely';
import { writeEvents } from './events.ts';
import { inTransaction } from './upsert.ts';

type Row = Selectable<ConnectionsTable>;

export function toConnection(row: Row): Connection {
  return {
    id: row.id,
    channel: row.channel,
    name: row.name,
    status: row.status as ConnectionStatus,
    settings: row.settings,
    store_key: row.store_key,
    has_credentials: row.credentials_enc !== null,
    last_error: row.last_error,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export interface NewConnection {
  channel: string;
  name: string;
  settings: Record<string, unknown>;
  credentials: Record<string, unknown>;
}

export async function insertConnection(db: Db, box: SecretBox, tenantId: string, input: NewConnection): Promise<Connection> {
  const now = new Date();
  const row = await db
    .insertInto('connections')
    .values({
      id: newId('connection'),
      tenant_id: tenantId,
      channel: input.channel,
      name: input.name,
      status: 'active',
      settings: JSON.stringify(input.settings),
      credentials_enc: Object.keys(input.credentials).length ? box.seal(JSON.stringify(input.credentials)) : null,
      store_key: randomBytes(16).toString('hex'),
      last_error: null,
      created_at: now,
      updated_at: now,
      deleted_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toConnection(row);
}

export async function getConnection(db: Db, tenantId: string, id: string): Promise<Connection> {
  const row = await db.selectFrom('connections').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Connection', id);
  return toConnection(row);
}

/** Settings and decrypted credentials, for building an adapter. Never leaves the process. */
export async function getConnectionSecrets(
  db: Db,
  box: SecretBox,
  tenantId: string,
  id: string,
): Promise<{ connection: Connection; credentials: Record<string, unknown> }> {
  const row = await db.selectFrom('connections').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Connection', id);
  const credentials = row.credentials_enc ? (JSON.parse(box.open(row.credentials_enc)) as Record<string, unknown>) : {};
  return { connection: toConnection(row), credentials };
}

export interface ConnectionFilters {
  channel?: string | undefined;
  status?: string | undefined;
}

export async function listConnections(db: Db, tenantId: string, f: ConnectionFilters, sort: Sort, cursor: Cursor | null, limit: number): Promise<Page<Connection>> {
  const where = equalities('connections', { channel: f.channel, status: f.status });
  return keysetPage(db.selectFrom('connections').selectAll().where('tenant_id', '=', tenantId), { table: 'connections', sort, cursor, limit, where }, (rows) => rows.map(toConnection));
}

export interface ConnectionPatch {
  name?: string | undefined;
  status?: ConnectionStatus | undefined;
  settings?: Record<string, unknown> | undefined;
  credentials?: Record<string, unknown> | undefined;
  last_error?: string | null | undefined;
}

export async function updateConnection(db: Db, box: SecretBox, tenantId: string, id: string, patch: ConnectionPatch): Promise<Connection> {
  if (patch.status === undefined) return writeConnection(db, box, tenantId, id, patch);
  // A status change is an event (needs_reauth, or recovered from it), written with the change.
  return inTransaction(db, async (trx) => {
    const before = await trx.selectFrom('connections').select('status').where('tenant_id', '=', tenantId).where('id', '=', id).forUpdate().executeTakeFirst();
    const after = await writeConnection(trx, box, tenantId, id, patch);
    const type = before?.status !== 'needs_reauth' && after.status === 'needs_reauth' ? 'connection.needs_reauth' : before?.status === 'needs_reauth' && after.status === 'active' ? 'connection.recovered' : null;
    if (type) {
      await writeEvents(trx, [{ tenantId, type, entityType: 'connection', entityId: id, connectionId: id, channel: after.channel, data: { object: after, previous: { status: before?.status ?? null } } }]);
    }
    return after;
  });
}

async function writeConnection(db: Db, box: SecretBox, tenantId: string, id: string, patch: ConnectionPatch): Promise<Connection> {
  const row = await db
    .updateTable('connections')
    .set({
      updated_at: new Date(),
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.status !== undefined && { status: patch.status }),
      ...(patch.settings !== undefined && { settings: JSON.stringify(patch.settings) }),
      ...(patch.credentials !== undefined && { credentials_enc: box.seal(JSON.stringify(patch.credentials)) }),
      ...(patch.last_error !== undefined && { last_error: patch.last_error }),
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound('Connection', id);
  return toConnection(row);
}

/** Deletes the connection and, by cascade, every record synced through it. */
export async function deleteConnection(db: Db, tenantId: string, id: string): Promise<void> {
  const res = await db.deleteFrom('connections').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (res.numDeletedRows === 0n) throw notFound('Connection', id);
}

export async function countConnections(db: Db, tenantId: string): Promise<number> {
  const r = await db.selectFrom('connections').select(sql<number>`count(*)::int`.as('n')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow();
  return r.n;
}
