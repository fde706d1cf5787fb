// What the engine lets others plug in without knowing them: hooks it calls when records were stored and
// when an operation attempt finished, and providers of job tasks that run on the engine's workers (the
// flow runner is one; webhook delivery is built in). The engine imports no module that plugs in here.
import type { Task } from 'graphile-worker';
import type { Entity } from '../ports.ts';
import type { ExecuteOutcome } from './operations.ts';

export interface EngineHooks {
  /** A pull stored `entity` records of the connection (at least one). */
  recordsStored?(connectionId: string, entity: Entity): Promise<void>;
  /** An attempt of the operation finished with `outcome` (also when it will be retried). */
  operationFinished?(operationId: string, outcome: ExecuteOutcome): Promise<void>;
}

export interface TaskProvider {
  /** Job tasks by name; they run on the engine's workers. */
  tasks(): Record<string, Task>;
  /** Called by the engine's minute maintenance, after the pulls' schedules were checked. */
  maintain?(): Promise<void>;
  /** Called when the engine's workers start, after the pulls' schedules were checked. */
  start?(): Promise<void>;
}

/** One extension of the engine: hooks, tasks, or both. */
export type EngineExtension = EngineHooks & Partial<TaskProvider>;
