// The scripted upstream's memory: orders, products and stock levels in the platform's own shapes, kept
// sorted by (updated_at, key) so a list page is a binary search; plus what tests assert on: calls per
// route, 429s sent, and write effects counted per idempotency key.

/** Every route of the scripted upstream, by name. Faults, rate limits and counters use these names. */
export const ROUTES = [
  'auth.token',
  'me',
  'orders.list',
  'products.list',
  'inventory.list',
  'inventory.set',
  'shipments.create',
  'products.update',
  'orders.create',
  'orders.cancel',
  'inventory.get',
  'inventory.bulk',
  'listings.put',
  'listings.bulk',
] as const;
export type RouteName = (typeof ROUTES)[number];
export const WRITE_ROUTES: ReadonlySet<RouteName> = new Set(['inventory.set', 'shipments.create', 'products.update', 'orders.create', 'orders.cancel', 'inventory.bulk', 'listings.put', 'listings.bulk']);

export type SimEntity = 'orders' | 'products' | 'inventory';

export interface SimAddress {
  name: string | null;
  street: string[];
  city: string | null;
  postcode: string | null;
  country: string | null;
}

export interface SimOrderItem {
  id: string;
  sku: string;
  name: string | null;
  qty_ordered: number;
  qty_shipped: number;
  qty_canceled: number;
  price: string;
  tax_amount: string;
  discount_amount: string;
  row_total: string;
}

export const SIM_ORDER_STATUSES = ['pending', 'processing', 'partially_shipped', 'complete', 'canceled', 'on_hold', 'closed'] as const;
export type SimOrderStatus = (typeof SIM_ORDER_STATUSES)[number];

export interface SimShipment {
  id: string;
  items: { item_id: string; sku: string; qty: number }[];
  carrier: string | null;
  tracking_number: string | null;
  created_at: string;
}

/** An order as the platform shows it (deliberately not the canonical shape). */
export interface SimOrder {
  id: string;
  number: string;
  status: SimOrderStatus;
  currency: string;
  customer: { id: string | null; email: string | null; name: string | null };
  billing_address: SimAddress | null;
  shipping_address: SimAddress | null;
  items: SimOrderItem[];
  subtotal: string;
  shipping_amount: string;
  tax_amount: string;
  discount_amount: string;
  grand_total: string;
  shipments: SimShipment[];
  /** Who ships it: the merchant (default) or the marketplace (its stock is the marketplace's). */
  fulfillment?: 'merchant' | 'marketplace';
  placed_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface SimProduct {
  id: string;
  sku: string;
  name: string;
  description: string | null;
  status: 'enabled' | 'disabled';
  price: string;
  currency: string;
  ean: string | null;
  brand: string | null;
  attributes: Record<string, string | number | boolean | null>;
  created_at: string;
  updated_at: string;
}

export interface SimInventory {
  sku: string;
  location: string;
  quantity: number;
  reserved: number;
  /** Stock held by the marketplace's own fulfillment network (default: the merchant's). */
  fulfillment?: 'merchant' | 'marketplace';
  updated_at: string;
}

export interface SimRecordByEntity {
  orders: SimOrder;
  products: SimProduct;
  inventory: SimInventory;
}

/** The field each entity is keyed by in its list (what a client uses as external id). */
export function keyOf<E extends SimEntity>(entity: E, record: SimRecordByEntity[E]): string {
  if (entity === 'orders') return (record as SimOrder).id;
  if (entity === 'products') return (record as SimProduct).sku;
  const level = record as SimInventory;
  return inventoryKey(level.sku, level.location);
}

export const inventoryKey = (sku: string, location: string): string => `${sku}@${location}`;

interface Row<T> {
  key: string;
  ms: number;
  data: T;
}

const cmp = (ams: number, akey: string, bms: number, bkey: string): number => (ams !== bms ? ams - bms : akey < bkey ? -1 : akey > bkey ? 1 : 0);

/** Records of one entity, with an index sorted by (updated_at, key) maintained on every change. */
export class Table<T extends { updated_at: string }> {
  readonly #rows = new Map<string, Row<T>>();
  #sorted: Row<T>[] | null = [];

  get size(): number {
    return this.#rows.size;
  }

  get(key: string): T | undefined {
    return this.#rows.get(key)?.data;
  }

  has(key: string): boolean {
    return this.#rows.has(key);
  }

