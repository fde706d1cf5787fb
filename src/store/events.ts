// The event log: written by the stores in the transaction of the change an event describes, read by
// GET /v1/events and by the webhook dispatcher. Positions are (tx_id, seq); readers only see events of
// transactions older than every transaction still running, so a cursor never passes an event that
// commits later (see migrations/0003_events.ts).
import { sql } from 'kysely';
import { AppError, notFound } from '../core/errors.ts';
import { decodeToken, encodeToken, newId } from '../core/ids.ts';
import { matchesEventType, type Event, type EventType } from '../core/model/index.ts';
import type { Db } from './db.ts';
import { cutPage } from './paging.ts';

export interface NewEvent {
  tenantId: string;
  type: EventType;
  entityType: string;
  entityId: string;
  /** Events with the same key are delivered to a webhook in order (default: entityId). */
  orderingKey?: string;
  connectionId?: string | null;
  channel?: string | null;
  data: Record<string, unknown>;
}

/**
 * Appends events in the caller's transaction: they commit or roll back with the change they describe.
 * @example await inTransaction(db, async (trx) => { await trx.updateTable(...); await writeEvents(trx, [...]) })
 */
export async function writeEvents(trx: Db, events: readonly NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  if (!trx.isTransaction) throw new Error('writeEvents needs the transaction of the change it describes');
  for (let i = 0; i < events.length; i += 1000) {
    await trx
      .insertInto('events')
      .values(
        events.slice(i, i + 1000).map((e) => ({
          id: newId('event'),
          tenant_id: e.tenantId,
          type: e.type,
          entity_type: e.entityType,
          entity_id: e.entityId,
          ordering_key: e.orderingKey ?? e.entityId,
          connection_id: e.connectionId ?? null,
          channel: e.channel ?? null,
          data: JSON.stringify(e.data),
        })),
      )
      .execute();
  }
}

// ---------------------------------------------------------------------------------------------------
// Change detection

/** A value with every object's keys sorted, so two equal JSON values print the same. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
  );
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

/**
 * The previous values of the top-level fields that differ between two snapshots, `ignore` aside; null
 * when nothing else changed (an upsert that rewrote the same data is no event).
 */
export function changedFields<T extends object>(before: T, after: T, ignore: readonly string[] = []): Partial<T> | null {
  const previous: Record<string, unknown> = {};
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const k of keys) {
    if (ignore.includes(k)) continue;
    const a = (before as Record<string, unknown>)[k];
    const b = (after as Record<string, unknown>)[k];
    if (!same(a, b)) previous[k] = a ?? null;
  }
  return Object.keys(previous).length ? (previous as Partial<T>) : null;
}

// ---------------------------------------------------------------------------------------------------
// Reading

/**
 * The events a reader may serve: those of transactions older than every transaction of this database
 * that was running when the statement's snapshot was taken. A transaction id in the snapshot's
 * in-progress list is ignored only when pg_stat_activity shows it running in another database (so other
 * databases of the cluster do not hold the log back); one that finished meanwhile, or that we cannot
 * place, still counts: when in doubt the log waits a moment rather than let a cursor pass an event.
 */
export const settled = (column = 'tx_id') => sql<boolean>`${sql.ref(column)} < (
  SELECT coalesce(min(x.xid), pg_snapshot_xmax(pg_current_snapshot()))
  FROM pg_snapshot_xip(pg_current_snapshot()) AS x(xid)
  WHERE (x.xid::text::numeric % 4294967296)::bigint NOT IN (
    SELECT a.backend_xid::text::bigint FROM pg_stat_activity a
    WHERE a.backend_xid IS NOT NULL AND a.datname IS DISTINCT FROM current_database()))`;

export interface EventRow {
  id: string;
  seq: number;
  tx_id: string;
  tenant_id: string;
  type: string;
  entity_type: string;
  entity_id: string;
  ordering_key: string;
  connection_id: string | null;
  channel: string | null;
  data: Record<string, unknown>;
  created_at: Date;
}

