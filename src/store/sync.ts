// Persistence of the sync engine: checkpoints, staging rows, dead letters and outbound operations.
import { sql, type Selectable } from 'kysely';
import { newId } from '../core/ids.ts';
import { AppError, notFound } from '../core/errors.ts';
import type { Entity } from '../core/ports.ts';
import type { Db } from './db.ts';
import type { DeadLettersTable, OperationsTable, SyncCheckpointsTable } from './schema.ts';
import { equalities, keysetPage, type Cursor, type Page, type Sort } from './paging.ts';
import { json } from './upsert.ts';

export type CheckpointRow = Selectable<SyncCheckpointsTable>;
export type OperationRow = Selectable<OperationsTable>;
export type DeadLetterRow = Selectable<DeadLettersTable>;

export async function loadCheckpoint(db: Db, tenantId: string, connectionId: string, entity: Entity): Promise<CheckpointRow> {
  await db
    .insertInto('sync_checkpoints')
    .values({ tenant_id: tenantId, connection_id: connectionId, entity, run_full: false, failures: 0, records_pulled: 0, pages_pulled: 0 })
    .onConflict((oc) => oc.columns(['connection_id', 'entity']).doNothing())
    .execute();
  return db.selectFrom('sync_checkpoints').selectAll().where('connection_id', '=', connectionId).where('entity', '=', entity).executeTakeFirstOrThrow();
}

export async function checkpointsFor(db: Db, tenantId: string, connectionId: string): Promise<CheckpointRow[]> {
  return db.selectFrom('sync_checkpoints').selectAll().where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).orderBy('entity').execute();
}

// ---------------------------------------------------------------------------------------------------
// Dead letters

export interface NewDeadLetter {
  tenantId: string;
  connectionId: string;
  source: 'pull' | 'operation';
  entity?: string | null;
  externalId?: string | null;
  operationId?: string | null;
  errorKind: string;
  reason: string;
  payload?: unknown;
}

