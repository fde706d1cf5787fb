// The job engine: graphile-worker on the same PostgreSQL. Jobs are added with SQL inside the caller's
// transaction, so a job exists exactly when the change that caused it was committed. Worker liveness is
// tracked in worker_heartbeats: jobs locked by a process that stopped heart-beating (SIGKILL, power
// loss) are unlocked after a short grace period instead of graphile-worker's four hours.
import { EventEmitter } from 'node:events';
import { Logger as WorkerLogger, makeWorkerUtils, parseCronItems, run, type Runner, type Task, type WorkerEvents, type WorkerUtils } from 'graphile-worker';
import { sql } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import { ulid } from '../core/ids.ts';
import type { Db } from './db.ts';

/** Installs or upgrades graphile-worker's schema (idempotent; safe from several processes). */
export async function installJobSchema(pool: pg.Pool, log?: Logger): Promise<void> {
  const utils = await makeWorkerUtils({ pgPool: pool, logger: workerLogger(log) });
  try {
    await utils.migrate();
  } finally {
    await utils.release();
  }
}

export interface JobSpec {
  /** Jobs in one queue run one at a time, across every worker process. */
  queue?: string;
  runAt?: Date;
  /**
   * A pending job with the same key is replaced (or its run time kept, with preserve_run_at). A job
   * with the key that is running already is left alone (its remaining retries cancelled) and a new
   * one is added (graphile-worker's rule: the running one started before whatever asks again).
   */
  key?: string;
  keyMode?: 'replace' | 'preserve_run_at';
  maxAttempts?: number;
  priority?: number;
}

/** Adds a job inside `db`'s transaction (or on its own when `db` is not a transaction). */
export async function enqueueJob(db: Db, task: string, payload: Record<string, unknown>, spec: JobSpec = {}): Promise<void> {
  await sql`
    SELECT graphile_worker.add_job(
      ${task},
      ${JSON.stringify(payload)}::json,
      queue_name => ${spec.queue ?? null}::text,
      run_at => ${spec.runAt ?? null}::timestamptz,
      max_attempts => ${spec.maxAttempts ?? 25}::int,
      job_key => ${spec.key ?? null}::text,
      priority => ${spec.priority ?? 0}::int,
      job_key_mode => ${spec.key ? (spec.keyMode ?? 'replace') : null}::text
    )`.execute(db);
}

/** Jobs waiting or running, by task: the queue depth metric. */
export async function queueDepth(db: Db): Promise<{ task: string; ready: number; scheduled: number; running: number }[]> {
  const { rows } = await sql<{ task: string; ready: number; scheduled: number; running: number }>`
    SELECT task_identifier AS task,
           count(*) FILTER (WHERE locked_at IS NULL AND run_at <= now() AND attempts < max_attempts)::int AS ready,
           count(*) FILTER (WHERE locked_at IS NULL AND run_at > now() AND attempts < max_attempts)::int AS scheduled,
           count(*) FILTER (WHERE locked_at IS NOT NULL)::int AS running
    FROM graphile_worker.jobs GROUP BY task_identifier`.execute(db);
  return rows;
}

function workerLogger(log?: Logger): WorkerLogger {
  return new WorkerLogger((scope) => (level, message, meta) => {
    if (!log) return;
    // Error objects from pg carry the whole client; keep their message only.
    const slim = Object.fromEntries(Object.entries(meta ?? {}).map(([k, v]) => [k, v instanceof Error ? v.message : v]));
    const fields = { component: 'jobs', ...scope, ...slim };
    if (level === 'error') log.error(fields, message);
    else if (level === 'warning') log.warn(fields, message);
    else log.debug(fields, message);
  });
}

export interface JobRunnerOptions {
  pool: pg.Pool;
  db: Db;
  tasks: Record<string, Task>;
  log: Logger;
  concurrency: number;
  /** How often future jobs are looked for (new jobs arrive at once through LISTEN/NOTIFY). */
  pollIntervalMs?: number;
  /** Cron lines `* * * * * task` for periodic maintenance. */
  cron?: { task: string; match: string; identifier: string }[];
  /** A process whose heartbeat is older than this is taken for dead and its jobs unlocked. */
  staleAfterMs?: number;
  heartbeatMs?: number;
}

