// Helpers shared by the synced-entity repositories: batch upserts that never let an older upstream
// version overwrite a newer one, and running a unit of work in a transaction.
import { sql, type RawBuilder } from 'kysely';
import type { Db } from './db.ts';

/** `{ col: excluded.col, … }` for an ON CONFLICT DO UPDATE over the given columns. */
export function excluded<C extends string>(columns: readonly C[]): Record<C, RawBuilder<never>> {
  return Object.fromEntries(columns.map((c) => [c, sql.ref(`excluded.${c}`)])) as Record<C, RawBuilder<never>>;
}

/** Runs `fn` in the caller's transaction if there is one, else in a new one. */
export async function inTransaction<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db);
  return db.transaction().execute(fn);
}

/**
 * Keeps one record per external id: the one with the latest updated_at (the last one on a tie), so one
 * batch never asks PostgreSQL to update the same row twice.
 */
export function latestPerExternalId<T extends { external_id: string; updated_at: string }>(records: readonly T[]): T[] {
  const byId = new Map<string, T>();
  for (const r of records) {
    const prev = byId.get(r.external_id);
    if (!prev || Date.parse(prev.updated_at) <= Date.parse(r.updated_at)) byId.set(r.external_id, r);
  }
  return [...byId.values()];
}

/** What happened to each record of an upsert batch. */
export interface UpsertResult {
  /** external_id -> local id, for records written (inserted or updated). */
  written: Map<string, { id: string; inserted: boolean }>;
  /** external ids left alone because the stored version is newer. */
  stale: string[];
  /**
   * external ids left alone because the stored row already holds the same values (only repositories that
   * skip such writes fill it: inventory, whose every poll re-reads every level).
   */
  unchanged?: string[];
  /** Records that could not be stored, with the reason (e.g. a shipment whose order is unknown). */
  failed: { external_id: string; reason: string }[];
}

export function emptyResult(): UpsertResult {
  return { written: new Map(), stale: [], failed: [] };
}

export const json = (v: unknown): string => JSON.stringify(v ?? null);
export const toDate = (v: string | null | undefined): Date | null => (v ? new Date(v) : null);
/**
 * An upstream time as stored: cut to the millisecond. The API (and so every cursor) speaks milliseconds;
 * a row kept with microseconds sorts after a cursor cut from it, and keyset paging would serve it twice
 * (ascending) or skip its neighbours (descending).
 */
export const instant = (v: string): Date => new Date(v);
export const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
