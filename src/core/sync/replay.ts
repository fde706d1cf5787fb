// Replaying a dead-lettered pull record: read the record again from the upstream (its fixed version, when
// the upstream fixed it) or, failing that, take the stored payload; normalize it with today's adapter and
// store it, once.
import { sql } from 'kysely';
import type { Db } from '../../store/db.ts';
import type { DeadLetterRow } from '../../store/sync.ts';
import { AppError } from '../errors.ts';
import type { ChannelAdapter, RawRecord } from '../ports.ts';
import { applyRecords, type PullJob } from './pull.ts';
import { errorMessage } from './retry.ts';

/** Pages read at most when looking a record up again by its upstream updated-at. */
const REFETCH_MAX_PAGES = 20;

/**
 * The record as the upstream lists it now, found through a pull of the one instant it was last
 * updated at (known from staging). Null when that is unknown or the record is no longer listed there
 * (changed again since, so the next incremental pull brings it, or gone).
 */
export async function refetchRecord(db: Db, adapter: ChannelAdapter, job: PullJob, externalId: string): Promise<RawRecord | null> {
  if (!adapter.pull) return null;
  const staged = await db
    .selectFrom('sync_staging')
    .select('upstream_updated_at')
    .where('connection_id', '=', job.connectionId)
    .where('entity', '=', job.entity)
    .where('external_id', '=', externalId)
    .where('upstream_updated_at', 'is not', null)
    .orderBy('received_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  const at = staged?.upstream_updated_at;
  if (!at) return null;
  const window = { from: at.toISOString(), to: new Date(at.getTime() + 1).toISOString() };
  let cursor: string | null = null;
  for (let pages = 0; pages < REFETCH_MAX_PAGES; pages++) {
    const page = await adapter.pull(job.entity, { window, cursor, full: false });
    const found = page.records.find((r) => r.external_id === externalId);
    if (found) return found;
    if (page.next === null) return null;
    cursor = page.next;
  }
  return null;
}

export async function replayPulledRecord(db: Db, adapter: ChannelAdapter, job: PullJob, letter: DeadLetterRow): Promise<void> {
  const externalId = letter.external_id ?? '';
  // Read before claiming the letter: an upstream that cannot answer now leaves the letter open.
  const fresh = await refetchRecord(db, adapter, job, externalId);
  const record: RawRecord = fresh ?? { external_id: externalId, updated_at: null, payload: letter.payload };
  const failures: { external_id: string; reason: string }[] = [];
  await db.transaction().execute(async (trx) => {
    const claimed = await trx
      .updateTable('dead_letters')
      .set({ state: 'replayed', replay_count: sql`replay_count + 1`, updated_at: new Date() })
      .where('id', '=', letter.id)
      .where('state', '=', 'open')
      .executeTakeFirst();
    if (claimed.numUpdatedRows === 0n) throw new AppError('conflict', `dead letter ${letter.id} was replayed already`);
    const dead = await applyRecords(trx, adapter, job, `replay_${letter.id}`, [record], { keepGoing: () => true }, { deadLetterOnFailure: false, failures });
    if (dead > 0) throw new AppError('validation', failures[0]?.reason ?? 'the record still cannot be stored');
  }).catch(async (err: unknown) => {
    if (err instanceof AppError && err.kind === 'conflict') throw err;
    // A record that still cannot be stored keeps the reason it cannot, word for word: that reason is how
    // the letter is found again (a shipment waiting for its order, see adoptOrphanShipments).
    const reason = failures[0]?.reason ?? `replay failed: ${errorMessage(err)}`;
    await db
      .updateTable('dead_letters')
      .set({ reason: reason.slice(0, 4000), replay_count: sql`replay_count + 1`, updated_at: new Date() })
      .where('id', '=', letter.id)
      .execute();
    throw new AppError('validation', `replaying dead letter ${letter.id} failed: ${errorMessage(err)}`);
  });
}
