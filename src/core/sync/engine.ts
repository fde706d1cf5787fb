// The sync engine: schedules and runs pulls, executes outbound operations, and keeps both visible.
// One instance per process; `startWorkers` makes the process take jobs (serve does by default,
// `switchyard worker` does nothing else).
import type { Task } from 'graphile-worker';
import { sql } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AdapterRegistry } from '../registry.ts';
import { getConnection, updateConnection } from '../../store/connections.ts';
import type { Db } from '../../store/db.ts';
import { enqueueJob, startJobRunner, type JobRunner } from '../../store/jobs.ts';
import { checkpointsFor, connectionCounts, getDeadLetter, getOperation, type CheckpointRow, type DeadLetterRow } from '../../store/sync.ts';
import { AppError } from '../errors.ts';
import type { Connection } from '../model/index.ts';
import { ENTITIES, READ_CAPABILITY, type Entity, type SecretBox, type SyncProfile, type Throttle } from '../ports.ts';
import { AdapterCache, withInlineThrottleWaits } from './adapters.ts';
import type { EngineExtension } from './hooks.ts';
import { createSyncMetrics, type SyncMetrics } from './metrics.ts';
import { enqueueOperation, executeOperation, resumePausedOperations, submitOperation, type SubmitOperation } from './operations.ts';
import { recordPullFailure, runPull, type PullJob } from './pull.ts';
import { FETCH_TASK, ingestNotification, pruneNotifications, runFetch, type FetchJobPayload, type NotificationOutcome } from './notifications.ts';
import { replayPulledRecord } from './replay.ts';
import { backoffMs, classify, errorMessage, retryAfterOf } from './retry.ts';
import { MAINTENANCE_TASK, WebhookWorker, type WebhookSettings } from '../webhooks/delivery.ts';

export const DEFAULT_PROFILE: SyncProfile = {
  safetyLagMs: 0,
  overlapMs: 5 * 60_000,
  intervalsSec: { orders: 60, inventory: 60, shipments: 60, products: 900, customers: 900, categories: 3600 },
  detectsDeletions: {},
};

/** One queue per (connection, entity): its pulls, full or not, never run at the same time. */
export function pullQueue(connectionId: string, entity: Entity): string {
  return `pull:${connectionId}:${entity}`;
}

export interface EngineOptions {
  db: Db;
  pool: pg.Pool;
  box: SecretBox;
  registry: AdapterRegistry;
  throttle: Throttle;
  log: Logger;
  metricsRegistry: Registry;
  allowPrivateUpstreams: boolean;
  /** How long one pull job may run before it hands over to a continuation job. */
  pullBudgetMs?: number;
  /** Worker liveness: heartbeat period and when a silent process counts as dead. */
  heartbeatMs?: number;
  staleAfterMs?: number;
  pollIntervalMs?: number;
  /** Webhook delivery settings (timeouts, retry window, disabling); allowPrivate follows allowPrivateUpstreams. */
  webhooks?: Partial<WebhookSettings>;
}

export interface EntityStatus {
  entity: Entity;
  interval_sec: number;
  last_success_at: string | null;
  checkpoint: string | null;
  lag_seconds: number | null;
  run_in_progress: boolean;
  records_pulled: number;
  pages_pulled: number;
  failures: number;
  last_error: string | null;
  last_error_at: string | null;
}

export class SyncEngine {
  readonly metrics: SyncMetrics;
  readonly adapters: AdapterCache;
  /** Webhook fan-out and delivery: its tasks run on this engine's workers. */
  readonly webhooks: WebhookWorker;
  #runner: JobRunner | undefined;
  /** Registered with `use`: the flow runner (wired by whoever builds the process) and any other. */
  readonly #extensions: EngineExtension[] = [];

  get db(): Db {
    return this.o.db;
  }

