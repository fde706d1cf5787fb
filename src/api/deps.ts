// What the HTTP surfaces need from the rest of the process.
import type { Logger } from 'pino';
import type { AdapterRegistry } from '../core/registry.ts';
import type { SecretBox } from '../core/ports.ts';
import type { SyncEngine } from '../core/sync/engine.ts';
import type { Db } from '../store/db.ts';

export interface ApiDeps {
  db: Db;
  box: SecretBox;
  registry: AdapterRegistry;
  log: Logger;
  /** Allow connections to loopback and private addresses (tests, demo). */
  allowPrivateUpstreams: boolean;
  /** The sync engine: on-demand pulls, status, operations, dead letters. */
  engine: SyncEngine;
}
