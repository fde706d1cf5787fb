// The ChannelAdapter contract, written once and run for every adapter against its simulator. A channel's
// `*.contract.test.ts` names its factory, starts its simulator, describes it through a ContractSubject,
// and calls channelContract(). Which cases run is derived from the factory's manifest, so declaring a
// capability means being tested on it, and both ways:
//
// - a declared `<entity>.read` is pulled (every seeded record, each normalizing to its canonical input),
//   read incrementally, and read again one record at a time (`fetch`); an undeclared one is refused;
// - a declared write capability has each of its writes (OPERATION_SPECS: the same map the operations use)
//   run twice with one idempotency key, acting upstream once; an undeclared one has none of them;
// - `listings.read` finds a catalog item by identifier; `listings.feed` sends a large bulk write as one
//   feed, once per key;
// - the optional methods without a capability (listScopes, parseNotification, validateListing) are
//   exercised when the adapter has them, and the subject must describe exactly the ones it has.
//
// A case an adapter cannot pass is named in `gaps` with its reason and shows as a skipped test with that
// reason; a gap that names no case of the manifest fails. A case without the fixture it needs fails.
// What is checked here holds for any channel; channel traps live in the adapter's own tests.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AdapterRegistry } from '../../src/adapters/registry.ts';
import { AppError } from '../../src/core/errors.ts';
import { CategoryInput, CustomerInput, InventoryLevelInput, OrderInput, ProductInput, ShipmentInput } from '../../src/core/model/index.ts';
import {
  ENTITIES,
  READ_CAPABILITY,
  type AdapterFactory,
  type BulkResult,
  type Capability,
  type ChannelAdapter,
  type ChannelWrites,
  type Entity,
  type ListingInput,
  type ParsedNotification,
  type PullWindow,
  type RateSpec,
  type Throttle,
  type UpstreamCall,
  type WriteContext,
} from '../../src/core/ports.ts';
import { OPERATION_SPECS } from '../../src/core/sync/operations.ts';
import { WIDE, failure, pullRecords } from '../support/adapter-calls.ts';

const SCHEMAS = {
  products: ProductInput,
  inventory: InventoryLevelInput,
  orders: OrderInput,
  shipments: ShipmentInput,
  customers: CustomerInput,
  categories: CategoryInput,
} as const;

type WriteName = keyof ChannelWrites;

/** The writes each capability stands for, from the operations' own map. */
function writesByCapability(): Map<Capability, WriteName[]> {
  const out = new Map<Capability, WriteName[]>();
  for (const spec of Object.values(OPERATION_SPECS)) {
    const list = out.get(spec.capability) ?? [];
    if (!list.includes(spec.write)) list.push(spec.write);
    out.set(spec.capability, list);
  }
  return out;
}

/** One idempotent write to prove: its sample input, and how many times the upstream has applied it. */
export interface ContractWrite {
  name: WriteName;
  input: unknown;
  /** Upstream effects of this write so far, read from the simulator's state. */
  effects(): number | Promise<number>;
  /** How much one application moves `effects` (default 1; a bulk write over two items may say 2). */
  expected?: number;
}

export interface ContractSubject {
  /** Raw settings and credentials, as a client would post them; the factory's schemas parse them. */
  settings: unknown;
  credentials: unknown;
  /** Credentials the upstream refuses. */
  badCredentials: unknown;
  /** Distinct records the simulator holds for each entity whose read capability is declared. */
  seeded: Partial<Record<Entity, number>>;
  /** An upstream id per fetched entity that names no record, to prove `fetch` answers null. */
  absentIds?: Partial<Record<Entity, string>>;
  /** Requests the simulator has received so far. */
  requestCount(): number;
  /** The simulator answers its next `count` requests with HTTP `status` (500 or 503). */
  failNext(status: 500 | 503, count: number): void;
  /** Removes every injected fault. */
  clearFaults(): void;
  /** One case per write the declared capabilities stand for. */
  writes: ContractWrite[];
  /** Bulk writes large enough to go as a feed (`listings.feed`); `effects` counts feeds. */
  feedWrites?: ContractWrite[];
  /** `listings.read`: an identifier the simulator's catalog holds, and the item it must find. */
  catalog?: { identifier: { type: 'EAN' | 'UPC' | 'GTIN' | 'ISBN' | 'ASIN' | 'JAN'; value: string }; marketplaceId?: string | null; expect: string };
  /** The scope codes listScopes must return, when the adapter has listScopes. */
  scopes?: string[];
  /** Notifications the upstream would push, with what each asks to read again; and one not for this connection. */
  notifications?: { samples: { body: unknown; fetch: ParsedNotification['fetch'] }[]; foreign: unknown };
  /** A listing the target's rules accept and one they refuse, when the adapter has validateListing. */
  listingChecks?: { valid: ListingInput; invalid: ListingInput };
  stop(): Promise<void>;
}