export interface JobRunner {
  processId: string;
  stop(): Promise<void>;
}

export async function startJobRunner(o: JobRunnerOptions): Promise<JobRunner> {
  const processId = `p_${ulid()}`;
  const heartbeatMs = o.heartbeatMs ?? 5_000;
  const staleAfterMs = o.staleAfterMs ?? 30_000;
  /** The ids jobs are locked by in this process (its worker pools'), kept alive in worker_heartbeats. */
  const workerIds = new Set<string>();
  const utils: WorkerUtils = await makeWorkerUtils({ pgPool: o.pool, logger: workerLogger(o.log) });

  const beat = async () => {
    const now = new Date();
    if (workerIds.size) {
      await o.db
        .insertInto('worker_heartbeats')
        .values([...workerIds].map((worker_id) => ({ worker_id, process_id: processId, last_seen: now })))
        .onConflict((oc) => oc.column('worker_id').doUpdateSet({ last_seen: now }))
        .execute();
    }
    await reapDeadWorkers(o.db, utils, staleAfterMs, o.log);
  };

  // Listen before the pool starts, so no id is missed. graphile-worker 0.17 locks jobs and queues in
  // the name of the worker *pool* (locked_by = workerPool.id), not of its individual workers: the pool
  // id is what must heart-beat, or the reaper takes every job running longer than staleAfterMs for one
  // of a dead process and hands it to a second worker while the first still runs it.
  const events = new EventEmitter() as WorkerEvents;
  events.on('pool:create', ({ workerPool }) => {
    workerIds.add(workerPool.id);
  });
  const runner: Runner = await run({
    pgPool: o.pool,
    concurrency: o.concurrency,
    noHandleSignals: true,
    pollInterval: o.pollIntervalMs ?? 1_000,
    taskList: o.tasks,
    logger: workerLogger(o.log),
    parsedCronItems: parseCronItems(o.cron ?? []),
    events,
  });

  // The pool id exists once the pool started; record it now, then keep the heartbeat going.
  await beat().catch((err: unknown) => o.log.warn({ err }, 'first heartbeat failed'));
  const timer = setInterval(() => {
    beat().catch((err: unknown) => o.log.warn({ err }, 'heartbeat failed'));
  }, heartbeatMs);
  timer.unref();
  o.log.info({ process_id: processId, concurrency: o.concurrency }, 'job workers started');

  return {
    processId,
    async stop() {
      clearInterval(timer);
      await runner.stop();
      await o.db.deleteFrom('worker_heartbeats').where('process_id', '=', processId).execute();
      await utils.release();
    },
  };
}

/** Unlocks the jobs and queues held by workers whose process stopped heart-beating. */
export async function reapDeadWorkers(db: Db, utils: WorkerUtils, staleAfterMs: number, log: Logger): Promise<string[]> {
  const cutoff = new Date(Date.now() - staleAfterMs);
  // Workers whose heartbeat went stale, and workers holding old locks that never beat at all.
  const { rows } = await sql<{ worker_id: string }>`
    SELECT worker_id FROM worker_heartbeats WHERE last_seen < ${cutoff}
    UNION
    SELECT DISTINCT j.locked_by FROM graphile_worker.jobs j
    WHERE j.locked_by IS NOT NULL AND j.locked_at < ${cutoff}
      AND NOT EXISTS (SELECT 1 FROM worker_heartbeats h WHERE h.worker_id = j.locked_by AND h.last_seen >= ${cutoff})`.execute(db);
  if (rows.length === 0) return [];
  const ids = rows.map((s) => s.worker_id);
  await utils.forceUnlockWorkers(ids);
  await db.deleteFrom('worker_heartbeats').where('worker_id', 'in', ids).execute();
  log.warn({ worker_ids: ids }, 'unlocked the jobs of workers that stopped heart-beating');
  return ids;
}
