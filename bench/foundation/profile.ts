// BENCH_PROFILE=1: where this process's CPU goes while it serves pages. Samples a walk of pages with the
// V8 profiler (node:inspector) and charges each sample to the innermost frame of its stack that names a
// category (so a middleware is not charged for what runs inside it), in ms per page. The client shares
// the process, so its cost is shown apart from the server's.
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

/** Categories that take a sample when any frame of its stack (`name|url`) matches. */
const STACK_CATEGORIES: [string, RegExp][] = [
  // hono's bodyLimit reads c.req.raw.body, which makes @hono/node-server build a full (undici) Request.
  ['request materialised as a full Request', /^newRequestFromIncoming\|/],
];

/** Otherwise, the innermost frame that matches one of these (in this order) takes the sample. */
const FRAME_CATEGORIES: [string, RegExp][] = [
  ['JSON serialization (c.json)', /^json\|.*\/hono\//],
  ['auth (key hash, cache)', /\/src\/api\/auth\.ts|\/src\/store\/tenancy\.ts|\|node:crypto|\|node:internal\/crypto/],
  ['pg driver (protocol, row parsing, pool)', /node_modules\/(pg|pg-protocol|pg-pool|pg-types|pg-connection-string|postgres-date|postgres-array|postgres-interval|postgres-bytea)\//],
  ['kysely (build, compile, run)', /node_modules\/kysely\//],
  ['store mapping (rows -> canonical model)', /\/src\/store\//],
  ['GraphQL (graphql-js, yoga, resolvers, loaders)', /node_modules\/(graphql|graphql-yoga|@graphql-tools|@envelop|@graphql-yoga|dataloader|@whatwg-node|@repeaterjs)\/|\/src\/graphql\//],
  ['zod validation', /node_modules\/zod\//],
  ['logging (pino)', /node_modules\/pino\//],
  ['metrics (prom-client)', /node_modules\/prom-client\/|\/src\/api\/metrics\.ts/],
  ['HTTP client in this process (fetch, undici)', /\/bench\/foundation\/clients\.ts|undici|^fetch\|node:internal\/bootstrap\/web|node:internal\/webstreams/],
  ['HTTP server (node:http, @hono/node-server)', /node_modules\/@hono\/node-server\/|\|node:_http/],
  ['hono routing, middleware and route handlers', /node_modules\/(hono|@hono\/zod-openapi|@hono\/zod-validator)\/|\/src\/api\//],
  ['sockets and streams (database, server, client)', /\|node:net|stream_base_commons|node:internal\/streams|^writev\||^writeUtf8String\|/],
  ['baseline code (hand-written queries)', /\/bench\/foundation\/baseline\.ts/],
  ['bench harness (page loop)', /\/bench\//],
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
    let cat: string | undefined;
    if (self.startsWith('(garbage collector)')) cat = 'garbage collection';
    else if (self.startsWith('(idle)')) cat = 'idle (waiting on the database or the socket)';
    else cat = STACK_CATEGORIES.find(([, re]) => stack.some((f) => re.test(f)))?.[0];
    for (let i = 0; !cat && i < stack.length; i++) cat = FRAME_CATEGORIES.find(([, re]) => re.test(stack[i]!))?.[0];
    cat ??= 'other (event loop, promises, runtime)';
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