  constructor(private readonly o: EngineOptions) {
    this.metrics = createSyncMetrics(o.metricsRegistry, o.db);
    this.adapters = new AdapterCache({ ...o, metrics: this.metrics });
    this.webhooks = new WebhookWorker({ db: o.db, box: o.box, log: o.log, settings: { allowPrivate: o.allowPrivateUpstreams, ...o.webhooks } });
  }

  /**
   * Plugs in hooks and job tasks (the flow runner, see `attachFlows`). Register before `startWorkers`:
   * the workers take the tasks known when they start.
   */
  use(extension: EngineExtension): void {
    this.#extensions.push(extension);
  }

  /** Calls one hook of every extension; a failing hook is logged and does not stop the others. */
  private async callHooks(what: string, log: Logger, call: (e: EngineExtension) => Promise<void> | undefined): Promise<void> {
    for (const e of this.#extensions) {
      await call(e)?.catch((err: unknown) => log.warn({ err: errorMessage(err) }, what));
    }
  }

  profileFor(channel: string): SyncProfile {
    const own = this.o.registry.get(channel)?.sync ?? {};
    return {
      ...DEFAULT_PROFILE,
      ...own,
      intervalsSec: { ...DEFAULT_PROFILE.intervalsSec, ...own.intervalsSec },
      detectsDeletions: { ...DEFAULT_PROFILE.detectsDeletions, ...own.detectsDeletions },
    };
  }

  /** The entities a connection pulls: those its adapter can read. */
  pulledEntities(connection: Connection): Entity[] {
    const caps = this.o.registry.get(connection.channel)?.manifest.capabilities ?? [];
    return ENTITIES.filter((e) => caps.includes(READ_CAPABILITY[e]));
  }

  intervalSec(connection: Connection & { sync_intervals?: Record<string, number> }, entity: Entity, overrides: Record<string, number> = {}): number {
    return overrides[entity] ?? this.profileFor(connection.channel).intervalsSec[entity] ?? 300;
  }

  /**
   * Queues a pull of (connection, entity). `replace` moves a pending pull to `runAt`. Full pulls have a
   * job key of their own: adding a job under a key overwrites the pending job's payload, so with one
   * key the next regular schedule (made when a running pull finishes, or by the maintenance task)
   * would turn a requested full pull into an incremental one. Both keys share one queue, so pulls of
   * one (connection, entity) still never run at the same time.
   */
  async schedulePull(
    db: Db,
    tenantId: string,
    connectionId: string,
    entity: Entity,
    options: { runAt?: Date; full?: boolean; replace?: boolean } = {},
  ): Promise<void> {
    const queue = pullQueue(connectionId, entity);
    const full = options.full ?? false;
    await enqueueJob(
      db,
      'pull',
      { tenant_id: tenantId, connection_id: connectionId, entity, full },
      { queue, key: full ? `${queue}:full` : queue, keyMode: options.replace ? 'replace' : 'preserve_run_at', runAt: options.runAt, maxAttempts: 10 },
    );
  }

  /** POST /v1/connections/{id}/sync: pull now (all readable entities, or the ones named). */
  async requestSync(tenantId: string, connectionId: string, entities: Entity[] | undefined, full: boolean): Promise<{ entity: Entity; full: boolean }[]> {
    const connection = await getConnection(this.o.db, tenantId, connectionId);
    if (connection.status !== 'active') throw new AppError('conflict', `connection ${connectionId} is ${connection.status}; it does not sync until it is active`);
    const readable = this.pulledEntities(connection);
    const wanted = entities ?? readable;
    const unreadable = wanted.filter((e) => !readable.includes(e));
    if (unreadable.length) {
      throw new AppError('validation', `this channel cannot read ${unreadable.join(', ')}`, { errors: unreadable.map((e) => ({ path: 'entities', message: `${e} is not readable here` })) });
    }
    await this.o.db.transaction().execute(async (trx) => {
      for (const entity of wanted) await this.schedulePull(trx, tenantId, connectionId, entity, { full, replace: true, runAt: new Date() });
    });
    return wanted.map((entity) => ({ entity, full }));
  }

