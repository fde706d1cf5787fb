// Timing helpers: walk a cursor-paged list page by page with one or several concurrent clients, interleave
// several walks (API and baseline, first and deep pages) in short segments spread evenly over the run, so
// all of them see the same machine even when it is busy, and summarise per-page latencies (p50/p99/mean),
// throughput, time per page and this process's CPU per page.

/** Fetches one page after `cursor` (null: the first page); returns the next cursor and the rows served. */
export type PageFetcher<C> = (cursor: C | null) => Promise<{ next: C | null; rows: number }>;

export interface Stats {
  pages: number;
  rows: number;
  wallMs: number;
  /** pages per second over the wall time (all clients together). */
  rps: number;
  /** wall time per page: inverse throughput, the figure ratios are taken on. */
  msPerPage: number;
  p50: number;
  p99: number;
  mean: number;
  /** CPU time of this whole process (server, clients, driver) per page. */
  cpuMsPerPage: number;
  latencies: number[];
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export function summarise(latencies: number[], rows: number, wallMs: number, cpuMs = Number.NaN): Stats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const pages = latencies.length;
  return {
    pages,
    rows,
    wallMs,
    rps: pages / (wallMs / 1000),
    msPerPage: wallMs / pages,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: latencies.reduce((a, b) => a + b, 0) / Math.max(1, pages),
    cpuMsPerPage: cpuMs / pages,
    latencies,
  };
}

/** Pools several runs' figures into one (latencies concatenated, wall times added). */
export function combine(runs: readonly Stats[]): Stats {
  return summarise(
    runs.flatMap((r) => r.latencies),
    runs.reduce((a, r) => a + r.rows, 0),
    runs.reduce((a, r) => a + r.wallMs, 0),
    runs.reduce((a, r) => a + (r.pages ? r.cpuMsPerPage * r.pages : 0), 0),
  );
}

/** One client's position in its walk. */
interface Walker<C> {
  cursor: C | null;
  done: boolean;
  rows: number;
}

/** Advances a walker by up to `pages` pages; it is done at the end of the list. */
async function step<C>(fetchPage: PageFetcher<C>, w: Walker<C>, pages: number, latencies: number[]): Promise<void> {
  for (let i = 0; i < pages && !w.done; i++) {
    const t0 = performance.now();
    const page = await fetchPage(w.cursor);
    latencies.push(performance.now() - t0);
    w.rows += page.rows;
    if (page.next === null) w.done = true;
    else w.cursor = page.next;
  }
}

/** Runs every walker `pages` pages further, all at once; returns the segment's figures. */
async function segment<C>(fetchPage: PageFetcher<C>, walkers: Walker<C>[], pages: number): Promise<Stats> {
  const latencies: number[] = [];
  const rows0 = walkers.reduce((a, w) => a + w.rows, 0);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(walkers.map((w) => step(fetchPage, w, pages, latencies)));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return summarise(latencies, walkers.reduce((a, w) => a + w.rows, 0) - rows0, wallMs, (cpu.user + cpu.system) / 1000);
}

const walkersAt = <C>(starts: readonly (C | null)[]): Walker<C>[] => starts.map((cursor) => ({ cursor, done: false, rows: 0 }));

/** One client per start cursor, all at once, each walking `pagesEach` pages. */
export async function runWalks<C>(fetchPage: PageFetcher<C>, starts: readonly (C | null)[], pagesEach: number): Promise<Stats> {
  return segment(fetchPage, walkersAt(starts), pagesEach);
}

/** A walk to measure: its clients and how far each goes per round. */
export interface Side {
  readonly pagesEach: number;
  /** Back to the start cursors. */
  reset(): void;
  /** Every client `pages` pages further, all at once. */
  segment(pages: number): Promise<Stats>;
}

export function side<C>(fetchPage: PageFetcher<C>, starts: readonly (C | null)[], pagesEach: number): Side {
  let walkers = walkersAt(starts);
  return {
    pagesEach,
    reset: () => void (walkers = walkersAt(starts)),
    segment: (pages) => segment(fetchPage, walkers, pages),
  };
}

/**
 * Runs every side `rounds` times over in segments of `segmentPages` pages, each side's segments spread
 * evenly over the round and interleaved with the others' (sides due at the same moment take turns going
 * first), and pools each side's figures.
 */
export async function runSchedule(sides: readonly Side[], segmentPages: number, rounds: number): Promise<Stats[]> {
  const runs: Stats[][] = sides.map(() => []);
  const turns = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    // Segment k of a side with n segments is due at (k + 0.5) / n of the round.
    const due = new Map<number, { side: number; pages: number }[]>();
    sides.forEach((s, i) => {
      const count = Math.ceil(s.pagesEach / segmentPages);
      for (let k = 0; k < count; k++) {
        const at = (k + 0.5) / count;
        due.set(at, [...(due.get(at) ?? []), { side: i, pages: Math.min(segmentPages, s.pagesEach - k * segmentPages) }]);
      }
    });
    for (const s of sides) s.reset();
    for (const at of [...due.keys()].sort((a, b) => a - b)) {
      const group = due.get(at)!;
      const key = group.map((g) => g.side).join();
      const turn = turns.get(key) ?? 0;
      turns.set(key, turn + 1);
      const first = turn % group.length;
      for (const step of [...group.slice(first), ...group.slice(0, first)]) runs[step.side]!.push(await sides[step.side]!.segment(step.pages));
    }
  }
  return runs.map(combine);
}

export const fmt = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

export const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024;
