// Pulls: one (connection, entity) read from its upstream, page by page. Each page's raw payloads land in
// staging, are normalized and upserted, and the checkpoint moves, all in one transaction: a crash
// between pages resumes at the last committed page, and a page is never half-applied.
import { sql } from 'kysely';
import { ulid } from '../ids.ts';
import { upsertCategories, upsertProducts } from '../../store/catalog.ts';
import type { Db } from '../../store/db.ts';
import { inventoryExternalId, upsertInventory } from '../../store/inventory.ts';
import { orphanShipmentReason, upsertCustomers, upsertOrders, upsertShipments, type ConnectionRef } from '../../store/orders.ts';
import { addDeadLetter, loadCheckpoint, resolvePullDeadLetters, type CheckpointRow } from '../../store/sync.ts';
import { inTransaction, type UpsertResult } from '../../store/upsert.ts';
import { writeEvents } from '../../store/events.ts';
import { AppError } from '../errors.ts';
import type { ChannelAdapter, Entity, NormalizedByEntity, PullPage, PullWindow, RawRecord, SyncProfile } from '../ports.ts';
import { errorKind, errorMessage } from './retry.ts';

type Upsert<E extends Entity> = (db: Db, ref: ConnectionRef, inputs: NormalizedByEntity[E][], raws: Map<string, unknown>) => Promise<UpsertResult>;

const UPSERTS: { [E in Entity]: Upsert<E> } = {
  products: upsertProducts,
  inventory: upsertInventory,
  orders: upsertOrders,
  shipments: upsertShipments,
  customers: upsertCustomers,
  categories: upsertCategories,
};

/**
 * Tables whose rows a full pass may retire when they no longer exist upstream: marked with deleted_at,
 * or removed for stock levels, which keep no deletion mark (a level that is gone upstream is no stock).
 */
const DELETABLE: Partial<Record<Entity, { table: string; mark: boolean }>> = {
  products: { table: 'products', mark: true },
  orders: { table: 'orders', mark: true },
  shipments: { table: 'shipments', mark: true },
  customers: { table: 'customers', mark: true },
  categories: { table: 'categories', mark: true },
  inventory: { table: 'inventory_levels', mark: false },
};

/** The table each entity is stored in (each keeps the raw payload, unique on connection and external id). */
const TABLES: Record<Entity, string> = {
  products: 'products',
  inventory: 'inventory_levels',
  orders: 'orders',
  shipments: 'shipments',
  customers: 'customers',
  categories: 'categories',
};

function storeKey<E extends Entity>(entity: E, input: NormalizedByEntity[E]): string {
  if (entity === 'inventory') {
    const i = input as NormalizedByEntity['inventory'];
    return inventoryExternalId(i.sku, i.location_id);
  }
  return (input as { external_id: string }).external_id;
}

export interface PullJob {
  tenantId: string;
  connectionId: string;
  channel: string;
  entity: Entity;
  full: boolean;
}

export interface PullOutcome {
  /** Whether the run reached the end of its window (false: stopped for time, to be continued). */
  done: boolean;
  pages: number;
  records: number;
  deadLetters: number;
}

export interface PullHooks {
  onDeadLetter?(entity: Entity, kind: string): void;
  onRecords?(entity: Entity, n: number): void;
  /** Called between pages; return false to stop and continue in a later job. */
  keepGoing(): boolean;
}

