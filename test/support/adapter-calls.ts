// Calling an adapter directly in tests: every page of a pull, and the AppError a call fails with.
import { expect } from 'vitest';
import { AppError } from '../../src/core/errors.ts';
import type { ChannelAdapter, Entity, PullWindow, RawRecord } from '../../src/core/ports.ts';

/** Everything, from the beginning: a full pull. */
export const WIDE: PullWindow = { from: null, to: '2100-01-01T00:00:00.000Z' };

/** Pulls every page of `entity` in `window`; throws when paging does not end within `maxPages`. */
export async function pullAll(adapter: ChannelAdapter, entity: Entity, window: PullWindow = WIDE, maxPages = 500): Promise<{ records: RawRecord[]; pages: number }> {
  const records: RawRecord[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await adapter.pull!(entity, { window, cursor, full: window.from === null });
    records.push(...page.records);
    cursor = page.next;
    if (++pages > maxPages) throw new Error(`${entity}: more than ${maxPages} pages; paging does not end`);
  } while (cursor);
  return { records, pages };
}

/** The records of every page of `entity` in `window`. */
export async function pullRecords(adapter: ChannelAdapter, entity: Entity, window: PullWindow = WIDE, maxPages = 500): Promise<RawRecord[]> {
  return (await pullAll(adapter, entity, window, maxPages)).records;
}

/** The AppError `p` rejects with; fails the test when it resolves or rejects with anything else. */
export async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected the call to fail');
}
