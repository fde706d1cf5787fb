// The ChannelAdapter contract, written once and run for every adapter against its simulator. A channel's
// `*.contract.test.ts` starts its simulator, describes it through a ContractSubject, and calls
// channelContract(). What is checked here holds for any channel; channel traps live in the adapter's own tests.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AdapterRegistry } from '../../src/adapters/registry.ts';
import { AppError } from '../../src/core/errors.ts';
import { CategoryInput, CustomerInput, InventoryLevelInput, OrderInput, ProductInput, ShipmentInput } from '../../src/core/model/index.ts';
import type { AdapterFactory, ChannelAdapter, ChannelWrites, Entity, PullWindow, RateSpec, RawRecord, Throttle, UpstreamCall, WriteContext } from '../../src/core/ports.ts';
import { WIDE, failure, pullRecords } from '../support/adapter-calls.ts';

const SCHEMAS = {
  products: ProductInput,
  inventory: InventoryLevelInput,
  orders: OrderInput,
  shipments: ShipmentInput,
  customers: CustomerInput,
  categories: CategoryInput,
} as const;

/** One idempotent write to prove: its sample input, and how many times the upstream has applied it. */
export interface ContractWrite {
  name: Exclude<keyof ChannelWrites, never>;
  input: unknown;
  /** Upstream effects of this write so far, read from the simulator's state. */
  effects(): number | Promise<number>;
}

export interface ContractSubject {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  factory: AdapterFactory<any, any>;
  /** Raw settings and credentials, as a client would post them; the factory's schemas parse them. */
  settings: unknown;
  credentials: unknown;
  /** Credentials the upstream refuses. */
  badCredentials: unknown;
  /** Distinct records the simulator holds per entity the adapter reads. */
  seeded: Partial<Record<Entity, number>>;
  /** Requests the simulator has received so far. */
  requestCount(): number;
  /** The simulator answers its next `count` requests with HTTP `status` (500 or 503). */
  failNext(status: 500 | 503, count: number): void;
  /** Removes every injected fault. */
  clearFaults(): void;
  writes: ContractWrite[];
  stop(): Promise<void>;
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
}


export function channelContract(name: string, start: () => Promise<ContractSubject>): void {
  describe(`ChannelAdapter contract: ${name}`, () => {
    let subject: ContractSubject;
    let throttle: CountingThrottle;
    let calls: UpstreamCall[];
    let adapter: ChannelAdapter;

    const make = (credentials: unknown): ChannelAdapter =>
      subject.factory.create({
        connectionId: 'con_contract',
        tenantId: 'ten_contract',
        settings: subject.factory.settingsSchema.parse(subject.settings),
        credentials: subject.factory.credentialsSchema.parse(credentials),
        allowPrivateUpstreams: true,
        throttle,
        onUpstreamCall: (c) => calls.push(c),
      });

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
      const registry = new AdapterRegistry([subject.factory]);
      expect(registry.channels()).toEqual([subject.factory.manifest.channel]);
      expect(subject.factory.settingsSchema.safeParse(subject.settings).success).toBe(true);
      expect(subject.factory.credentialsSchema.safeParse(subject.credentials).success).toBe(true);
    });

    test('the manifest declares exactly the reads and writes the adapter implements', () => {
      const caps = new Set(subject.factory.manifest.capabilities);
      for (const entity of Object.keys(subject.seeded) as Entity[]) {
        const cap = entity === 'categories' ? 'categories.read' : `${entity}.read`;
        expect(caps.has(cap as never), `${cap} declared`).toBe(true);
      }
      if (Object.keys(subject.seeded).length > 0) {
        expect(typeof adapter.pull).toBe('function');
        expect(typeof adapter.normalize).toBe('function');
      }
      for (const w of subject.writes) expect(typeof adapter.writes?.[w.name], `writes.${w.name}`).toBe('function');
    });

    test('testConnection passes with good credentials and fails with auth_failed on bad ones', async () => {
      await expect(adapter.testConnection()).resolves.toBeUndefined();
      const bad = make(subject.badCredentials);
      const err = await failure(bad.testConnection());
      expect(err.kind).toBe('auth_failed');
      expect(err.retriable).toBe(false);
    });

    test('a full pull of each entity ends, returns every seeded record, and each normalizes to a valid canonical input', async () => {
      for (const [entity, count] of Object.entries(subject.seeded) as [Entity, number][]) {
        const records = await pullRecords(adapter, entity);
        const ids = new Set(records.map((r) => r.external_id));
        expect(ids.size, `${entity}: distinct records`).toBe(count);
        for (const r of records) {
          expect(typeof r.external_id).toBe('string');
          expect(r.external_id.length).toBeGreaterThan(0);
          const parsed = SCHEMAS[entity].safeParse(adapter.normalize!(entity, r));
          expect(parsed.success, `${entity} ${r.external_id}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues.slice(0, 3))}`).toBe(true);
        }
      }
    });

    test('an incremental window after every change returns nothing', async () => {
      const future: PullWindow = { from: '2099-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' };
      for (const entity of Object.keys(subject.seeded) as Entity[]) {
        expect((await pullRecords(adapter, entity, future)).length, entity).toBe(0);
      }
    });

    test('every upstream request was asked of the throttle first and reported as an upstream call', async () => {
      const before = { requests: subject.requestCount(), acquired: throttle.acquired, calls: calls.length };
      const entity = Object.keys(subject.seeded)[0] as Entity | undefined;
      if (entity) await pullRecords(adapter, entity);
      else await adapter.testConnection();
      const requests = subject.requestCount() - before.requests;
      expect(requests).toBeGreaterThan(0);
      expect(throttle.acquired - before.acquired).toBeGreaterThanOrEqual(requests);
      expect(calls.length - before.calls).toBeGreaterThanOrEqual(requests);
      for (const c of calls) expect(typeof c.operation).toBe('string');
    });

    test('an upstream 5xx surfaces as a retriable AppError or is retried inside the call; never as a success with missing data', async () => {
      const entity = Object.keys(subject.seeded)[0] as Entity | undefined;
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

    test('each write, repeated with the same idempotency key, acts upstream once', async () => {
      for (const w of subject.writes) {
        const before = await w.effects();
        const ctx: WriteContext = { idempotencyKey: `contract-${w.name}-${Date.now()}` };
        const fn = adapter.writes![w.name] as (input: unknown, ctx: WriteContext) => Promise<unknown>;
        await fn.call(adapter.writes, w.input, ctx);
        await fn.call(adapter.writes, w.input, ctx);
        expect((await w.effects()) - before, `${w.name}: upstream effects`).toBe(1);
      }
    });
  });
}