/** Records a dead letter; a record that keeps failing to normalize keeps one open letter, refreshed. */
export async function addDeadLetter(db: Db, d: NewDeadLetter): Promise<string> {
  const now = new Date();
  const values = {
    id: newId('deadLetter'),
    tenant_id: d.tenantId,
    connection_id: d.connectionId,
    source: d.source,
    entity: d.entity ?? null,
    external_id: d.externalId ?? null,
    operation_id: d.operationId ?? null,
    error_kind: d.errorKind,
    reason: d.reason.slice(0, 4000),
    payload: d.payload === undefined ? null : json(d.payload),
    state: 'open',
    replay_count: 0,
    created_at: now,
    updated_at: now,
  };
  if (d.source === 'pull') {
    const row = await db
      .insertInto('dead_letters')
      .values(values)
      .onConflict((oc) =>
        oc
          .columns(['connection_id', 'entity', 'external_id'])
          .where('source', '=', 'pull')
          .where('state', '=', 'open')
          .doUpdateSet({ reason: values.reason, error_kind: values.error_kind, payload: values.payload, updated_at: now }),
      )
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }
  const row = await db.insertInto('dead_letters').values(values).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** A record that normalized fine closes any open dead letter it had. */
export async function resolvePullDeadLetters(db: Db, connectionId: string, entity: string, externalIds: string[]): Promise<void> {
  if (externalIds.length === 0) return;
  await db
    .updateTable('dead_letters')
    .set({ state: 'resolved', updated_at: new Date() })
    .where('connection_id', '=', connectionId)
    .where('entity', '=', entity)
    .where('source', '=', 'pull')
    .where('state', '=', 'open')
    .where('external_id', '=', sql<string>`ANY(${externalIds})`)
    .execute();
}

export interface DeadLetterFilters {
  connection_id?: string | undefined;
  state?: string | undefined;
  source?: string | undefined;
}

export async function listDeadLetters(db: Db, tenantId: string, f: DeadLetterFilters, sort: Sort, cursor: Cursor | null, limit: number): Promise<Page<DeadLetterRow>> {
  const where = equalities('dead_letters', { connection_id: f.connection_id, state: f.state, source: f.source });
  return keysetPage(db.selectFrom('dead_letters').selectAll().where('tenant_id', '=', tenantId), { table: 'dead_letters', sort, cursor, limit, where }, (rows) => rows);
}

export async function getDeadLetter(db: Db, tenantId: string, id: string): Promise<DeadLetterRow> {
  const row = await db.selectFrom('dead_letters').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Dead letter', id);
  return row;
}

// ---------------------------------------------------------------------------------------------------
// Operations

export const OPERATION_KINDS = [
  'inventory.set',
  'product.update',
  'price.update',
  'order.create',
  'shipment.create',
  'order.cancel',
  'inventory.set_bulk',
  'price.update_bulk',
  'listings.publish',
  'order.comment',
] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

/** pending: waiting to run; running: an attempt is under way; paused: the connection needs re-auth. */
export type OperationState = 'pending' | 'running' | 'succeeded' | 'failed' | 'paused';

export interface NewOperation {
  tenantId: string;
  connectionId: string;
  kind: OperationKind;
  idempotencyKey: string;
  requestHash: string;
  payload: Record<string, unknown>;
}

/**
 * Inserts the operation unless one with the same idempotency key exists. Returns the stored one and
 * whether it is new; a key reused with a different request is a conflict.
 */
export async function insertOperation(db: Db, o: NewOperation): Promise<{ op: OperationRow; created: boolean }> {
  const now = new Date();
  const inserted = await db
    .insertInto('operations')
    .values({
      id: newId('operation'),
      tenant_id: o.tenantId,
      connection_id: o.connectionId,
      kind: o.kind,
      idempotency_key: o.idempotencyKey,
      request_hash: o.requestHash,
      payload: json(o.payload),
      state: 'pending',
      attempts: 0,
      last_error: null,
      last_error_kind: null,
      result: null,
      next_attempt_at: now,
      created_at: now,
      updated_at: now,
      completed_at: null,
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'idempotency_key']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { op: inserted, created: true };
  const existing = await db
    .selectFrom('operations')
    .selectAll()
    .where('tenant_id', '=', o.tenantId)
    .where('idempotency_key', '=', o.idempotencyKey)
    .executeTakeFirstOrThrow();
  if (existing.request_hash !== o.requestHash) {
    throw new AppError('conflict', 'this Idempotency-Key was used before with a different request', {
      errors: [{ path: 'Idempotency-Key', message: `already used for operation ${existing.id}` }],
    });
  }
  return { op: existing, created: false };
}

export async function getOperation(db: Db, tenantId: string, id: string): Promise<OperationRow> {
  const row = await db.selectFrom('operations').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Operation', id);
  return row;
}

export async function getOperationById(db: Db, id: string): Promise<OperationRow | undefined> {
  return db.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface OperationFilters {
  connection_id?: string | undefined;
  state?: string | undefined;
  kind?: string | undefined;
}

export async function listOperations(db: Db, tenantId: string, f: OperationFilters, sort: Sort, cursor: Cursor | null, limit: number): Promise<Page<OperationRow>> {
  const where = equalities('operations', { connection_id: f.connection_id, state: f.state, kind: f.kind });
  return keysetPage(db.selectFrom('operations').selectAll().where('tenant_id', '=', tenantId), { table: 'operations', sort, cursor, limit, where }, (rows) => rows);
}

/** Per-connection counts for the status endpoint. */
export async function connectionCounts(db: Db, tenantId: string, connectionId: string): Promise<{ pending_operations: number; paused_operations: number; open_dead_letters: number }> {
  const { rows } = await sql<{ pending_operations: number; paused_operations: number; open_dead_letters: number }>`
    SELECT
      (SELECT count(*)::int FROM operations WHERE tenant_id = ${tenantId} AND connection_id = ${connectionId} AND state IN ('pending', 'running')) AS pending_operations,
      (SELECT count(*)::int FROM operations WHERE tenant_id = ${tenantId} AND connection_id = ${connectionId} AND state = 'paused') AS paused_operations,
      (SELECT count(*)::int FROM dead_letters WHERE tenant_id = ${tenantId} AND connection_id = ${connectionId} AND state = 'open') AS open_dead_letters`.execute(db);
  return rows[0]!;
}