  *values(): IterableIterator<T> {
    for (const row of this.#rows.values()) yield row.data;
  }

  /** Inserts or replaces; `updated_at` decides the record's place in lists. */
  put(key: string, data: T): void {
    const ms = Date.parse(data.updated_at);
    if (Number.isNaN(ms)) throw new Error(`record ${key} has no valid updated_at`);
    const old = this.#rows.get(key);
    const row: Row<T> = { key, ms, data };
    this.#rows.set(key, row);
    const sorted = this.#sorted;
    if (!sorted) return;
    if (old) sorted.splice(this.#lowerBound(sorted, old.ms, old.key), 1);
    const last = sorted[sorted.length - 1];
    if (!last || cmp(last.ms, last.key, ms, key) < 0) sorted.push(row);
    else sorted.splice(this.#lowerBound(sorted, ms, key), 0, row);
  }

  /** Many inserts at once: the index is rebuilt once, on the next read. */
  putMany(rows: Iterable<[string, T]>): void {
    this.#sorted = null;
    for (const [key, data] of rows) this.#rows.set(key, { key, ms: Date.parse(data.updated_at), data });
  }

  delete(key: string): boolean {
    const old = this.#rows.get(key);
    if (!old) return false;
    this.#rows.delete(key);
    if (this.#sorted) this.#sorted.splice(this.#lowerBound(this.#sorted, old.ms, old.key), 1);
    return true;
  }

  /**
   * Rows with from <= updated_at < to, strictly after `after` in (updated_at, key) order, at most `limit`;
   * `total` counts the whole window, `more` says whether rows remain past this page.
   */
  page(fromMs: number, toMs: number, after: { ms: number; key: string } | null, limit: number): { rows: Row<T>[]; total: number; more: boolean } {
    const sorted = this.#index();
    const lo = this.#lowerBound(sorted, fromMs, '');
    const hi = this.#lowerBound(sorted, toMs, '');
    let start = lo;
    if (after) {
      start = this.#lowerBound(sorted, after.ms, after.key);
      const at = sorted[start];
      if (at && at.ms === after.ms && at.key === after.key) start++;
      start = Math.max(start, lo);
    }
    const end = Math.min(hi, start + limit);
    return { rows: sorted.slice(start, end), total: Math.max(0, hi - lo), more: end < hi };
  }

  #index(): Row<T>[] {
    if (!this.#sorted) this.#sorted = [...this.#rows.values()].sort((a, b) => cmp(a.ms, a.key, b.ms, b.key));
    return this.#sorted;
  }

  #lowerBound(sorted: Row<T>[], ms: number, key: string): number {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const row = sorted[mid]!;
      if (cmp(row.ms, row.key, ms, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** One applied write effect. */
export interface Effect {
  seq: number;
  idempotencyKey: string;
  route: RouteName;
  /** What it changed, e.g. `orders/100000001`, `inventory/SKU-1@default`. */
  target: string;
  at: string;
}

/** One request as the upstream saw it; `status` 0 means it was never answered (dropped). */
export interface RequestRecord {
  seq: number;
  route: RouteName;
  method: string;
  path: string;
  status: number;
  idempotencyKey: string | null;
  /** Set when a pre-handler fault answered instead of the route (e.g. 'error503'). */
  fault: string | null;
  /** The API key the request authenticated as (null: not authenticated, e.g. a fault or a 401 answered first). */
  apiKey?: string | null;
  /** When it arrived, in `performance.now()` milliseconds (for rate measurements). */
  at?: number;
}

export interface SeedCounts {
  orders?: number;
  products?: number;
  inventory?: number;
  /** updated_at of the first seeded record of each entity (default 2026-01-01T00:00:00Z). */
  base?: string;
  /** Spacing of seeded updated_at values (default 1000 ms). */
  stepMs?: number;
}

const DEFAULT_BASE = Date.parse('2026-01-01T00:00:00Z');
const CITIES = ['Berlin', 'Paris', 'London', 'Amsterdam'];
const COUNTRIES = ['DE', 'FR', 'GB', 'NL'];
const COLORS = ['red', 'green', 'blue', 'black', 'white'];

export const cents = (n: number): string => `${n < 0 ? '-' : ''}${Math.floor(Math.abs(n) / 100)}.${String(Math.abs(n) % 100).padStart(2, '0')}`;
export const toCents = (s: string): number => {
  const [whole = '0', frac = ''] = s.replace('-', '').split('.');
  const n = Number(whole) * 100 + Number((frac + '00').slice(0, 2));
  return s.startsWith('-') ? -n : n;
};

/** The list price of a seeded sku number, in cents: 10.99 to 16.99. */
const priceCents = (n: number): number => (10 + (n % 7)) * 100 + 99;

const STATUS_CYCLE: readonly SimOrderStatus[] = ['pending', 'processing', 'processing', 'processing', 'processing', 'processing', 'complete', 'canceled', 'on_hold', 'partially_shipped'];

function seededOrder(i: number, iso: string): SimOrder {
  const id = String(100_000_001 + i);
  const lineCount = 1 + (i % 3);
  const currency = i % 7 === 6 ? 'GBP' : 'EUR';
  let status = STATUS_CYCLE[i % 10]!;
  if (status === 'partially_shipped' && lineCount < 2) status = 'processing';
  let subtotal = 0;
  const items: SimOrderItem[] = [];
  for (let l = 0; l < lineCount; l++) {
    const n = (i + l * 13) % 100;
    const qty = 1 + (l % 2);
    const row = qty * priceCents(n);
    subtotal += row;
    const shipped = status === 'complete' || (status === 'partially_shipped' && l === 0) ? qty : 0;
    items.push({
      id: `${id}-${l + 1}`,
      sku: `SKU-${n}`,
      name: `Product ${n}`,
      qty_ordered: qty,
      qty_shipped: shipped,
      qty_canceled: status === 'canceled' ? qty : 0,
      price: cents(priceCents(n)),
      tax_amount: '0.00',
      discount_amount: '0.00',
      row_total: cents(row),
    });
  }
  const shippedItems = items.filter((it) => it.qty_shipped > 0);
  const address: SimAddress = { name: `Buyer ${i}`, street: [`Street ${i % 500}`], city: CITIES[i % 4]!, postcode: String(10_000 + (i % 89_999)), country: COUNTRIES[i % 4]! };
  return {
    id,
    number: `SO-${id}`,
    status,
    currency,
    customer: { id: `C-${i % 1000}`, email: `buyer${i}@example.com`, name: `Buyer ${i}` },
    billing_address: address,
    shipping_address: address,
    items,
    subtotal: cents(subtotal),
    shipping_amount: '4.90',
    tax_amount: '0.00',
    discount_amount: '0.00',
    grand_total: cents(subtotal + 490),
    shipments: shippedItems.length
      ? [{ id: `SH-${id}-1`, items: shippedItems.map((it) => ({ item_id: it.id, sku: it.sku, qty: it.qty_shipped })), carrier: 'DHL', tracking_number: `0034${id}`, created_at: iso }]
      : [],
    placed_at: iso,
    created_at: iso,
    updated_at: iso,
  };
}

function seededProduct(i: number, iso: string): SimProduct {
  return {
    id: String(i + 1),
    sku: `SKU-${i}`,
    name: `Product ${i}`,
    description: `Description of product ${i}`,
    status: i % 11 === 10 ? 'disabled' : 'enabled',
    price: cents(priceCents(i)),
    currency: 'EUR',
    ean: `400${String(i).padStart(10, '0')}`,
    brand: 'Acme',
    attributes: { color: COLORS[i % 5]!, material: 'cotton' },
    created_at: iso,
    updated_at: iso,
  };
}

function seededLevel(i: number, iso: string): SimInventory {
  return { sku: `SKU-${i}`, location: 'default', quantity: (i * 37) % 200, reserved: i % 3, updated_at: iso };
}

/** Which field `corrupt()` drops by default: one a client cannot do without, never the key. */
const DEFAULT_CORRUPT_FIELD: Record<SimEntity, string> = { orders: 'currency', products: 'name', inventory: 'quantity' };

/** The upstream's whole state; tests read its counters and call its helpers to script data. */
export class SimState {
  readonly orders = new Table<SimOrder>();
  readonly products = new Table<SimProduct>();
  readonly inventory = new Table<SimInventory>();

  /** Requests received per route (every request, whatever its answer). */
  readonly calls = new Map<RouteName, number>();
  /** Every request in arrival order. */
  readonly log: RequestRecord[] = [];
  /** 429 answers sent (by the rate limiter or a throttle fault), in total and per route. */
  throttled = 0;
  readonly throttledByRoute = new Map<RouteName, number>();

  /** Times a write was applied per idempotency key: exactly-once means 1 for every key. */
  readonly effects = new Map<string, number>();
  /** Applied write effects in order. */
  readonly effectLog: Effect[] = [];
  /** Write requests received per idempotency key (retries and replays included). */
  readonly attempts = new Map<string, number>();

  /** Issued bearer tokens. */
  readonly tokens = new Map<string, { apiKey: string; expiresAt: number }>();
  /** entity/key -> the field omitted when the record is listed. */
  readonly corrupted = new Map<string, string>();

  readonly #seq: Record<SimEntity, number> = { orders: 0, products: 0, inventory: 0 };
  #nextCreatedOrder = 900_000_001;
  #nextShipment = 1;
  /** API keys with data of their own (see `seedKey`). */
  readonly #partitions = new Map<string, SimState>();

  constructor(readonly clock: () => number = Date.now) {}

  /**
   * Gives `apiKey` data of its own, seeded like `seed` (the same deterministic records, so two keys may
   * list the same ids): that key's lists and writes then see only its data. Keys without data of their
   * own keep seeing this state's. Counters (calls, log, 429s, effects) stay here, over every key.
   * @example state.seedKey('shop-1', { orders: 50 }); state.dataFor('shop-1').orders.size // 50
   */
  seedKey(apiKey: string, counts: SeedCounts): SimState {
    let data = this.#partitions.get(apiKey);
    if (!data) {
      data = new SimState(this.clock);
      this.#partitions.set(apiKey, data);
    }
    data.seed(counts);
    return data;
  }

  /** The data `apiKey` sees: its own (after `seedKey`), else this state's. */
  dataFor(apiKey: string): SimState {
    return this.#partitions.size ? (this.#partitions.get(apiKey) ?? this) : this;
  }

  table<E extends SimEntity>(entity: E): Table<SimRecordByEntity[E]> {
    return this[entity] as unknown as Table<SimRecordByEntity[E]>;
  }

  nowIso(): string {
    return new Date(this.clock()).toISOString();
  }

  /**
   * Adds deterministic records: the n-th record ever seeded of an entity is always the same, and its
   * updated_at is `base + n * stepMs`. 10^5 orders take well under a second.
   * @example state.seed({ orders: 1000, products: 200, inventory: 200 })
   */
  seed(counts: SeedCounts): void {
    const base = counts.base ? Date.parse(counts.base) : DEFAULT_BASE;
    const step = counts.stepMs ?? 1000;
    const gen = <E extends SimEntity>(entity: E, n: number | undefined, make: (i: number, iso: string) => SimRecordByEntity[E]) => {
      if (!n) return;
      const start = this.#seq[entity];
      const rows: [string, SimRecordByEntity[E]][] = [];
      for (let i = start; i < start + n; i++) {
        const rec = make(i, new Date(base + i * step).toISOString());
        rows.push([keyOf(entity, rec), rec]);
      }
      this.#seq[entity] = start + n;
      this.table(entity).putMany(rows);
    };
    gen('orders', counts.orders, seededOrder);
    gen('products', counts.products, seededProduct);
    gen('inventory', counts.inventory, seededLevel);
  }

  /** Sets updated_at of the given records to `at` (default: the clock's now), so incremental pulls find them. */
  touch(entity: SimEntity, keys: readonly string[], at?: string): void {
    for (const key of keys) this.update(entity, key, () => undefined, at);
  }

  /** Changes a record in place and bumps its updated_at. */
  update<E extends SimEntity>(entity: E, key: string, change: (record: SimRecordByEntity[E]) => void, at?: string): SimRecordByEntity[E] {
    const table = this.table(entity);
    const rec = table.get(key);
    if (!rec) throw new Error(`no ${entity} record ${key}`);
    change(rec);
    rec.updated_at = at ?? this.nowIso();
    table.put(key, rec);
    return rec;
  }

  /** Deletes a record upstream (for deletion detection). */
  remove(entity: SimEntity, key: string): boolean {
    return this.table(entity).delete(key);
  }

  /** From now on the record is listed without `field` (default: a required one), as a broken upstream would. */
  corrupt(entity: SimEntity, key: string, field: string = DEFAULT_CORRUPT_FIELD[entity]): void {
    if (!this.table(entity).has(key)) throw new Error(`no ${entity} record ${key}`);
    if (field === { orders: 'id', products: 'sku', inventory: 'sku' }[entity]) throw new Error(`corrupting the key field ${field} is not supported`);
    this.corrupted.set(`${entity}/${key}`, field);
  }

  /** The record as the API lists it (a copy without the corrupted field, if any). */
  output<E extends SimEntity>(entity: E, key: string, record: SimRecordByEntity[E]): unknown {
    const field = this.corrupted.size ? this.corrupted.get(`${entity}/${key}`) : undefined;
    if (!field) return record;
    const copy: Record<string, unknown> = { ...record };
    delete copy[field];
    return copy;
  }

  newOrderId(): string {
    return String(this.#nextCreatedOrder++);
  }

  newShipmentId(): string {
    return `SH-${this.#nextShipment++}`;
  }

  recordEffect(idempotencyKey: string, route: RouteName, target: string): void {
    this.effects.set(idempotencyKey, (this.effects.get(idempotencyKey) ?? 0) + 1);
    this.effectLog.push({ seq: this.effectLog.length + 1, idempotencyKey, route, target, at: this.nowIso() });
  }

  /** Requests received, over all routes. */
  totalCalls(): number {
    return this.log.length;
  }

  /** Keys whose effect was applied more than once (empty when every write was exactly-once). */
  duplicateEffects(): string[] {
    return [...this.effects].filter(([, n]) => n > 1).map(([k]) => k);
  }

  /** Forgets calls, 429s, effects and attempts (the data and the idempotency memory stay). */
  resetCounters(): void {
    this.calls.clear();
    this.log.length = 0;
    this.throttled = 0;
    this.throttledByRoute.clear();
    this.effects.clear();
    this.effectLog.length = 0;
    this.attempts.clear();
  }
}
