// BENCH_PROFILE=1: where this process's CPU goes while it serves pages. Samples a walk of pages with the
// V8 profiler (node:inspector) and charges each sample to the first category its call stack matches
// (driver before kysely before the store, and so on), in ms per page. The client shares the process, so
// its cost is shown apart from the server's.
import { Session } from 'node:inspector/promises';
import type { PageFetcher } from './measure.ts';

interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

/** Checked in order; the first whose pattern matches any frame of the stack (`name|url`) takes the sample. */
const CATEGORIES: [string, RegExp][] = [
  ['pg driver (protocol, row parsing, pool)', /node_modules\/(pg|pg-protocol|pg-pool|pg-types|postgres-date|postgres-array|postgres-interval|postgres-bytea)\//],
  ['kysely (build, compile, run)', /node_modules\/kysely\//],
  ['store mapping (rows -> canonical model)', /\/src\/store\//],
  ['JSON serialization (c.json)', /^json\|.*node_modules\/hono\//],
  ['GraphQL (graphql-js, yoga, resolvers, loaders)', /node_modules\/(graphql|graphql-yoga|@graphql-tools|@envelop|@graphql-yoga|dataloader|@whatwg-node)\/|\/src\/graphql\//],
  ['zod validation', /node_modules\/zod\//],
  ['auth (key hash, cache)', /\/src\/api\/auth\.ts|^\w*\|node:crypto/],
  ['logging (pino)', /node_modules\/pino\//],
  ['metrics (prom-client)', /node_modules\/prom-client\/|\/src\/api\/metrics\.ts/],
  ['request materialised as a full Request', /newRequestFromIncoming|^Request\$1\|/],
  ['HTTP client in this process (fetch)', /\/bench\/foundation\/clients\.ts|^fetch\|node:internal\/bootstrap\/web|fullyReadBody|consumeBody/],
  ['HTTP server (@hono/node-server, node:http, sockets)', /node_modules\/@hono\/node-server\/|\|node:_http|\|node:net|stream_base_commons|^writev\|/],
  ['hono routing and middleware', /node_modules\/(hono|@hono\/zod-openapi|@hono\/zod-validator)\//],
  ['HTTP client in this process (undici internals)', /undici/],
];

export async function profilePages<C>(fetchPage: PageFetcher<C>, start: C | null, pages: number): Promise<string[]> {
  const session = new Session();
  session.connect();
  let profile: Profile;
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    let cursor = start;
    let served = 0;
    try {
      for (; served < pages; served++) {
        const page = await fetchPage(cursor);
        if (page.next === null) break;
        cursor = page.next;
      }
    } finally {
      profile = ((await session.post('Profiler.stop')) as { profile: Profile }).profile;
    }
    pages = Math.max(1, served);
  } finally {
    session.disconnect();
  }

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map<number, string>();
  const categoryOf = (id: number): string => {
    const known = memo.get(id);
    if (known) return known;
    const stack: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      stack.push(`${f.functionName}|${f.url}`);
    }
    const self = stack[0] ?? '';
    let cat: string;
    if (self.startsWith('(garbage collector)')) cat = 'garbage collection';
    else if (self.startsWith('(idle)')) cat = 'idle (waiting on the database or the socket)';
    else cat = CATEGORIES.find(([, re]) => stack.some((f) => re.test(f)))?.[0] ?? 'other (event loop, promises, runtime)';
    memo.set(id, cat);
    return cat;
  };

  const tally = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const cat = categoryOf(samples[i]!);
    tally.set(cat, (tally.get(cat) ?? 0) + (deltas[i] ?? 0));
  }
  const totalUs = [...tally.values()].reduce((a, b) => a + b, 0);
  return [...tally]
    .sort((a, b) => b[1] - a[1])
    .filter(([, us]) => us / totalUs >= 0.005)
    .map(([cat, us]) => `${(us / 1000 / pages).toFixed(2).padStart(7)} ms/page ${((100 * us) / totalUs).toFixed(1).padStart(5)}%  ${cat}`);
}
