// Webhook endpoints (subscriptions) and their deliveries: one row per (endpoint, event), pending until
// the endpoint answers 2xx or the retry window closes. Secrets are sealed with the SecretBox.
import { sql, type Selectable } from 'kysely';
import { notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Db } from './db.ts';
import { equalities, keysetPage, type Cursor, type Page, type Sort } from './paging.ts';
import type { WebhookDeliveriesTable, WebhookEndpointsTable } from './schema.ts';

export type EndpointRow = Selectable<WebhookEndpointsTable>;
export type DeliveryRow = Selectable<WebhookDeliveriesTable>;

export interface NewEndpoint {
  url: string;
  description: string | null;
  event_types: string[];
  connection_ids: string[];
  channels: string[];
  secret_enc: string;
  enabled: boolean;
}

export async function insertEndpoint(db: Db, tenantId: string, e: NewEndpoint): Promise<EndpointRow> {
  const now = new Date();
  return db
    .insertInto('webhook_endpoints')
    .values({ id: newId('webhook'), tenant_id: tenantId, ...e, disabled_reason: null, failing_since: null, consecutive_failures: 0, last_success_at: null, last_failure_at: null, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function getEndpoint(db: Db, tenantId: string, id: string): Promise<EndpointRow> {
  const row = await db.selectFrom('webhook_endpoints').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Webhook endpoint', id);
  return row;
}

export async function listEndpoints(db: Db, tenantId: string, cursor: Cursor | null, limit: number, f: { enabled?: boolean | undefined } = {}): Promise<Page<EndpointRow>> {
  const sort: Sort = { column: 'created_at', desc: false };
  const where = equalities('webhook_endpoints', { enabled: f.enabled });
  return keysetPage(db.selectFrom('webhook_endpoints').selectAll().where('tenant_id', '=', tenantId), { table: 'webhook_endpoints', sort, cursor, limit, where }, (rows) => rows);
}

export type EndpointPatch = Partial<Pick<EndpointRow, 'url' | 'description' | 'event_types' | 'connection_ids' | 'channels' | 'enabled' | 'disabled_reason'>>;

export async function updateEndpoint(db: Db, tenantId: string, id: string, patch: EndpointPatch): Promise<EndpointRow> {
  const reenabled = patch.enabled === true;
  const row = await db
    .updateTable('webhook_endpoints')
    .set({ ...patch, updated_at: new Date(), ...(reenabled && { disabled_reason: null, failing_since: null, consecutive_failures: 0 }) })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound('Webhook endpoint', id);
  return row;
}

export async function deleteEndpoint(db: Db, tenantId: string, id: string): Promise<void> {
  const res = await db.deleteFrom('webhook_endpoints').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (res.numDeletedRows === 0n) throw notFound('Webhook endpoint', id);
}

export interface DeliveryFilters {
  endpoint_id?: string | undefined;
  state?: string | undefined;
  event_id?: string | undefined;
}

/** Deliveries with their event's type, newest first by default. */
export async function listDeliveries(db: Db, tenantId: string, f: DeliveryFilters, sort: Sort, cursor: Cursor | null, limit: number): Promise<Page<DeliveryRow & { event_type: string }>> {
  const query = db
    .selectFrom('webhook_deliveries')
    .innerJoin('events', 'events.id', 'webhook_deliveries.event_id')
    .selectAll('webhook_deliveries')
    .select('events.type as event_type')
    .where('webhook_deliveries.tenant_id', '=', tenantId);
  const where = equalities('webhook_deliveries', { endpoint_id: f.endpoint_id, state: f.state, event_id: f.event_id });
  return keysetPage(query, { table: 'webhook_deliveries', sort, cursor, limit, where }, (rows) => rows);
}

export async function getDelivery(db: Db, tenantId: string, endpointId: string, id: string): Promise<DeliveryRow & { event_type: string }> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .innerJoin('events', 'events.id', 'webhook_deliveries.event_id')
    .selectAll('webhook_deliveries')
    .select('events.type as event_type')
    .where('webhook_deliveries.tenant_id', '=', tenantId)
    .where('webhook_deliveries.endpoint_id', '=', endpointId)
    .where('webhook_deliveries.id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('Webhook delivery', id);
  return row;
}

/** Puts a delivery back in line, due now, with a fresh retry window. */
export async function requeueDelivery(db: Db, tenantId: string, endpointId: string, id: string): Promise<void> {
  const now = new Date();
  const res = await db
    .updateTable('webhook_deliveries')
    .set({ state: 'pending', attempts: 0, next_attempt_at: now, window_start: now, updated_at: now, delivered_at: null })
    .where('tenant_id', '=', tenantId)
    .where('endpoint_id', '=', endpointId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (res.numUpdatedRows === 0n) throw notFound('Webhook delivery', id);
}

/**
 * The deliveries an endpoint may attempt now: for each ordering key the oldest pending one (a later
 * event of an entity waits for the earlier one), if it is due.
 */
export interface DueDelivery {
  id: string;
  event_id: string;
  attempts: number;
  window_start: Date;
}

export async function dueHeads(db: Db, endpointId: string, limit: number): Promise<DueDelivery[]> {
  // In delivery order; a delivery is a head when no earlier one of its ordering key is pending (an
  // index probe each, so a long backlog costs only the rows looked at).
  const { rows } = await sql<DueDelivery>`
    SELECT d.id, d.event_id, d.attempts, d.window_start FROM webhook_deliveries d
    WHERE d.endpoint_id = ${endpointId} AND d.state = 'pending' AND d.next_attempt_at <= now()
      AND NOT EXISTS (
        SELECT 1 FROM webhook_deliveries p
        WHERE p.endpoint_id = d.endpoint_id AND p.state = 'pending' AND p.ordering_key = d.ordering_key AND p.dseq < d.dseq)
    ORDER BY d.dseq
    LIMIT ${limit}`.execute(db);
  return rows;
}

/** When the endpoint next has something to attempt, or null when nothing is pending. */
export async function nextDue(db: Db, endpointId: string): Promise<Date | null> {
  const { rows } = await sql<{ at: Date | null }>`
    SELECT min(h.next_attempt_at) AS at FROM (
      SELECT DISTINCT ON (ordering_key) next_attempt_at
      FROM webhook_deliveries WHERE endpoint_id = ${endpointId} AND state = 'pending'
      ORDER BY ordering_key, dseq
    ) h`.execute(db);
  return rows[0]?.at ?? null;
}