export interface ContractOptions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  factory: AdapterFactory<any, any>;
  /** Cases of this manifest the adapter cannot pass, by case name, each with its reason. */
  gaps?: Record<string, string>;
}

/** A throttle that never waits and counts what it was asked. */
class CountingThrottle implements Throttle {
  acquired = 0;
  readonly keys = new Set<string>();
  async acquire(key: string, _spec: RateSpec): Promise<void> {
    this.acquired++;
    this.keys.add(key);
  }
  async learn(): Promise<void> {}
  async penalize(): Promise<void> {}
  async refund(): Promise<void> {}
}

/** Runs `write` twice with one key and returns how much its effects moved. */
async function twice(adapter: ChannelAdapter, w: ContractWrite, key: string): Promise<{ moved: number; results: unknown[] }> {
  const before = await w.effects();
  const ctx: WriteContext = { idempotencyKey: key };
  const fn = adapter.writes?.[w.name] as ((input: unknown, ctx: WriteContext) => Promise<unknown>) | undefined;
  expect(fn, `writes.${w.name} is implemented`).toBeTypeOf('function');
  const results = [await fn!.call(adapter.writes, w.input, ctx), await fn!.call(adapter.writes, w.input, ctx)];
  return { moved: (await w.effects()) - before, results };
}

/** A bulk write's result has no error for any item it was given. */
function expectBulkAccepted(result: unknown, name: string): void {
  const r = result as BulkResult;
  expect(Array.isArray(r.accepted), `${name}: a BulkResult`).toBe(true);
  expect(r.issues.filter((i) => i.severity === 'error'), `${name}: issues`).toEqual([]);
}

