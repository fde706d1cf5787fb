// Relay connections over the store's keyset pages: `first`/`after` become limit/cursor, and each edge
// gets the same kind of cursor the store issues, so any edge's cursor can start the next page.
import { AppError } from '../core/errors.ts';
import { decodeCursor, encodeCursor, parseSort, sortKey, type Cursor, type Page, type Sort, type SortParam } from '../store/paging.ts';

export const DEFAULT_FIRST = 50;
export const MAX_FIRST = 250;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface ListArgs<F> extends PageArgs {
  filter?: F | null;
  /** Already mapped from the ListSort enum to the store's sort values. */
  sort?: SortParam | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface RelayConnection<T> {
  edges: Edge<T>[];
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Input objects give null for fields sent as null; the store's filters want them absent. */
export type Nullable<T> = { [K in keyof T]?: T[K] | null };

export function withoutNulls<T extends object>(value: Nullable<T> | null | undefined): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value ?? {})) if (v !== null && v !== undefined) out[k] = v;
  return out as T;
}

export function pageLimit(first: number | null | undefined): number {
  const n = first ?? DEFAULT_FIRST;
  if (!Number.isInteger(n) || n < 1 || n > MAX_FIRST) {
    throw new AppError('validation', `first must be between 1 and ${MAX_FIRST}`, { errors: [{ path: 'first', message: `got ${n}` }] });
  }
  return n;
}

/** Limit, sort and decoded cursor of a list field. `fixedSort` is for lists that page by id only. */
export function listPaging(args: ListArgs<unknown>, fixedSort?: Sort): { limit: number; sort: Sort; cursor: Cursor | null } {
  const limit = pageLimit(args.first);
  const sort = fixedSort ?? parseSort(args.sort ?? undefined);
  return { limit, sort, cursor: args.after ? decodeCursor(args.after, sort) : null };
}

type Sortable = { id: string; created_at?: string; updated_at?: string };

export function toRelay<T extends Sortable>(page: Page<T>, sort: Sort): RelayConnection<T> {
  const key = sortKey(sort);
  const edges = page.data.map((node) => ({
    node,
    cursor: encodeCursor({ s: key, id: node.id, v: sort.column === 'id' ? null : (node[sort.column] ?? null) }),
  }));
  return {
    edges,
    nodes: page.data,
    pageInfo: { hasNextPage: page.next_cursor !== null, endCursor: page.next_cursor ?? edges[edges.length - 1]?.cursor ?? null },
  };
}
