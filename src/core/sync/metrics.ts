// Prometheus metrics of the sync engine.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { sql } from 'kysely';
import type { Db } from '../../store/db.ts';
import { queueDepth } from '../../store/jobs.ts';

export interface SyncMetrics {
  jobDuration: Histogram<'task' | 'outcome'>;
  jobDelay: Histogram<'task'>;
  retries: Counter<'class' | 'task'>;
  deadLetters: Counter<'source' | 'kind'>;
  upstreamCalls: Counter<'channel' | 'operation' | 'status'>;
  upstream429: Counter<'channel' | 'operation'>;
  recordsPulled: Counter<'entity'>;
}

export function createSyncMetrics(registry: Registry, db: Db): SyncMetrics {
  const registers = [registry];
  new Gauge({
    name: 'switchyard_job_queue_depth',
    help: 'Jobs by task and state (ready, scheduled, running)',
    labelNames: ['task', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      try {
        for (const r of await queueDepth(db)) {
          this.set({ task: r.task, state: 'ready' }, r.ready);
          this.set({ task: r.task, state: 'scheduled' }, r.scheduled);
          this.set({ task: r.task, state: 'running' }, r.running);
        }
      } catch {
        // The job schema may not be installed in a read-only process; report nothing then.
      }
    },
  });
  new Gauge({
    name: 'switchyard_oldest_unsynced_inventory_change_seconds',
    help: 'Age of the oldest stock write not yet applied upstream, per connection',
    labelNames: ['connection_id'] as const,
    registers,
    async collect() {
      this.reset();
      const { rows } = await sql<{ connection_id: string; age: number }>`
        SELECT connection_id, extract(epoch FROM now() - min(created_at))::float8 AS age
        FROM operations WHERE kind = 'inventory.set' AND state IN ('pending', 'running', 'paused')
        GROUP BY connection_id`.execute(db);
      for (const r of rows) this.set({ connection_id: r.connection_id }, r.age);
    },
  });
  return {
    jobDuration: new Histogram({
      name: 'switchyard_job_duration_seconds',
      help: 'Time spent running a job, by task and outcome',
      labelNames: ['task', 'outcome'] as const,
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
      registers,
    }),
    jobDelay: new Histogram({
      name: 'switchyard_job_start_delay_seconds',
      help: 'Time from when a job was due to when a worker started it, by task',
      labelNames: ['task'] as const,
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
      registers,
    }),
    retries: new Counter({ name: 'switchyard_retries_total', help: 'Retries scheduled, by retry class and task', labelNames: ['class', 'task'] as const, registers }),
    deadLetters: new Counter({ name: 'switchyard_dead_letters_total', help: 'Dead letters written, by source and error kind', labelNames: ['source', 'kind'] as const, registers }),
    upstreamCalls: new Counter({
      name: 'switchyard_upstream_calls_total',
      help: 'Calls made to upstream platforms, by channel, operation and HTTP status',
      labelNames: ['channel', 'operation', 'status'] as const,
      registers,
    }),
    upstream429: new Counter({ name: 'switchyard_upstream_429_total', help: 'Upstream answers of 429, by channel and operation', labelNames: ['channel', 'operation'] as const, registers }),
    recordsPulled: new Counter({ name: 'switchyard_records_pulled_total', help: 'Upstream records received by pulls', labelNames: ['entity'] as const, registers }),
  };
}