export function toEvent(r: EventRow): Event {
  return {
    id: r.id,
    type: r.type as EventType,
    entity_type: r.entity_type,
    entity_id: r.entity_id,
    connection_id: r.connection_id,
    channel: r.channel,
    data: r.data,
    created_at: r.created_at.toISOString(),
  };
}

/** A position in the log. */
export interface EventPosition {
  tx: string;
  seq: number;
}

export function encodeEventCursor(p: EventPosition): string {
  return encodeToken(['ev', p.tx, p.seq]);
}

export function decodeEventCursor(text: string): EventPosition {
  const invalid = new AppError('validation', 'cursor is not valid for this list', { errors: [{ path: 'cursor', message: 'not a cursor issued by the event log' }] });
  const parsed = decodeToken(text);
  if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== 'ev') throw invalid;
  const [, tx, seq] = parsed as unknown[];
  if (typeof tx !== 'string' || !/^\d{1,20}$/.test(tx) || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw invalid;
  return { tx, seq };
}

export interface EventFilters {
  /** Event types or patterns (`order.*`). */
  types?: string[] | undefined;
  connection_id?: string | undefined;
  entity_id?: string | undefined;
  /** Only events at or after this time. */
  since?: string | undefined;
}

/** Patterns as SQL: exact types and prefixes. */
function typeCondition(patterns: readonly string[]) {
  if (patterns.includes('*')) return sql<boolean>`true`;
  const exact = patterns.filter((p) => !p.endsWith('.*'));
  const prefixes = patterns.filter((p) => p.endsWith('.*')).map((p) => `${p.slice(0, -1)}%`);
  return sql<boolean>`(events.type = ANY(${exact}::text[]) OR events.type LIKE ANY(${prefixes}::text[]))`;
}

export interface EventPage {
  data: EventRow[];
  /** Where the next page starts; null when this page reached the end of the log for now. */
  next_cursor: string | null;
  /** Where to poll from next time (after the last event served, or the cursor given). Never null once there is a position. */
  resume_cursor: string | null;
}

/** Oldest first, after `after`, only events whose transaction is settled (see the header). */
export async function listEvents(db: Db, tenantId: string, f: EventFilters, after: EventPosition | null, limit: number): Promise<EventPage> {
  const rows = await db
    .selectFrom('events')
    .select(['id', 'seq', sql<string>`tx_id::text`.as('tx_id'), 'tenant_id', 'type', 'entity_type', 'entity_id', 'ordering_key', 'connection_id', 'channel', 'data', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .where(settled())
    .$if(after !== null, (q) => q.where(sql<boolean>`(tx_id, seq) > (${after!.tx}::xid8, ${after!.seq}::bigint)`))
    .$if(!!f.types?.length, (q) => q.where(typeCondition(f.types!)))
    .$if(!!f.connection_id, (q) => q.where('connection_id', '=', f.connection_id!))
    .$if(!!f.entity_id, (q) => q.where('entity_id', '=', f.entity_id!))
    .$if(!!f.since, (q) => q.where('created_at', '>=', new Date(f.since!)))
    .orderBy('tx_id')
    .orderBy('seq')
    .limit(limit + 1)
    .execute();
  const { kept, more } = cutPage(rows, limit);
  const data = kept as EventRow[];
  const last = data.at(-1);
  const resume = last ? encodeEventCursor({ tx: last.tx_id, seq: last.seq }) : after ? encodeEventCursor(after) : null;
  return { data, next_cursor: more ? resume : null, resume_cursor: resume };
}

export async function getEvent(db: Db, tenantId: string, id: string): Promise<EventRow> {
  const row = await db
    .selectFrom('events')
    .select(['id', 'seq', sql<string>`tx_id::text`.as('tx_id'), 'tenant_id', 'type', 'entity_type', 'entity_id', 'ordering_key', 'connection_id', 'channel', 'data', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('Event', id);
  return row as EventRow;
}

/** For callers that filter in memory (the dispatcher). */
export { matchesEventType };
