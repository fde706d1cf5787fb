// What the flows need from the rest of the core, and nothing more: the database, the live adapter of a
// connection, and submitting an operation. The flow runner needs a little more (queueing a pull, replaying
// a dead letter) and takes `FlowRunnerHost`. The sync engine satisfies both; flows never import it.
import type { Logger } from 'pino';
import type { Db } from '../../store/db.ts';
import type { LinkRow } from '../../store/flows.ts';
import type { DeadLetterRow, OperationRow } from '../../store/sync.ts';
import type { Entity } from '../ports.ts';
import type { LiveAdapter } from '../sync/adapters.ts';
import type { EngineExtension } from '../sync/hooks.ts';
import type { SubmitOperation } from '../sync/operations.ts';
import type { LinkOptions, ProfileRules } from '../model/flow.ts';

export interface FlowHost {
  readonly db: Db;
  readonly adapters: { get(tenantId: string, connectionId: string): Promise<LiveAdapter> };
  /** Submits an idempotent operation (in `db`, a transaction, when given); the host adds the capabilities. */
  submit(s: Omit<SubmitOperation, 'capabilities'>, db?: Db): Promise<{ op: OperationRow; created: boolean }>;
}

export interface FlowRunnerHost extends FlowHost {
  schedulePull(db: Db, tenantId: string, connectionId: string, entity: Entity, options?: { runAt?: Date; full?: boolean; replace?: boolean }): Promise<void>;
  replayDeadLetter(tenantId: string, id: string): Promise<DeadLetterRow>;
  /** Registers hooks and tasks (the runner registers itself). */
  use(extension: EngineExtension): void;
}

/** What every flow step gets. */
export interface FlowContext {
  db: Db;
  host: FlowHost;
  log: Logger;
  link: LinkRow;
  rules: ProfileRules;
  options: LinkOptions;
  targets: { connection_id: string; marketplace_ids: string[] }[];
}

export interface FlowRunResult {
  /** Operations submitted by this run. */
  submitted: number;
  /** Items skipped or held (exceptions, unchanged values). */
  notes?: Record<string, number>;
}