  /**
   * Makes sure every active connection has its pulls queued (run at start and every minute): a pull
   * with no live job, pending or running, gets one that runs now (or its failed job is revived). A
   * running pull is left alone: it schedules its own next run when it ends. (Adding a job under the key
   * of a running one queues a second run right behind it: every pull that happened to run at a
   * worker's start or at the minute's maintenance ran twice.)
   */
  async ensureSchedules(): Promise<number> {
    const rows = await this.o.db
      .selectFrom('connections')
      .select(['id', 'tenant_id', 'channel', 'status'])
      .where('status', '=', 'active')
      .execute();
    const { rows: busy } = await sql<{ queue_name: string }>`
      SELECT DISTINCT queue_name FROM graphile_worker.jobs
      WHERE task_identifier = 'pull' AND queue_name IS NOT NULL AND (locked_at IS NOT NULL OR attempts < max_attempts)`.execute(this.o.db);
    const queued = new Set(busy.map((r) => r.queue_name));
    let n = 0;
    for (const c of rows) {
      const caps = this.o.registry.get(c.channel)?.manifest.capabilities ?? [];
      for (const entity of ENTITIES) {
        if (!caps.includes(READ_CAPABILITY[entity])) continue;
        if (queued.has(pullQueue(c.id, entity))) continue;
        await this.schedulePull(this.o.db, c.tenant_id, c.id, entity);
        n += 1;
      }
    }
    return n;
  }

  async submit(s: Omit<SubmitOperation, 'capabilities'>, db: Db = this.o.db) {
    const connection = await getConnection(db, s.tenantId, s.connectionId);
    const capabilities = this.o.registry.get(connection.channel)?.manifest.capabilities ?? [];
    return submitOperation(db, { ...s, capabilities });
  }

  /** Waits up to `ms` for an operation to finish; returns it as it stands then. */
  async waitForOperation(tenantId: string, id: string, ms: number) {
    const deadline = Date.now() + ms;
    let op = await getOperation(this.o.db, tenantId, id);
    while ((op.state === 'pending' || op.state === 'running') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      op = await getOperation(this.o.db, tenantId, id);
    }
    return op;
  }

  async status(tenantId: string, connectionId: string): Promise<{ connection: Connection; entities: EntityStatus[]; pending_operations: number; paused_operations: number; open_dead_letters: number }> {
    const connection = await getConnection(this.o.db, tenantId, connectionId);
    const [cps, counts, overrides] = await Promise.all([
      checkpointsFor(this.o.db, tenantId, connectionId),
      connectionCounts(this.o.db, tenantId, connectionId),
      this.intervalOverrides(connectionId),
    ]);
    const byEntity = new Map<string, CheckpointRow>(cps.map((c) => [c.entity, c]));
    const now = Date.now();
    const entities = this.pulledEntities(connection).map((entity): EntityStatus => {
      const cp = byEntity.get(entity);
      return {
        entity,
        interval_sec: this.intervalSec(connection, entity, overrides),
        last_success_at: cp?.last_success_at?.toISOString() ?? null,
        checkpoint: cp?.watermark?.toISOString() ?? null,
        lag_seconds: cp?.watermark ? Math.round((now - cp.watermark.getTime()) / 1000) : null,
        run_in_progress: !!cp?.run_id,
        records_pulled: cp?.records_pulled ?? 0,
        pages_pulled: cp?.pages_pulled ?? 0,
        failures: cp?.failures ?? 0,
        last_error: cp?.last_error ?? null,
        last_error_at: cp?.last_error_at?.toISOString() ?? null,
      };
    });
    return { connection, entities, ...counts };
  }

  async intervalOverrides(connectionId: string): Promise<Record<string, number>> {
    const row = await this.o.db.selectFrom('connections').select('sync_intervals').where('id', '=', connectionId).executeTakeFirst();
    return row?.sync_intervals ?? {};
  }

