// Replaying a dead-lettered pull record: normalize the stored payload again and store it, once.
import { sql } from 'kysely';
import type { Db } from '../../store/db.ts';
import type { DeadLetterRow } from '../../store/sync.ts';
import { AppError } from '../errors.ts';
import type { ChannelAdapter, RawRecord } from '../ports.ts';
import { applyRecords, type PullJob } from './pull.ts';
import { errorMessage } from './retry.ts';

export async function replayPulledRecord(db: Db, adapter: ChannelAdapter, job: PullJob, letter: DeadLetterRow): Promise<void> {
  const record: RawRecord = { external_id: letter.external_id ?? '', updated_at: null, payload: letter.payload };
  await db.transaction().execute(async (trx) => {
    const claimed = await trx
      .updateTable('dead_letters')
      .set({ state: 'replayed', replay_count: sql`replay_count + 1`, updated_at: new Date() })
      .where('id', '=', letter.id)
      .where('state', '=', 'open')
      .executeTakeFirst();
    if (claimed.numUpdatedRows === 0n) throw new AppError('conflict', `dead letter ${letter.id} was replayed already`);
    const dead = await applyRecords(trx, adapter, job, `replay_${letter.id}`, [record], { keepGoing: () => true }, { deadLetterOnFailure: false });
    if (dead > 0) throw new AppError('validation', `the record still cannot be stored`);
  }).catch(async (err: unknown) => {
    if (err instanceof AppError && err.kind === 'conflict') throw err;
    await db
      .updateTable('dead_letters')
      .set({ reason: `replay failed: ${errorMessage(err)}`.slice(0, 4000), replay_count: sql`replay_count + 1`, updated_at: new Date() })
      .where('id', '=', letter.id)
      .execute();
    throw new AppError('validation', `replaying dead letter ${letter.id} failed: ${errorMessage(err)}`);
  });
}
