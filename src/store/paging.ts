// Keyset paging shared by every list: a cursor is the (sort value, id) of the last row served, so a page
// deep in a large table costs the same as the first, and rows inserted while a client pages never cause
// a gap or a repeat among the rows it is walking.
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { AppError } from '../core/errors.ts';

export type SortColumn = 'created_at' | 'updated_at' | 'id';
export interface Sort {
  column: SortColumn;
  desc: boolean;
}

export const SORT_VALUES = ['created_at', '-created_at', 'updated_at', '-updated_at'] as const;
export type SortParam = (typeof SORT_VALUES)[number];

export function parseSort(value: SortParam | undefined, fallback: Sort = { column: 'created_at', desc: true }): Sort {
  if (!value) return fallback;
  const desc = value.startsWith('-');
  return { column: (desc ? value.slice(1) : value) as SortColumn, desc };
}

export interface Cursor {
  /** The sort column's value of the last row (ISO time), or null when sorting by id alone. */
  v: string | null;
  id: string;
  /** The sort the cursor was made for; a cursor cannot be reused with another sort. */
  s: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.s, c.v, c.id]), 'utf8').toString('base64url');
}

/** The time format of issued cursors: Date#toISOString, years 0001 to 9999. */
const ISSUED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function decodeCursor(text: string, sort: Sort): Cursor {
  const invalid = () =>
    new AppError('validation', 'cursor is not valid for this list', { errors: [{ path: 'cursor', message: 'not a cursor issued by this list with this sort' }] });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalid();
  const [s, v, id] = parsed as unknown[];
  if (s !== sortKey(sort) || typeof id !== 'string' || id.length > 64) throw invalid();
  if (sort.column === 'id') {
    if (v !== null) throw invalid();
  } else if (typeof v !== 'string' || !ISSUED_TIME.test(v) || v.startsWith('0000') || new Date(v).toISOString() !== v) {
    // Only the form toPage writes: Date.parse also takes "2026", "Jan 1 2026" or year 0, which
    // PostgreSQL reads differently or refuses with an error (a 500 instead of this 400).
    throw invalid();
  }
  return { s, v: v as string | null, id };
}

export function sortKey(sort: Sort): string {
  return `${sort.desc ? '-' : ''}${sort.column}`;
}

/** `(t.col, t.id) > (v, id)` (or `<` when descending): the rows after the cursor. */
export function afterCursor(table: string, sort: Sort, cursor: Cursor | null): RawBuilder<SqlBool> | null {
  if (!cursor) return null;
  const op = sql.raw(sort.desc ? '<' : '>');
  const idRef = sql.ref(`${table}.id`);
  if (sort.column === 'id') return sql<SqlBool>`${idRef} ${op} ${cursor.id}`;
  return sql<SqlBool>`(${sql.ref(`${table}.${sort.column}`)}, ${idRef}) ${op} (${cursor.v}::timestamptz, ${cursor.id})`;
}

export function orderBy(table: string, sort: Sort): RawBuilder<unknown> {
  const dir = sql.raw(sort.desc ? 'DESC' : 'ASC');
  const idRef = sql.ref(`${table}.id`);
  if (sort.column === 'id') return sql`${idRef} ${dir}`;
  return sql`${sql.ref(`${table}.${sort.column}`)} ${dir}, ${idRef} ${dir}`;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** Cuts the extra row fetched to learn whether there is a next page, and makes its cursor. */
export function toPage<R extends { id: string }, T>(
  rows: R[],
  limit: number,
  sort: Sort,
  map: (row: R) => T,
  sortValue: (row: R) => Date | null,
): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  const next_cursor =
    more && last
      ? encodeCursor({ s: sortKey(sort), id: last.id, v: sort.column === 'id' ? null : (sortValue(last)?.toISOString() ?? null) })
      : null;
  return { data: kept.map(map), next_cursor };
}

export interface CommonFilters {
  connection_id?: string | undefined;
  channel?: string | undefined;
  created_from?: string | undefined;
  created_to?: string | undefined;
  updated_from?: string | undefined;
  updated_to?: string | undefined;
}

/**
 * The filters every synced list shares. `*_from` is inclusive, `*_to` exclusive. Times are parsed here
 * (a bare date is midnight UTC) and sent as instants: PostgreSQL would read a bare date in the session's
 * time zone, and refuses years it cannot represent (year 0) with an error instead of a 400.
 */
export function commonFilters(table: string, f: CommonFilters): RawBuilder<SqlBool>[] {
  const out: RawBuilder<SqlBool>[] = [];
  const ref = (c: string) => sql.ref(`${table}.${c}`);
  const at = (v: string) => new Date(v);
  if (f.connection_id) out.push(sql<SqlBool>`${ref('connection_id')} = ${f.connection_id}`);
  if (f.channel) out.push(sql<SqlBool>`${ref('channel')} = ${f.channel}`);
  if (f.created_from) out.push(sql<SqlBool>`${ref('created_at')} >= ${at(f.created_from)}`);
  if (f.created_to) out.push(sql<SqlBool>`${ref('created_at')} < ${at(f.created_to)}`);
  if (f.updated_from) out.push(sql<SqlBool>`${ref('updated_at')} >= ${at(f.updated_from)}`);
  if (f.updated_to) out.push(sql<SqlBool>`${ref('updated_at')} < ${at(f.updated_to)}`);
  return out;
}