  /** The connection's credentials were refused: mark it, stop its work, say why. */
  async markNeedsReauth(tenantId: string, connectionId: string, reason: string): Promise<void> {
    await updateConnection(this.o.db, this.o.box, tenantId, connectionId, { status: 'needs_reauth', last_error: reason.slice(0, 2000) });
    this.adapters.forget(connectionId);
    this.o.log.warn({ tenant_id: tenantId, connection_id: connectionId }, 'connection needs re-authentication; its jobs are paused');
  }

  /** New credentials or a resume: pending work goes back to the queue. */
  async onConnectionActivated(tenantId: string, connectionId: string): Promise<void> {
    this.adapters.forget(connectionId);
    await resumePausedOperations(this.o.db, connectionId);
    const connection = await getConnection(this.o.db, tenantId, connectionId);
    await this.o.db.transaction().execute(async (trx) => {
      for (const entity of this.pulledEntities(connection)) await this.schedulePull(trx, tenantId, connectionId, entity, { replace: true, runAt: new Date() });
    });
  }

  /** POST /v1/dead-letters/{id}/replay. A letter is replayed once; a second replay is a conflict. */
  async replayDeadLetter(tenantId: string, id: string): Promise<DeadLetterRow> {
    const letter = await getDeadLetter(this.o.db, tenantId, id);
    if (letter.state !== 'open') throw new AppError('conflict', `dead letter ${id} is ${letter.state} already`);
    if (letter.source === 'operation' && letter.operation_id) {
      await this.o.db.transaction().execute(async (trx) => {
        const claimed = await trx
          .updateTable('dead_letters')
          .set({ state: 'replayed', replay_count: sql`replay_count + 1`, updated_at: new Date() })
          .where('id', '=', id)
          .where('state', '=', 'open')
          .executeTakeFirst();
        if (claimed.numUpdatedRows === 0n) throw new AppError('conflict', `dead letter ${id} was replayed already`);
        await trx
          .updateTable('operations')
          .set({ state: 'pending', attempts: 0, completed_at: null, next_attempt_at: new Date(), updated_at: new Date() })
          .where('id', '=', letter.operation_id)
          .execute();
        await enqueueOperation(trx, letter.operation_id!, letter.connection_id);
      });
      return getDeadLetter(this.o.db, tenantId, id);
    }
    // A pull record: read it again from the upstream (else take the stored payload), normalize and store it.
    const live = await this.adapters.get(tenantId, letter.connection_id);
    const entity = letter.entity as Entity;
    if (!live.adapter.normalize) throw new AppError('validation', 'this channel cannot normalize records');
    const job: PullJob = { tenantId, connectionId: letter.connection_id, channel: live.connection.channel, entity, full: false };
    await replayPulledRecord(this.o.db, live.adapter, job, letter);
    return getDeadLetter(this.o.db, tenantId, id);
  }

  // -------------------------------------------------------------------------------------------------
  // Workers