/** Starts a run (or keeps the one in progress) and returns the checkpoint that describes it. */
async function beginRun(db: Db, job: PullJob, profile: SyncProfile, now: Date): Promise<CheckpointRow> {
  const cp = await loadCheckpoint(db, job.tenantId, job.connectionId, job.entity);
  const to = new Date(now.getTime() - profile.safetyLagMs);
  if (cp.run_id && (!job.full || cp.run_full)) {
    // A run that has not committed a page of its window yet (no cursor: it failed on its first read,
    // e.g. through an outage) reads up to now when it is retried. Kept at its old end, it would close
    // at that end and leave what changed during the outage to the next scheduled run, minutes later.
    // With a cursor the window stays: page tokens are bound to it.
    if (cp.run_cursor !== null || !cp.run_to || cp.run_to >= to) return cp;
    return db
      .updateTable('sync_checkpoints')
      .set({ run_to: to, last_attempt_at: now })
      .where('connection_id', '=', job.connectionId)
      .where('entity', '=', job.entity)
      .where('run_id', '=', cp.run_id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }
  const from = job.full || !cp.watermark ? null : new Date(cp.watermark.getTime() - profile.overlapMs);
  return db
    .updateTable('sync_checkpoints')
    .set({ run_id: `run_${ulid()}`, run_from: from, run_to: to, run_full: job.full || !cp.watermark, run_cursor: null, run_started_at: now, last_attempt_at: now })
    .where('connection_id', '=', job.connectionId)
    .where('entity', '=', job.entity)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Pulls pages until the window is exhausted or `hooks.keepGoing()` says stop. Throws the adapter's
 * error when a page cannot be read; the checkpoint then stays at the last committed page.
 */
export async function runPull(db: Db, adapter: ChannelAdapter, job: PullJob, profile: SyncProfile, hooks: PullHooks): Promise<PullOutcome> {
  if (!adapter.pull || !adapter.normalize) throw new AppError('validation', `this channel cannot read ${job.entity}`, { retriable: false });
  let cp = await beginRun(db, job, profile, new Date());
  const runId = cp.run_id!;
  const outcome: PullOutcome = { done: false, pages: 0, records: 0, deadLetters: 0 };

  const pull = adapter.pull.bind(adapter);
  let ahead: Promise<PullPage> | null = null;
  for (;;) {
    const window: PullWindow = { from: cp.run_from?.toISOString() ?? null, to: cp.run_to!.toISOString() };
    const full = cp.run_full && cp.run_from === null;
    const page: PullPage = await (ahead ?? pull(job.entity, { window, cursor: cp.run_cursor, full }));
    // The next page of the same window is read while this one is stored, so the upstream's latency
    // overlaps our writes instead of adding to them. Only when the run is to go on (the budget is
    // asked here rather than after the commit); a read whose page is then not needed is dropped.
    ahead = page.next !== null && hooks.keepGoing() ? pull(job.entity, { window, cursor: page.next, full }) : null;
    ahead?.catch(() => undefined);
    const committed = await db.transaction().execute(async (trx) => {
      // The checkpoint row is locked first: a concurrent run of the same pull (which the job queue
      // already prevents) could not interleave pages.
      const locked = await trx
        .selectFrom('sync_checkpoints')
        .select(['run_id', 'run_cursor'])
        .where('connection_id', '=', job.connectionId)
        .where('entity', '=', job.entity)
        .forUpdate()
        .executeTakeFirst();
      if (!locked || locked.run_id !== runId || locked.run_cursor !== cp.run_cursor) return null;
      const dead = await applyRecords(trx, adapter, job, runId, page.records, hooks);
      const row = await trx
        .updateTable('sync_checkpoints')
        .set({
          run_cursor: page.next,
          records_pulled: sql`records_pulled + ${page.records.length}`,
          pages_pulled: sql`pages_pulled + 1`,
        })
        .where('connection_id', '=', job.connectionId)
        .where('entity', '=', job.entity)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (page.next !== null) return { row, dead, finished: false };
      // The window is exhausted. A full pass that detects deletions first reads what changed while it
      // ran (see chaseTail); otherwise the run closes in this same transaction, so a crash can never
      // leave a run whose pages are all stored but which starts over from its first page.
      if (needsTail(job, profile, row)) return { row: await chaseTail(trx, job, profile, row), dead, finished: false };
      await finishRun(trx, job, profile, row);
      return { row, dead, finished: true };
    });
    if (!committed) throw new AppError('conflict', 'the pull run changed under this job; it will be picked up by the next one');
    cp = committed.row;
    outcome.pages += 1;
    outcome.records += page.records.length;
    outcome.deadLetters += committed.dead;
    hooks.onRecords?.(job.entity, page.records.length);
    if (committed.finished) {
      outcome.done = true;
      return outcome;
    }
    // A page with a successor was followed only if the budget allowed it (see above); the last page of
    // a window that moved on to its tail asks now.
    if (page.next !== null ? ahead === null : !hooks.keepGoing()) return outcome;
  }
}

/**
 * Whether the run just read the last page of a full pass whose entity marks deletions, has not chased
 * its tail yet, and has a tail to chase (time passed beyond run_to, net of the safety lag).
 */
function needsTail(job: PullJob, profile: SyncProfile, cp: CheckpointRow): boolean {
  if (!cp.run_full || cp.run_from !== null || !DELETABLE[job.entity] || !profile.detectsDeletions[job.entity]) return false;
  return Date.now() - profile.safetyLagMs > cp.run_to!.getTime();
}

/**
 * A full pass lists the window [beginning, run_to). A record updated upstream while the pass ran moves
 * past run_to, and if the pass had not reached it yet, the pass never lists it: marking what the pass
 * did not see as deleted would delete it. So before marking, the same run reads [run_to, now - lag)
 * too; every record that still exists has then been seen (a record updated again during this short
 * read is the rare miss, and the next pull restores it). The watermark ends at the tail's end.
 */
async function chaseTail(trx: Db, job: PullJob, profile: SyncProfile, cp: CheckpointRow): Promise<CheckpointRow> {
  const to = new Date(Date.now() - profile.safetyLagMs);
  return trx
    .updateTable('sync_checkpoints')
    .set({ run_from: cp.run_to, run_to: to, run_cursor: null })
    .where('connection_id', '=', job.connectionId)
    .where('entity', '=', job.entity)
    .where('run_id', '=', cp.run_id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Stages, normalizes and upserts records inside the caller's transaction; returns how many could not be
 * stored. Those become dead letters, unless `deadLetterOnFailure` is false: a replay reports instead,
 * and gets each failure's reason in `failures` when it passes an array.
 */
export async function applyRecords<E extends Entity>(
  trx: Db,
  adapter: ChannelAdapter,
  job: PullJob & { entity: E },
  runId: string,
  records: RawRecord[],
  hooks: PullHooks,
  options: { deadLetterOnFailure?: boolean; failures?: { external_id: string; reason: string }[] } = {},
): Promise<number> {
  if (records.length === 0) return 0;
  if (!adapter.normalize) throw new AppError('validation', 'this channel cannot normalize records', { retriable: false });
  const ref: ConnectionRef = { tenantId: job.tenantId, connectionId: job.connectionId, channel: job.channel };
  const keepLetters = options.deadLetterOnFailure !== false;
  const receivedAt = new Date();
  const outcomes = new Map<string, string>();
  const inputs: NormalizedByEntity[E][] = [];
  const raws = new Map<string, unknown>();
  const keys = new Map<RawRecord, string>();
  let dead = 0;
  for (const r of records) {
    try {
      const input = adapter.normalize(job.entity, r);
      inputs.push(input);
      const key = storeKey(job.entity, input);
      keys.set(r, key);
      raws.set(key, r.payload);
      outcomes.set(r.external_id, 'applied');
    } catch (err) {
      dead += 1;
      outcomes.set(r.external_id, 'dead');
      hooks.onDeadLetter?.(job.entity, errorKind(err));
      const reason = `could not normalize ${job.entity} ${r.external_id}: ${errorMessage(err)}`;
      options.failures?.push({ external_id: r.external_id, reason });
      if (keepLetters) await addDeadLetter(trx, {
        tenantId: job.tenantId,
        connectionId: job.connectionId,
        source: 'pull',
        entity: job.entity,
        externalId: r.external_id,
        errorKind: errorKind(err),
        reason,
        payload: r.payload,
      });
    }
  }
  const upsert = UPSERTS[job.entity] as Upsert<E>;
  const result = await upsert(trx, ref, inputs, raws);
  for (const f of result.failed) {
    dead += 1;
    outcomes.set(f.external_id, 'dead');
    hooks.onDeadLetter?.(job.entity, 'validation');
    options.failures?.push(f);
    if (keepLetters) await addDeadLetter(trx, {
      tenantId: job.tenantId,
      connectionId: job.connectionId,
      source: 'pull',
      entity: job.entity,
      externalId: f.external_id,
      errorKind: 'validation',
      reason: f.reason,
      payload: records.find((r) => r.external_id === f.external_id)?.payload,
    });
  }
  for (const id of result.stale) outcomes.set(id, 'stale');
  await resolvePullDeadLetters(trx, job.connectionId, job.entity, [...result.written.keys(), ...result.stale, ...(result.unchanged ?? [])]);
  if (job.entity === 'orders' && result.written.size > 0) await adoptOrphanShipments(trx, adapter, job, runId, [...result.written.keys()], hooks);
  // A record that was stored carries its payload in its table's raw column already: staging copies it
  // from there rather than having PostgreSQL parse and compress the same document twice. The others
  // (dead, stale, or a duplicate of the page that lost to a later version) send theirs. One parameter
  // for the whole page: the rows are read out of one JSON document.
  const rows = records.map((r) => {
    const key = keys.get(r);
    const copy = key !== undefined && result.written.has(key) && raws.get(key) === r.payload;
    return {
      external_id: r.external_id,
      store_key: copy ? key : null,
      upstream_updated_at: r.updated_at ? new Date(r.updated_at).toISOString() : null,
      payload: copy ? null : (r.payload ?? null),
      outcome: outcomes.get(r.external_id) ?? 'applied',
    };
  });
  await sql`
    INSERT INTO sync_staging (tenant_id, connection_id, entity, run_id, external_id, upstream_updated_at, payload, outcome, received_at)
    SELECT ${job.tenantId}, ${job.connectionId}, ${job.entity}, ${runId}, x.r->>'external_id', (x.r->>'upstream_updated_at')::timestamptz,
      CASE WHEN x.r->>'store_key' IS NULL THEN x.r->'payload' ELSE t.raw END, x.r->>'outcome', ${receivedAt}
    FROM jsonb_array_elements(${JSON.stringify(rows)}::jsonb) WITH ORDINALITY AS x(r, n)
    LEFT JOIN ${sql.table(TABLES[job.entity])} t ON t.connection_id = ${job.connectionId} AND t.external_id = x.r->>'store_key'
    ORDER BY x.n`.execute(trx);
  return dead;
}

/**
 * Entities are pulled independently, so a shipment can arrive before its order and wait as a dead letter.
 * When the order is stored, its waiting shipments are applied in the same transaction (a failure leaves
 * the letter open, as a replay would). The one recovery of such shipments: letters are found by their
 * exact reason (`orphanShipmentReason`), which a failed replay keeps, never by matching words in messages.
 */
async function adoptOrphanShipments(trx: Db, adapter: ChannelAdapter, job: PullJob, runId: string, orderExternalIds: string[], hooks: PullHooks): Promise<void> {
  const letters = await trx
    .selectFrom('dead_letters')
    .select(['external_id', 'payload'])
    .where('connection_id', '=', job.connectionId)
    .where('entity', '=', 'shipments')
    .where('source', '=', 'pull')
    .where('state', '=', 'open')
    .where('reason', '=', sql<string>`ANY(${orderExternalIds.map(orphanShipmentReason)})`)
    .execute();
  const records: RawRecord[] = letters.flatMap((l) => (l.external_id === null ? [] : [{ external_id: l.external_id, updated_at: null, payload: l.payload }]));
  if (records.length === 0) return;
  await applyRecords(trx, adapter, { ...job, entity: 'shipments' }, `${runId}_adopt`, records, hooks, { deadLetterOnFailure: false });
}

/**
 * The run saw its whole window: the watermark moves to its end; a full pass deals with the records it
 * did not see (marked deleted, or removed where the table keeps no deletion mark). Runs inside the
 * transaction of the run's last page.
 */
async function finishRun(trx: Db, job: PullJob, profile: SyncProfile, cp: CheckpointRow): Promise<void> {
  const gone = DELETABLE[job.entity];
  if (cp.run_full && gone && profile.detectsDeletions[job.entity]) {
    const unseen = sql`t.connection_id = ${job.connectionId}
      AND NOT EXISTS (SELECT 1 FROM sync_staging s WHERE s.run_id = ${cp.run_id} AND s.external_id = t.external_id)`;
    if (gone.mark) await sql`UPDATE ${sql.table(gone.table)} t SET deleted_at = now() WHERE t.deleted_at IS NULL AND ${unseen}`.execute(trx);
    else await sql`DELETE FROM ${sql.table(gone.table)} t WHERE ${unseen}`.execute(trx);
  }
  await trx
    .updateTable('sync_checkpoints')
    .set({
      watermark: cp.run_to,
      run_id: null,
      run_from: null,
      run_to: null,
      run_full: false,
      run_cursor: null,
      run_started_at: null,
      last_success_at: new Date(),
      last_error: null,
      failures: 0,
    })
    .where('connection_id', '=', job.connectionId)
    .where('entity', '=', job.entity)
    .where('run_id', '=', cp.run_id)
    .execute();
}

export async function recordPullFailure(db: Db, job: PullJob, err: unknown): Promise<number> {
  const reason = `${errorKind(err)}: ${errorMessage(err)}`.slice(0, 2000);
  return inTransaction(db, async (trx) => {
    const row = await trx
      .updateTable('sync_checkpoints')
      .set({ last_error: reason, last_error_at: new Date(), failures: sql`failures + 1` })
      .where('connection_id', '=', job.connectionId)
      .where('entity', '=', job.entity)
      .returning('failures')
      .executeTakeFirst();
    const failures = row?.failures ?? 1;
    // One event when pulling starts failing, not one per retry.
    if (failures === 1) {
      await writeEvents(trx, [
        {
          tenantId: job.tenantId,
          type: 'sync.failed',
          entityType: 'connection',
          entityId: job.connectionId,
          connectionId: job.connectionId,
          channel: job.channel,
          data: { object: { connection_id: job.connectionId, entity: job.entity, error_kind: errorKind(err), reason, failures } },
        },
      ]);
    }
    return failures;
  });
}
