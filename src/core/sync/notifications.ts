// Push notifications from upstreams: a deployment's forwarder (an SQS/EventBridge bridge, or the queue
// poller below) hands over the raw notification; the connection's adapter reads it into records to
// fetch again; each is taken once per dedupe key; the fetch runs as a job that reads the record by id
// and stores it like a pulled one.
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Db } from '../../store/db.ts';
import { enqueueJob } from '../../store/jobs.ts';
import { AppError } from '../errors.ts';
import { ulid } from '../ids.ts';
import { ENTITIES, type ChannelAdapter, type Entity } from '../ports.ts';
import { applyRecords, type PullJob } from './pull.ts';

export type NotificationOutcome = { status: 'queued' | 'duplicate'; dedupe_key: string; fetch: { entity: Entity; external_id: string }[] } | { status: 'ignored'; dedupe_key: null; fetch: [] };

/** The job that re-reads one record a notification named. */
export const FETCH_TASK = 'fetch';
export interface FetchJobPayload {
  tenant_id: string;
  connection_id: string;
  entity: Entity;
  external_id: string;
}

/**
 * Takes one notification for a connection. A dedupe key seen before changes nothing; a new one queues
 * a fetch job per record, in the same transaction that remembers the key.
 */
export async function ingestNotification(db: Db, adapter: ChannelAdapter, tenantId: string, connectionId: string, body: unknown): Promise<NotificationOutcome> {
  if (!adapter.parseNotification) throw new AppError('validation', 'this channel does not take notifications', { errors: [{ path: '(body)', message: 'not supported by this channel' }] });
  const parsed = adapter.parseNotification(body);
  if (!parsed) return { status: 'ignored', dedupe_key: null, fetch: [] };
  const fetch = parsed.fetch.filter((f) => (ENTITIES as readonly string[]).includes(f.entity)).map((f) => ({ entity: f.entity, external_id: f.externalId }));
  const inserted = await db.transaction().execute(async (trx) => {
    const r = await trx
      .insertInto('notifications')
      .values({ tenant_id: tenantId, connection_id: connectionId, dedupe_key: parsed.dedupeKey, targets: JSON.stringify(parsed.fetch) })
      .onConflict((oc) => oc.columns(['connection_id', 'dedupe_key']).doNothing())
      .executeTakeFirst();
    if ((r.numInsertedOrUpdatedRows ?? 0n) === 0n) return false;
    for (const f of fetch) {
      const payload: FetchJobPayload = { tenant_id: tenantId, connection_id: connectionId, entity: f.entity, external_id: f.external_id };
      // One pending fetch per record: a burst of changes to one order reads it once.
      await enqueueJob(trx, FETCH_TASK, { ...payload }, { key: `fetch:${connectionId}:${f.entity}:${f.external_id}`, keyMode: 'replace', maxAttempts: 10 });
    }
    return true;
  });
  return { status: inserted ? 'queued' : 'duplicate', dedupe_key: parsed.dedupeKey, fetch };
}

/** Runs a fetch job: reads the record by id and stores it (an older version never overwrites a newer one). */
export async function runFetch(db: Db, adapter: ChannelAdapter, job: Omit<PullJob, 'full'>, externalId: string): Promise<'stored' | 'missing' | 'dead_letter'> {
  if (!adapter.fetch) throw new AppError('validation', 'this channel cannot fetch single records', { retriable: false });
  const record = await adapter.fetch(job.entity, externalId);
  if (!record) return 'missing';
  const dead = await db.transaction().execute((trx) => applyRecords(trx, adapter, { ...job, full: false }, `ntf_${ulid()}`, [record], { keepGoing: () => true }));
  return dead > 0 ? 'dead_letter' : 'stored';
}

/** Notifications older than this are forgotten (a redelivery after that long is taken again, harmlessly). */
export async function pruneNotifications(db: Db, days = 14): Promise<void> {
  await sql`DELETE FROM notifications WHERE received_at < now() - make_interval(days => ${days})`.execute(db);
}

// ---- A queue consumer, for deployments that read the notifications queue themselves ----

/** One message of an SQS-like queue. */
export interface QueueMessage {
  id: string;
  body: string;
  /** What delete() needs to remove the message (SQS: the receipt handle of this receive). */
  receipt: string;
}

/**
 * The queue the poller reads: SQS's ReceiveMessage and DeleteMessage, behind whatever client the
 * deployment uses. A message not deleted comes back after its visibility timeout.
 */
export interface NotificationQueue {
  receive(options: { maxMessages: number; waitSeconds: number }): Promise<QueueMessage[]>;
  delete(receipt: string): Promise<void>;
}

/**
 * Reads a queue and hands each message to `handle`; a handled message is deleted, a failed one is left
 * for redelivery.
 * @example
 * const poller = new NotificationPoller({ queue, handle: (body) => ingestFor(sellerOf(body), body), log });
 * poller.start(); … await poller.stop();
 */
export class NotificationPoller {
  #running: Promise<void> | null = null;
  #stopped = false;

  constructor(private readonly o: { queue: NotificationQueue; handle: (body: unknown) => Promise<unknown>; log?: Logger; maxMessages?: number; waitSeconds?: number; idleMs?: number }) {}

  /** One receive: returns how many messages were handled and deleted. */
  async pollOnce(): Promise<{ received: number; handled: number; failed: number }> {
    const messages = await this.o.queue.receive({ maxMessages: this.o.maxMessages ?? 10, waitSeconds: this.o.waitSeconds ?? 20 });
    let handled = 0;
    let failed = 0;
    for (const m of messages) {
      let body: unknown = m.body;
      try {
        body = JSON.parse(m.body) as unknown;
      } catch {
        // not JSON: the handler decides
      }
      try {
        await this.o.handle(body);
        await this.o.queue.delete(m.receipt);
        handled += 1;
      } catch (err) {
        failed += 1;
        this.o.log?.warn({ message_id: m.id, err: err instanceof Error ? err.message : String(err) }, 'notification not taken; it comes back after its visibility timeout');
      }
    }
    return { received: messages.length, handled, failed };
  }

  start(): void {
    if (this.#running) return;
    this.#stopped = false;
    this.#running = (async () => {
      while (!this.#stopped) {
        try {
          const r = await this.pollOnce();
          if (r.received === 0 && this.o.idleMs) await sleep(this.o.idleMs);
        } catch (err) {
          this.o.log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'notification queue receive failed');
          await sleep(this.o.idleMs ?? 1000);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
    this.#running = null;
  }
}