export function channelContract(options: ContractOptions, start: () => Promise<ContractSubject>): void {
  const { factory } = options;
  const gaps = options.gaps ?? {};
  const declared = new Set<Capability>(factory.manifest.capabilities);
  const cases: string[] = [];

  describe(`ChannelAdapter contract: ${factory.manifest.channel}`, () => {
    let subject: ContractSubject;
    let throttle: CountingThrottle;
    let calls: UpstreamCall[];
    let adapter: ChannelAdapter;

    const make = (credentials: unknown): ChannelAdapter =>
      factory.create({
        connectionId: 'con_contract',
        tenantId: 'ten_contract',
        settings: factory.settingsSchema.parse(subject.settings),
        credentials: factory.credentialsSchema.parse(credentials),
        allowPrivateUpstreams: true,
        throttle,
        onUpstreamCall: (c) => calls.push(c),
      });

    /** A case derived from the manifest: run, or reported as a gap with its reason. */
    const contractCase = (name: string, fn: () => Promise<void> | void, timeout?: number): void => {
      cases.push(name);
      const reason = gaps[name];
      if (reason) test.skip(`${name} (gap: ${reason})`, () => undefined);
      else test(name, fn, timeout);
    };

    /** Entities whose read capability is declared, in order. */
    const readEntities = ENTITIES.filter((e) => declared.has(READ_CAPABILITY[e]));

    beforeAll(async () => {
      subject = await start();
      throttle = new CountingThrottle();
      calls = [];
      adapter = make(subject.credentials);
    });
    afterAll(async () => {
      await subject?.stop();
    });

    test('the registry accepts the manifest and the schemas accept the sample settings and credentials', () => {
      const registry = new AdapterRegistry([factory]);
      expect(registry.channels()).toEqual([factory.manifest.channel]);
      expect(factory.settingsSchema.safeParse(subject.settings).success).toBe(true);
      expect(factory.credentialsSchema.safeParse(subject.credentials).success).toBe(true);
    });

    test('testConnection passes with good credentials and fails with auth_failed on bad ones', async () => {
      await expect(adapter.testConnection()).resolves.toBeUndefined();
      const bad = make(subject.badCredentials);
      const err = await failure(bad.testConnection());
      expect(err.kind).toBe('auth_failed');
      expect(err.retriable).toBe(false);
    });

    test('the subject seeds exactly the entities the manifest declares readable', () => {
      expect(Object.keys(subject.seeded).sort()).toEqual([...readEntities].sort());
      if (readEntities.length > 0) {
        expect(adapter.pull).toBeTypeOf('function');
        expect(adapter.normalize).toBeTypeOf('function');
      }
    });

    // ---- reads, from the manifest ----
    for (const entity of ENTITIES) {
      const cap = READ_CAPABILITY[entity];
      if (!declared.has(cap)) {
        contractCase(`${entity} (${cap} not declared): pull and fetch refuse it`, async () => {
          if (adapter.pull) expect((await failure(adapter.pull(entity, { window: WIDE, cursor: null, full: true }))).retriable).toBe(false);
          if (adapter.fetch) expect((await failure(adapter.fetch(entity, 'contract-absent'))).retriable).toBe(false);
        });
        continue;
      }
      contractCase(`${cap}: a full pull ends, returns every seeded record, and each normalizes to a valid canonical input`, async () => {
        const count = subject.seeded[entity];
        expect(count, `the subject seeds ${entity}`).toBeTypeOf('number');
        const records = await pullRecords(adapter, entity);
        const ids = new Set(records.map((r) => r.external_id));
        expect(ids.size, `${entity}: distinct records`).toBe(count);
        for (const r of records) {
          expect(r.external_id).toBeTypeOf('string');
          expect(r.external_id.length).toBeGreaterThan(0);
          const parsed = SCHEMAS[entity].safeParse(adapter.normalize!(entity, r));
          expect(parsed.success, `${entity} ${r.external_id}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues.slice(0, 3))}`).toBe(true);
        }
      }, 60_000);
      contractCase(`${cap}: an incremental window after every change returns nothing`, async () => {
        const future: PullWindow = { from: '2099-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' };
        expect((await pullRecords(adapter, entity, future)).length).toBe(0);
      });
      contractCase(`${cap}: fetch reads one pulled record again by its id, and answers null for an id that names none`, async () => {
        expect(adapter.fetch, 'fetch is implemented').toBeTypeOf('function');
        const page = await adapter.pull!(entity, { window: WIDE, cursor: null, full: true });
        const sample = page.records[0];
        expect(sample, `a pulled ${entity} record`).toBeDefined();
        const again = await adapter.fetch!(entity, sample!.external_id);
        expect(again?.external_id).toBe(sample!.external_id);
        expect(SCHEMAS[entity].safeParse(adapter.normalize!(entity, again!)).success).toBe(true);
        const absent = subject.absentIds?.[entity];
        expect(absent, `the subject names an absent ${entity} id`).toBeTypeOf('string');
        expect(await adapter.fetch!(entity, absent!)).toBeNull();
      });
    }

    test('every upstream request was asked of the throttle first and reported as an upstream call', async () => {
      const before = { requests: subject.requestCount(), acquired: throttle.acquired, calls: calls.length };
      const entity = readEntities[0];
      if (entity) await pullRecords(adapter, entity);
      else await adapter.testConnection();
      const requests = subject.requestCount() - before.requests;
      expect(requests).toBeGreaterThan(0);
      expect(throttle.acquired - before.acquired).toBeGreaterThanOrEqual(requests);
      expect(calls.length - before.calls).toBeGreaterThanOrEqual(requests);
      for (const c of calls) expect(c.operation).toBeTypeOf('string');
    });

    test('an upstream 5xx surfaces as a retriable AppError or is retried inside the call; never as a success with missing data', async () => {
      const entity = readEntities[0];
      subject.failNext(503, 1);
      try {
        if (entity) {
          const page = await adapter.pull!(entity, { window: WIDE, cursor: null, full: true });
          expect(page.records.length).toBeGreaterThan(0);
        } else {
          await adapter.testConnection();
        }
      } catch (err) {
        expect(err).toBeInstanceOf(AppError);
        expect((err as AppError).retriable).toBe(true);
      } finally {
        subject.clearFaults();
      }
      subject.failNext(500, 20);
      try {
        const err = await failure(entity ? adapter.pull!(entity, { window: WIDE, cursor: null, full: true }) : adapter.testConnection());
        expect(err.kind).toBe('upstream_unavailable');
        expect(err.retriable).toBe(true);
      } finally {
        subject.clearFaults();
      }
    });

    // ---- writes, from the manifest and the operations' map ----
    for (const [cap, names] of writesByCapability()) {
      if (!declared.has(cap)) {
        contractCase(`${cap} not declared: the adapter has none of ${names.join(', ')}`, () => {
          for (const name of names) expect(adapter.writes?.[name], `writes.${name}`).toBeUndefined();
        });
        continue;
      }
      for (const name of names) {
        contractCase(`${cap}: ${name}, repeated with the same idempotency key, acts upstream once`, async () => {
          const cases = subject.writes.filter((w) => w.name === name);
          expect(cases.length, `the subject has a case for ${name}`).toBeGreaterThan(0);
          for (const [i, w] of cases.entries()) {
            const { moved, results } = await twice(adapter, w, `contract-${name}-${i}-${Date.now()}`);
            expect(moved, `${name}: upstream effects`).toBe(w.expected ?? 1);
            if (name.endsWith('Bulk') || name === 'publishListings') for (const r of results) expectBulkAccepted(r, name);
          }
        }, 60_000);
      }
    }

    test('the subject has write cases only for writes the manifest stands for', () => {
      const allowed = new Set([...writesByCapability()].filter(([cap]) => declared.has(cap)).flatMap(([, names]) => names));
      for (const w of subject.writes) expect(allowed.has(w.name), `${w.name}`).toBe(true);
    });

    if (declared.has('listings.feed')) {
      contractCase('listings.feed: a bulk write large enough for a feed goes as one feed, once per idempotency key', async () => {
        const cases = subject.feedWrites ?? [];
        expect(cases.length, 'the subject has feed cases').toBeGreaterThan(0);
        for (const [i, w] of cases.entries()) {
          const { moved, results } = await twice(adapter, w, `contract-feed-${w.name}-${i}-${Date.now()}`);
          expect(moved, `${w.name}: feeds`).toBe(w.expected ?? 1);
          for (const r of results) expectBulkAccepted(r, w.name);
        }
      }, 120_000);
    }

    if (declared.has('listings.read')) {
      contractCase('listings.read: lookupCatalog finds a catalog item by identifier', async () => {
        expect(adapter.lookupCatalog, 'lookupCatalog is implemented').toBeTypeOf('function');
        const c = subject.catalog;
        expect(c, 'the subject names a catalog item').toBeDefined();
        const found = await adapter.lookupCatalog!(c!.identifier, c!.marketplaceId ?? null);
        expect(found.map((m) => m.external_id)).toContain(c!.expect);
      });
    } else {
      contractCase('listings.read not declared: the adapter has no lookupCatalog', () => expect(adapter.lookupCatalog).toBeUndefined());
    }

    // ---- optional methods without a capability: exercised where the adapter has them ----
    test('listScopes, when the adapter has it, returns the scopes the simulator holds', async () => {
      expect(subject.scopes !== undefined, 'the subject describes scopes exactly when the adapter lists them').toBe(typeof adapter.listScopes === 'function');
      if (!adapter.listScopes) return;
      const scopes = await adapter.listScopes();
      expect(scopes.map((s) => s.code).sort()).toEqual([...subject.scopes!].sort());
      for (const s of scopes) expect(s.name.length).toBeGreaterThan(0);
    });

    test('parseNotification, when the adapter has it, names what to read again, dedupes redeliveries, ignores foreign ones, and each named record can be fetched', async () => {
      expect(subject.notifications !== undefined, 'the subject describes notifications exactly when the adapter reads them').toBe(typeof adapter.parseNotification === 'function');
      if (!adapter.parseNotification) return;
      const n = subject.notifications!;
      expect(n.samples.length).toBeGreaterThan(0);
      const keys = new Set<string>();
      for (const s of n.samples) {
        const parsed = adapter.parseNotification(s.body);
        expect(parsed?.fetch).toEqual(s.fetch);
        expect(adapter.parseNotification(structuredClone(s.body))?.dedupeKey).toBe(parsed!.dedupeKey);
        keys.add(parsed!.dedupeKey);
        expect(adapter.fetch, 'notifications are read through fetch').toBeTypeOf('function');
        for (const f of parsed!.fetch) expect((await adapter.fetch!(f.entity, f.externalId))?.external_id).toBe(f.externalId);
      }
      expect(keys.size, 'distinct notifications have distinct dedupe keys').toBe(n.samples.length);
      expect(adapter.parseNotification(n.foreign)).toBeNull();
    });

    test('validateListing, when the adapter has it, accepts a valid listing and refuses an invalid one with an error issue', async () => {
      expect(subject.listingChecks !== undefined, 'the subject describes listing checks exactly when the adapter validates listings').toBe(typeof adapter.validateListing === 'function');
      if (!adapter.validateListing) return;
      const { valid, invalid } = subject.listingChecks!;
      expect((await adapter.validateListing(valid)).filter((i) => i.severity === 'error')).toEqual([]);
      const issues = await adapter.validateListing(invalid);
      expect(issues.some((i) => i.severity === 'error' && i.sku === invalid.sku)).toBe(true);
    });

    test('every declared gap names a case of this manifest', () => {
      for (const name of Object.keys(gaps)) expect(cases, `gap "${name}"`).toContain(name);
    });
  });
}