  tasks(): Record<string, Task> {
    const delay = (task: string, runAt: Date) => this.metrics.jobDelay.observe({ task }, Math.max(0, Date.now() - runAt.getTime()) / 1000);
    return {
      ...this.webhooks.tasks(),
      pull: async (payload, helpers) => {
        delay('pull', helpers.job.run_at);
        const p = payload as { tenant_id: string; connection_id: string; entity: Entity; full?: boolean };
        await this.pullTask(p, helpers.job.id);
      },
      operation: async (payload, helpers) => {
        delay('operation', helpers.job.run_at);
        const { operation_id } = payload as { operation_id: string };
        await this.operationTask(operation_id);
      },
      ...this.extensionTasks(delay),
      [FETCH_TASK]: async (payload) => {
        await this.fetchTask(payload as FetchJobPayload);
      },
      maintenance: async () => {
        await this.ensureSchedules();
        for (const e of this.#extensions) await e.maintain?.();
        await pruneNotifications(this.o.db);
        await sql`DELETE FROM sync_staging s WHERE s.received_at < now() - interval '7 days'
                  AND NOT EXISTS (SELECT 1 FROM sync_checkpoints c WHERE c.run_id = s.run_id)`.execute(this.o.db);
      },
    };
  }

  /** The extensions' tasks, each observed for how late it starts like the engine's own. */
  private extensionTasks(delay: (task: string, runAt: Date) => void): Record<string, Task> {
    const out: Record<string, Task> = {};
    for (const e of this.#extensions) {
      for (const [name, task] of Object.entries(e.tasks?.() ?? {})) {
        out[name] = (payload, helpers) => {
          delay(name, helpers.job.run_at);
          return task(payload, helpers);
        };
      }
    }
    return out;
  }

  private async pullTask(p: { tenant_id: string; connection_id: string; entity: Entity; full?: boolean }, jobId: string): Promise<void> {
    const started = performance.now();
    let connection: Connection;
    try {
      connection = await getConnection(this.o.db, p.tenant_id, p.connection_id);
    } catch {
      return; // deleted: nothing to pull, nothing to reschedule
    }
    if (connection.status !== 'active') return;
    const log = this.o.log.child({ tenant_id: p.tenant_id, connection_id: p.connection_id, entity: p.entity, job_id: jobId });
    const job: PullJob = { tenantId: p.tenant_id, connectionId: p.connection_id, channel: connection.channel, entity: p.entity, full: p.full ?? false };
    const profile = this.profileFor(connection.channel);
    const budget = this.o.pullBudgetMs ?? 20_000;
    const nextRegular = async () => {
      const overrides = await this.intervalOverrides(p.connection_id);
      return new Date(Date.now() + this.intervalSec(connection, p.entity, overrides) * 1000);
    };
    try {
      const live = await this.adapters.get(p.tenant_id, p.connection_id);
      const outcome = await runPull(this.o.db, withInlineThrottleWaits(live.adapter), job, profile, {
        keepGoing: () => performance.now() - started < budget,
        onRecords: (entity, n) => this.metrics.recordsPulled.inc({ entity }, n),
        onDeadLetter: (_entity, kind) => this.metrics.deadLetters.inc({ source: 'pull', kind }),
      });
      if (outcome.done) {
        await this.schedulePull(this.o.db, p.tenant_id, p.connection_id, p.entity, { runAt: await nextRegular() });
        log.info({ pages: outcome.pages, records: outcome.records, dead_letters: outcome.deadLetters }, 'pull finished');
      } else {
        // Out of time: hand over to a continuation so other connections get the worker too.
        await this.schedulePull(this.o.db, p.tenant_id, p.connection_id, p.entity, { runAt: new Date(), replace: true, full: job.full });
        log.debug({ pages: outcome.pages, records: outcome.records }, 'pull continues in a new job');
      }
      this.metrics.jobDuration.observe({ task: 'pull', outcome: outcome.done ? 'done' : 'continued' }, (performance.now() - started) / 1000);
      if (outcome.records > 0) await this.callHooks('a records-stored hook failed after the pull', log, (e) => e.recordsStored?.(p.connection_id, p.entity));
    } catch (err) {
      const cls = classify(err);
      this.metrics.jobDuration.observe({ task: 'pull', outcome: cls }, (performance.now() - started) / 1000);
      if (cls === 'throttled') {
        this.metrics.retries.inc({ class: 'throttled', task: 'pull' });
        await this.schedulePull(this.o.db, p.tenant_id, p.connection_id, p.entity, { runAt: new Date(Date.now() + retryAfterOf(err)), replace: true, full: job.full });
        return;
      }
      const failures = await recordPullFailure(this.o.db, job, err);
      if (cls === 'auth') {
        await this.markNeedsReauth(p.tenant_id, p.connection_id, errorMessage(err));
        return;
      }
      this.metrics.retries.inc({ class: cls, task: 'pull' });
      const runAt = cls === 'transient' ? new Date(Date.now() + backoffMs(failures, 1_000, 5 * 60_000)) : await nextRegular();
      log.warn({ err: errorMessage(err), retry_class: cls, failures, retry_at: runAt.toISOString() }, 'pull failed');
      await this.schedulePull(this.o.db, p.tenant_id, p.connection_id, p.entity, { runAt, replace: true, full: job.full });
    }
  }

  /** POST /v1/connections/{id}/notifications: one upstream notification, deduplicated, fetches queued. */
  async ingestNotification(tenantId: string, connectionId: string, body: unknown): Promise<NotificationOutcome> {
    const live = await this.adapters.get(tenantId, connectionId);
    return ingestNotification(this.o.db, live.adapter, tenantId, connectionId, body);
  }

  private async fetchTask(p: FetchJobPayload): Promise<void> {
    let connection: Connection;
    try {
      connection = await getConnection(this.o.db, p.tenant_id, p.connection_id);
    } catch {
      return; // deleted
    }
    if (connection.status !== 'active') return;
    try {
      const live = await this.adapters.get(p.tenant_id, p.connection_id);
      const outcome = await runFetch(this.o.db, live.adapter, { tenantId: p.tenant_id, connectionId: p.connection_id, channel: connection.channel, entity: p.entity }, p.external_id);
      this.o.log.info({ tenant_id: p.tenant_id, connection_id: p.connection_id, entity: p.entity, external_id: p.external_id, outcome }, 'notification fetch finished');
    } catch (err) {
      const cls = classify(err);
      if (cls === 'auth') return void (await this.markNeedsReauth(p.tenant_id, p.connection_id, errorMessage(err)));
      if (cls === 'throttled') {
        await enqueueJob(this.o.db, FETCH_TASK, { ...p }, { key: `fetch:${p.connection_id}:${p.entity}:${p.external_id}`, runAt: new Date(Date.now() + retryAfterOf(err)), maxAttempts: 10 });
        return;
      }
      if (cls === 'transient') throw err; // the job library retries with its backoff
      this.o.log.warn({ connection_id: p.connection_id, entity: p.entity, external_id: p.external_id, err: errorMessage(err) }, 'notification fetch failed');
    }
  }

  private async operationTask(operationId: string): Promise<void> {
    const started = performance.now();
    const outcome = await executeOperation(
      this.o.db,
      operationId,
      async (op) => {
        const live = await this.adapters.get(op.tenant_id, op.connection_id);
        return { adapter: live.adapter, status: live.connection.status };
      },
      { onAuthFailure: (op, reason) => this.markNeedsReauth(op.tenant_id, op.connection_id, reason) },
    );
    const label = outcome.state === 'retry' ? outcome.class : outcome.state;
    this.metrics.jobDuration.observe({ task: 'operation', outcome: label }, (performance.now() - started) / 1000);
    if (outcome.state === 'retry') this.metrics.retries.inc({ class: outcome.class, task: 'operation' });
    if (outcome.state === 'failed') this.metrics.deadLetters.inc({ source: 'operation', kind: outcome.kind });
    this.o.log.info({ operation_id: operationId, outcome: outcome.state }, 'operation attempt finished');
    await this.callHooks('an operation-finished hook failed', this.o.log.child({ operation_id: operationId }), (e) => e.operationFinished?.(operationId, outcome));
  }

  async startWorkers(concurrency: number): Promise<void> {
    if (this.#runner) return;
    this.#runner = await startJobRunner({
      pool: this.o.pool,
      db: this.o.db,
      tasks: this.tasks(),
      log: this.o.log,
      concurrency,
      pollIntervalMs: this.o.pollIntervalMs,
      heartbeatMs: this.o.heartbeatMs,
      staleAfterMs: this.o.staleAfterMs,
      cron: [
        { task: 'maintenance', match: '* * * * *', identifier: 'maintenance' },
        { task: MAINTENANCE_TASK, match: '* * * * *', identifier: MAINTENANCE_TASK },
      ],
    });
    this.webhooks.start();
    await this.ensureSchedules();
    for (const e of this.#extensions) await e.start?.();
  }

  async stop(): Promise<void> {
    await this.webhooks.stop();
    await this.#runner?.stop();
    this.#runner = undefined;
  }
}
