// State of the Magento simulator: catalog (simple and configurable products, categories, attributes),
// stock (legacy stock items mirrored from MSI source items; reservations from placed orders), sales (orders,
// invoices, shipments, comments), customers and store views. Seeded deterministically from a PRNG; rows are
// compact and rendered into Magento's JSON shapes on the way out (render.ts).

export interface StoreSpec {
  code: string;
  name: string;
  website_code: string;
  currency: string;
  locale: string;
}
export interface Store extends StoreSpec {
  id: number;
  website_id: number;
  group_id: number;
}
export interface Website {
  id: number;
  code: string;
  name: string;
  default_group_id: number;
  currency: string;
}

export interface MediaEntry {
  id: number;
  media_type: 'image';
  label: string;
  position: number;
  disabled: boolean;
  types: string[];
  file: string;
}

export interface Product {
  id: number;
  sku: string;
  type_id: 'simple' | 'configurable';
  attribute_set_id: number;
  name: string;
  price: number;
  status: 1 | 2;
  visibility: 1 | 2 | 3 | 4;
  weight: number | null;
  created_at: number;
  updated_at: number;
  /** custom attributes (description, short_description, url_key, ean, color, size, tax_class_id, ...) as Magento stores them: strings */
  attrs: Record<string, string>;
  /** store-view overrides (store code -> attribute -> value); name and custom attributes */
  storeValues: Record<string, Record<string, string>>;
  category_ids: number[];
  media: MediaEntry[];
  /** configurable: child product ids; simple child: its parent id */
  children: number[];
  parent_id: number | null;
  website_ids: number[];
}

export interface SourceItem {
  sku: string;
  source_code: string;
  quantity: number;
  status: 0 | 1;
}
export interface Reservation {
  reservation_id: number;
  stock_id: number;
  sku: string;
  quantity: number;
  metadata: string;
}
export interface Source {
  source_code: string;
  name: string;
  enabled: boolean;
  country_id: string;
  postcode: string;
}
export interface Stock {
  stock_id: number;
  name: string;
  source_codes: string[];
  /** sales channels: website codes */
  websites: string[];
}

export interface Category {
  id: number;
  parent_id: number;
  name: string;
  is_active: boolean;
  position: number;
  level: number;
  path: string;
  created_at: number;
  updated_at: number;
}

export interface Address {
  firstname: string;
  lastname: string;
  street: string[];
  city: string;
  postcode: string;
  country_id: string;
  region?: string;
  telephone: string;
  company?: string;
  email?: string;
}

export interface Customer {
  id: number;
  email: string;
  firstname: string;
  lastname: string;
  group_id: number;
  store_id: number;
  website_id: number;
  created_at: number;
  updated_at: number;
  address: Address;
}

export interface OrderItem {
  item_id: number;
  product_id: number;
  sku: string;
  name: string;
  product_type: 'simple' | 'configurable';
  parent_item_id: number | null;
  qty_ordered: number;
  qty_shipped: number;
  qty_invoiced: number;
  qty_canceled: number;
  price: number;
  original_price: number;
  tax_amount: number;
  discount_amount: number;
  row_total: number;
  weight: number;
  ext_order_item_id: string | null;
  /** configurable parent rows: the chosen option values */
  options: { option_id: string; option_value: number }[] | null;
}

function orderItem(
  item_id: number, product_id: number, sku: string, name: string, product_type: 'simple' | 'configurable', parent_item_id: number | null, qty: number,
  price: number, original_price: number, tax_amount: number, discount_amount: number, row_total: number, weight: number, ext_order_item_id: string | null,
  options: { option_id: string; option_value: number }[] | null,
): OrderItem {
  return { item_id, product_id, sku, name, product_type, parent_item_id, qty_ordered: qty, qty_shipped: 0, qty_invoiced: 0, qty_canceled: 0, price, original_price, tax_amount, discount_amount, row_total, weight, ext_order_item_id, options };
}

export interface StatusHistory {
  entity_id: number;
  parent_id: number;
  comment: string;
  status: string;
  is_customer_notified: number;
  is_visible_on_front: number;
  created_at: number;
  entity_name: 'order' | 'invoice' | 'shipment';
}

export interface Order {
  entity_id: number;
  increment_id: string;
  store_id: number;
  currency: string;
  state: string;
  status: string;
  created_at: number;
  updated_at: number;
  customer_id: number | null;
  customer_email: string;
  customer_firstname: string;
  customer_lastname: string;
  customer_group_id: number;
  billing: Address;
  shipping: Address | null;
  shipping_method: string;
  shipping_description: string;
  shipping_amount: number;
  tax_amount: number;
  discount_amount: number;
  subtotal: number;
  grand_total: number;
  total_paid: number;
  payment_method: string;
  items: OrderItem[];
  ext_order_id?: string;
  comments: StatusHistory[];
  /** raw fields a creating request sent that the simulator keeps verbatim (extension attributes etc.) */
  extra?: Record<string, unknown>;
}

export interface Track {
  entity_id: number;
  parent_id: number;
  order_id: number;
  track_number: string;
  title: string;
  carrier_code: string;
  created_at: number;
}
export interface Shipment {
  entity_id: number;
  increment_id: string;
  order_id: number;
  store_id: number;
  created_at: number;
  updated_at: number;
  items: { entity_id: number; order_item_id: number; qty: number; sku: string; name: string; price: number; product_id: number; weight: number }[];
  tracks: Track[];
  comments: { entity_id: number; parent_id: number; comment: string; is_customer_notified: number; is_visible_on_front: number; created_at: number }[];
}
export interface Invoice {
  entity_id: number;
  increment_id: string;
  order_id: number;
  store_id: number;
  state: number;
  created_at: number;
  updated_at: number;
  items: { entity_id: number; order_item_id: number; qty: number; sku: string; name: string; price: number; row_total: number; product_id: number }[];
  grand_total: number;
  subtotal: number;
  shipping_amount: number;
  tax_amount: number;
}

export interface SeedOptions {
  simples?: number;
  configurables?: number;
  orders?: number;
  customers?: number;
  categories?: number;
  seed?: number;
  /** open seeded orders (pending, processing) hold their reservations (default false: none are open) */
  openOrderReservations?: boolean;
}

export const COLOR_OPTIONS = [
  { value: '49', label: 'Red', de: 'Rot' },
  { value: '50', label: 'Blue', de: 'Blau' },
  { value: '51', label: 'Green', de: 'Grün' },
  { value: '52', label: 'Black', de: 'Schwarz' },
] as const;
export const SIZE_OPTIONS = [
  { value: '167', label: 'S', de: 'S' },
  { value: '168', label: 'M', de: 'M' },
  { value: '169', label: 'L', de: 'L' },
] as const;
export const ATTRIBUTE_IDS = { color: 93, size: 144 } as const;
export const SEED_EPOCH = Date.UTC(2025, 0, 1);

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Anna', 'Ben', 'Clara', 'David', 'Eva', 'Felix', 'Greta', 'Hugo', 'Ida', 'Jonas', 'Karla', 'Leo'];
const LAST = ['Meyer', 'Smith', 'Garcia', 'Novak', 'Rossi', 'Dubois', 'Jensen', 'Kowalski', 'Brown', 'Schulz'];
const CITIES = [
  { city: 'Austin', postcode: '78701', country_id: 'US', region: 'Texas' },
  { city: 'Berlin', postcode: '10115', country_id: 'DE', region: 'Berlin' },
  { city: 'Portland', postcode: '97201', country_id: 'US', region: 'Oregon' },
  { city: 'Munich', postcode: '80331', country_id: 'DE', region: 'Bayern' },
];
const NOUNS = ['Shirt', 'Mug', 'Lamp', 'Backpack', 'Notebook', 'Bottle', 'Scarf', 'Chair', 'Headphones', 'Sneakers'];
const ADJ = ['Classic', 'Urban', 'Eco', 'Deluxe', 'Compact', 'Vintage', 'Sport', 'Pro'];
const ORDER_STATES: { state: string; status: string; w: number }[] = [
  { state: 'new', status: 'pending', w: 0.2 },
  { state: 'processing', status: 'processing', w: 0.35 },
  { state: 'complete', status: 'complete', w: 0.35 },
  { state: 'canceled', status: 'canceled', w: 0.1 },
];

export const round2 = (n: number) => Math.round(n * 100) / 100;

const dateMemo = new Map<number, string>();
/** 'YYYY-MM-DD HH:MM:SS' in UTC, as Magento stores and answers dates (memoized: list filters format a lot). */
export function magentoDate(ms: number): string {
  let s = dateMemo.get(ms);
  if (s === undefined) {
    s = new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
    if (dateMemo.size > 1_000_000) dateMemo.clear();
    dateMemo.set(ms, s);
  }
  return s;
}

export class MagentoState {
  clock: () => number;
  stores: Store[] = [];
  websites: Website[] = [];
  products: Product[] = [];
  productsBySku = new Map<string, Product>();
  productsById = new Map<number, Product>();
  categories: Category[] = [];
  customers: Customer[] = [];
  orders: Order[] = [];
  ordersById = new Map<number, Order>();
  invoices: Invoice[] = [];
  shipments: Shipment[] = [];
  sources: Source[] = [{ source_code: 'default', name: 'Default Source', enabled: true, country_id: 'US', postcode: '78701' }];
  stocks: Stock[] = [{ stock_id: 1, name: 'Default Stock', source_codes: ['default'], websites: [] }];
  /** key `${sku}\u0000${source_code}` */
  sourceItems = new Map<string, SourceItem>();
  reservations: Reservation[] = [];
  /** orders placed through checkout (they hold reservations) */
  placedOrders = new Set<number>();
  /**
   * MSI on (reservations; shipments deduct the source) or off (legacy CatalogInventory: checkout deducts the
   * stock item, shipments touch no stock). Set by the server from its `msi` option before seeding.
   */
  msi = true;
  invoicesByOrder = new Map<number, Invoice[]>();
  shipmentsByOrder = new Map<number, Shipment[]>();
  /** applied stock writes per `${sku}@${source_code}` (legacy writes count against 'default') */
  stockWrites = new Map<string, number>();
  /** every comment added through POST /V1/orders/{id}/comments, in order */
  comments: StatusHistory[] = [];
  /** bumped by every write the simulator applies (list result caches check it) */
  version = 0;
  #ids = { product: 0, order: 0, item: 0, shipment: 0, invoice: 0, track: 0, comment: 0, reservation: 0, media: 0, customer: 0 };
  #random: () => number = prng(1);
  #reservedSum = new Map<string, number>();

  constructor(clock: () => number, stores: StoreSpec[]) {
    this.clock = clock;
    const websiteByCode = new Map<string, Website>();
    let storeId = 1;
    for (const spec of stores) {
      let w = websiteByCode.get(spec.website_code);
      if (!w) {
        const id = websiteByCode.size + 1;
        w = { id, code: spec.website_code, name: id === 1 ? 'Main Website' : `${spec.website_code} Website`, default_group_id: id, currency: spec.currency };
        websiteByCode.set(spec.website_code, w);
        this.websites.push(w);
      }
      this.stores.push({ ...spec, id: storeId++, website_id: w.id, group_id: w.default_group_id });
    }
    this.stocks[0]!.websites = this.websites.map((w) => w.code);
  }

  store(code: string): Store | undefined {
    return this.stores.find((s) => s.code === code);
  }
  storeById(id: number): Store | undefined {
    return this.stores.find((s) => s.id === id);
  }

  // ---------- seeding ----------

  seed(opts: SeedOptions = {}): void {
    const r = (this.#random = prng(opts.seed ?? 1));
    const nCat = opts.categories ?? 6;
    const now = SEED_EPOCH;
    this.categories.push({ id: 1, parent_id: 0, name: 'Root Catalog', is_active: true, position: 0, level: 0, path: '1', created_at: now, updated_at: now });
    this.categories.push({ id: 2, parent_id: 1, name: 'Default Category', is_active: true, position: 1, level: 1, path: '1/2', created_at: now, updated_at: now });
    for (let i = 0; i < nCat; i++) {
      const id = 3 + i;
      // every third category nests under the previous top-level one
      const parent = i % 3 === 2 ? this.categories[this.categories.length - 1]! : this.categories[1]!;
      this.categories.push({
        id,
        parent_id: parent.id,
        name: `${NOUNS[i % NOUNS.length]}s${i >= NOUNS.length ? ' ' + (i + 1) : ''}`,
        is_active: true,
        position: i + 1,
        level: parent.level + 1,
        path: `${parent.path}/${id}`,
        created_at: now,
        updated_at: now,
      });
    }
    const leafCats = this.categories.filter((c) => c.level >= 2).map((c) => c.id);

    const simples = opts.simples ?? 10;
    const configurables = opts.configurables ?? 2;
    const step = 60_000;
    let t = now;
    const mk = (sku: string, name: string, type: 'simple' | 'configurable', price: number, visibility: 1 | 4): Product => {
      t += step;
      const id = ++this.#ids.product;
      const cats = leafCats.length ? [leafCats[id % leafCats.length]!] : [];
      const p: Product = {
        id,
        sku,
        type_id: type,
        attribute_set_id: 4,
        name,
        price,
        status: id % 17 === 0 ? 2 : 1,
        visibility,
        weight: type === 'simple' ? round2(0.2 + (id % 10) / 4) : null,
        created_at: t,
        updated_at: t + (id % 7) * 1000,
        attrs: {
          description: `<p>${name}: a seeded product for the Magento simulator.</p>`,
          short_description: name,
          url_key: sku.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
          ean: ean13(id),
          tax_class_id: '2',
          options_container: 'container2',
        },
        storeValues: {},
        category_ids: cats,
        media: [],
        children: [],
        parent_id: null,
        website_ids: this.websites.map((w) => w.id),
      };
      if (visibility === 4) {
        p.media.push({ id: ++this.#ids.media, media_type: 'image', label: name, position: 1, disabled: false, types: ['image', 'small_image', 'thumbnail'], file: `/${sku[0]!.toLowerCase()}/${sku[1]?.toLowerCase() ?? 'x'}/${p.attrs.url_key}.jpg` });
      }
      const de = this.stores.find((s) => s.locale.startsWith('de'));
      if (de) p.storeValues[de.code] = { name: `${name} (DE)`, description: `<p>${name}: ein Beispielprodukt.</p>` };
      this.addProduct(p);
      return p;
    };
    for (let i = 0; i < simples; i++) {
      const name = `${ADJ[i % ADJ.length]} ${NOUNS[(i * 7) % NOUNS.length]} ${i + 1}`;
      const p = mk(`SIM-${String(i + 1).padStart(6, '0')}`, name, 'simple', round2(5 + ((i * 37) % 200) + (i % 100) / 100), 4);
      this.setSourceQty(p.sku, 'default', (i * 13) % 120, false);
    }
    for (let i = 0; i < configurables; i++) {
      const base = `CFG-${String(i + 1).padStart(6, '0')}`;
      const name = `${ADJ[(i + 3) % ADJ.length]} ${NOUNS[(i * 3) % NOUNS.length]} Configurable ${i + 1}`;
      const price = round2(20 + ((i * 19) % 80) + 0.99);
      const parent = mk(base, name, 'configurable', 0, 4);
      for (let k = 0; k < 3; k++) {
        const color = COLOR_OPTIONS[(i + k) % COLOR_OPTIONS.length]!;
        const size = SIZE_OPTIONS[k % SIZE_OPTIONS.length]!;
        const child = mk(`${base}-${color.label.toUpperCase()}-${size.label}`, `${name}-${color.label}-${size.label}`, 'simple', round2(price + k), 1);
        child.attrs.color = color.value;
        child.attrs.size = size.value;
        child.parent_id = parent.id;
        child.category_ids = [];
        parent.children.push(child.id);
        this.setSourceQty(child.sku, 'default', (i * 11 + k * 5) % 60, false);
      }
    }

    const nCust = opts.customers ?? 5;
    for (let i = 0; i < nCust; i++) {
      const first = FIRST[i % FIRST.length]!;
      const last = LAST[(i * 3) % LAST.length]!;
      const c = CITIES[i % CITIES.length]!;
      const store = this.stores[i % this.stores.length]!;
      const id = ++this.#ids.customer;
      this.customers.push({
        id,
        email: `${first}.${last}.${id}@example.com`.toLowerCase(),
        firstname: first,
        lastname: last,
        group_id: 1,
        store_id: store.id,
        website_id: store.website_id,
        created_at: now + id * 3_600_000,
        updated_at: now + id * 3_600_000 + 1000,
        address: { firstname: first, lastname: last, street: [`${10 + (id % 90)} Main Street`], city: c.city, postcode: c.postcode, country_id: c.country_id, region: c.region, telephone: `555-01${String(id % 100).padStart(2, '0')}` },
      });
    }

    const nOrders = opts.orders ?? 8;
    const sellable = this.products.filter((p) => p.type_id === 'simple');
    if (nOrders > 0 && sellable.length === 0) throw new Error('orders need products to sell');
    let ot = now + 86_400_000;
    for (let i = 0; i < nOrders; i++) {
      ot += 30_000 + Math.floor(r() * 60_000);
      const pickState = r();
      let acc = 0;
      let st = ORDER_STATES[0]!;
      for (const s of ORDER_STATES) {
        acc += s.w;
        if (pickState < acc) { st = s; break; }
      }
      const customer = this.customers.length && r() < 0.7 ? this.customers[Math.floor(r() * this.customers.length)]! : null;
      const store = customer ? this.storeById(customer.store_id)! : this.stores[Math.floor(r() * this.stores.length)]!;
      const lines: { p: Product; qty: number }[] = [];
      const nLines = 1 + Math.floor(r() * 3);
      for (let k = 0; k < nLines; k++) lines.push({ p: sellable[Math.floor(r() * sellable.length)]!, qty: 1 + Math.floor(r() * 3) });
      const city = CITIES[Math.floor(r() * CITIES.length)]!;
      const first = customer?.firstname ?? FIRST[Math.floor(r() * FIRST.length)]!;
      const last = customer?.lastname ?? LAST[Math.floor(r() * LAST.length)]!;
      const addr: Address = customer?.address ?? { firstname: first, lastname: last, street: [`${1 + Math.floor(r() * 200)} Oak Avenue`], city: city.city, postcode: city.postcode, country_id: city.country_id, region: city.region, telephone: '555-0100' };
      const order = this.buildOrder({
        store,
        customer,
        email: customer?.email ?? `guest${i + 1}@example.com`,
        firstname: first,
        lastname: last,
        billing: addr,
        shipping: addr,
        lines: lines.map((l) => ({ product: l.p, qty: l.qty, price: l.p.price })),
        shipping_amount: 5,
        at: ot,
        payment_method: r() < 0.5 ? 'checkmo' : 'banktransfer',
      });
      order.updated_at = ot + Math.floor(r() * 3_600_000);
      order.state = st.state;
      order.status = st.status;
      this.insertOrder(order);
      // open orders still hold their reservations; finished ones were compensated long ago
      if (opts.openOrderReservations && (st.state === 'new' || st.state === 'processing')) this.placeReservations(order, true);
      if (st.state === 'processing' || st.state === 'complete') this.createInvoice(order, null, order.updated_at);
      // history: the seeded source quantities are today's, after these shipments
      if (st.state === 'complete') this.createShipment(order, null, [{ track_number: `1Z${String(order.entity_id).padStart(10, '0')}`, title: 'United Parcel Service', carrier_code: 'ups' }], order.updated_at, false);
      if (st.state === 'canceled') for (const it of order.items) it.qty_canceled = it.qty_ordered;
    }
  }

  addProduct(p: Product): void {
    this.version++;
    this.products.push(p);
    this.productsBySku.set(p.sku.toLowerCase(), p);
    this.productsById.set(p.id, p);
  }
  product(sku: string): Product | undefined {
    return this.productsBySku.get(sku.toLowerCase());
  }
  nextProductId(): number {
    return ++this.#ids.product;
  }
  nextMediaId(): number {
    return ++this.#ids.media;
  }

  /** Bumps updated_at of a product (for incremental-sync tests). */
  touchProduct(sku: string, at = this.clock()): void {
    this.version++;
    const p = this.product(sku);
    if (!p) throw new Error(`no product ${sku}`);
    p.updated_at = at;
  }
  touchOrder(id: number, at = this.clock()): void {
    this.version++;
    const o = this.ordersById.get(id);
    if (!o) throw new Error(`no order ${id}`);
    o.updated_at = at;
  }

  // ---------- stock ----------

  sourceItem(sku: string, source: string): SourceItem | undefined {
    return this.sourceItems.get(`${sku.toLowerCase()}\u0000${source}`);
  }
  sourceItemsOf(sku: string): SourceItem[] {
    return this.sources.map((s) => this.sourceItem(sku, s.source_code)).filter((x): x is SourceItem => !!x);
  }
  /** Sets a source item's quantity (status follows: in stock when > 0); counts a stock write when `count`. */
  setSourceQty(sku: string, source: string, quantity: number, count = true, status?: 0 | 1): SourceItem {
    const p = this.product(sku);
    const key = `${sku.toLowerCase()}\u0000${source}`;
    this.version++;
    const item = this.sourceItems.get(key) ?? { sku: p?.sku ?? sku, source_code: source, quantity: 0, status: 0 as 0 | 1 };
    item.quantity = quantity;
    item.status = status ?? (quantity > 0 ? 1 : 0);
    this.sourceItems.set(key, item);
    if (count) {
      const k = `${item.sku}@${source}`;
      this.stockWrites.set(k, (this.stockWrites.get(k) ?? 0) + 1);
      // stock lives outside the product entity: updated_at of the product does not move (a Magento trap)
    }
    return item;
  }
  /** Legacy qty: the default source's quantity. */
  legacyQty(sku: string): number {
    return this.sourceItem(sku, 'default')?.quantity ?? 0;
  }
  /** Σ reservations of a SKU on a stock (kept as a running sum: add reservations through reserve()). */
  reserved(sku: string, stockId: number): number {
    return this.#reservedSum.get(`${stockId}\u0000${sku.toLowerCase()}`) ?? 0;
  }
  salable(sku: string, stockId: number): number {
    const stock = this.stocks.find((s) => s.stock_id === stockId);
    if (!stock) return 0;
    let qty = 0;
    for (const code of stock.source_codes) {
      const si = this.sourceItem(sku, code);
      if (si && si.status === 1) qty += si.quantity;
    }
    return qty + this.reserved(sku, stockId);
  }
  reserve(sku: string, stockId: number, quantity: number, metadata: string): void {
    this.reservations.push({ reservation_id: ++this.#ids.reservation, stock_id: stockId, sku, quantity, metadata });
    const k = `${stockId}\u0000${sku.toLowerCase()}`;
    this.#reservedSum.set(k, round2((this.#reservedSum.get(k) ?? 0) + quantity));
    this.version++;
  }
  stockIdFor(store: Store): number {
    const w = this.websites.find((x) => x.id === store.website_id);
    return this.stocks.find((s) => w && s.websites.includes(w.code))?.stock_id ?? 1;
  }

  // ---------- sales ----------

  buildOrder(input: {
    store: Store;
    customer: Customer | null;
    email: string;
    firstname: string;
    lastname: string;
    billing: Address;
    shipping: Address | null;
    lines: { product: Product; qty: number; price: number; name?: string; tax?: number; discount?: number; ext_order_item_id?: string }[];
    shipping_amount: number;
    at: number;
    payment_method: string;
    totals?: { subtotal?: number; tax_amount?: number; discount_amount?: number; grand_total?: number };
  }): Order {
    const entity_id = ++this.#ids.order;
    const items: OrderItem[] = [];
    let subtotal = 0;
    let tax = 0;
    let discount = 0;
    for (const l of input.lines) {
      const parent = l.product.parent_id ? this.productsById.get(l.product.parent_id) : undefined;
      const rowTotal = round2(l.price * l.qty);
      subtotal += rowTotal;
      tax += l.tax ?? 0;
      discount += l.discount ?? 0;
      const weight = l.product.weight ?? 0;
      const ext = l.ext_order_item_id ?? null;
      if (parent) {
        const pid = ++this.#ids.item;
        items.push(orderItem(pid, parent.id, l.product.sku, l.name ?? parent.name, 'configurable', null, l.qty, l.price, l.product.price, l.tax ?? 0, l.discount ?? 0, rowTotal, weight, ext, [
          { option_id: String(ATTRIBUTE_IDS.color), option_value: Number(l.product.attrs.color ?? 0) },
          { option_id: String(ATTRIBUTE_IDS.size), option_value: Number(l.product.attrs.size ?? 0) },
        ]));
        items.push(orderItem(++this.#ids.item, l.product.id, l.product.sku, l.product.name, 'simple', pid, l.qty, 0, 0, 0, 0, 0, weight, ext, null));
      } else {
        items.push(orderItem(++this.#ids.item, l.product.id, l.product.sku, l.name ?? l.product.name, 'simple', null, l.qty, l.price, l.product.price, l.tax ?? 0, l.discount ?? 0, rowTotal, weight, ext, null));
      }
    }
    const website = this.websites.find((w) => w.id === input.store.website_id);
    subtotal = input.totals?.subtotal ?? round2(subtotal);
    tax = input.totals?.tax_amount ?? round2(tax);
    discount = input.totals?.discount_amount ?? round2(discount);
    const grand = input.totals?.grand_total ?? round2(subtotal + input.shipping_amount + tax - Math.abs(discount));
    return {
      entity_id,
      increment_id: incrementId(input.store.id, entity_id),
      store_id: input.store.id,
      currency: website?.currency ?? input.store.currency,
      state: 'new',
      status: 'pending',
      created_at: input.at,
      updated_at: input.at,
      customer_id: input.customer?.id ?? null,
      customer_email: input.email,
      customer_firstname: input.firstname,
      customer_lastname: input.lastname,
      customer_group_id: input.customer ? input.customer.group_id : 0,
      billing: input.billing,
      shipping: input.shipping,
      shipping_method: 'flatrate_flatrate',
      shipping_description: 'Flat Rate - Fixed',
      shipping_amount: input.shipping_amount,
      tax_amount: tax,
      discount_amount: discount,
      subtotal,
      grand_total: grand,
      total_paid: 0,
      payment_method: input.payment_method,
      items,
      comments: [],
    };
  }

  insertOrder(o: Order): void {
    this.version++;
    this.orders.push(o);
    this.ordersById.set(o.entity_id, o);
  }

  /**
   * Order placement (checkout): MSI places reservations of -qty on the store's stock for every simple row;
   * without MSI, CatalogInventory subtracts the stock item's qty at once (`seeded`: today's quantities
   * already reflect it).
   */
  placeReservations(o: Order, seeded = false): void {
    const store = this.storeById(o.store_id)!;
    const stockId = this.stockIdFor(store);
    this.placedOrders.add(o.entity_id);
    for (const it of o.items) {
      if (it.product_type !== 'simple') continue;
      if (!this.msi) {
        const si = this.sourceItem(it.sku, 'default');
        if (si && !seeded) this.setSourceQty(si.sku, 'default', round2(si.quantity - it.qty_ordered), false);
        continue;
      }
      this.reserve(it.sku, stockId, -it.qty_ordered, JSON.stringify({ event_type: 'order_placed', object_type: 'order', object_id: String(o.entity_id), object_increment_id: o.increment_id }));
    }
  }

  qtyToShip(o: Order, it: OrderItem): number {
    return Math.max(0, it.qty_ordered - it.qty_shipped - it.qty_canceled);
  }
  canShip(o: Order): boolean {
    if (o.state === 'canceled' || o.state === 'holded' || o.state === 'closed' || o.state === 'complete') return false;
    return o.items.some((it) => it.parent_item_id === null && this.qtyToShip(o, it) > 0);
  }

  /**
   * Ships `lines` (null: everything left). With MSI, like Magento's SourceDeductionProcessor, for every
   * order whichever way it was created: deducts the `default` source (single-source mode) and places a
   * compensating +qty reservation. An order saved through POST /V1/orders reserved nothing, so its shipment
   * leaves salable as it was and lowers the source quantity. Without MSI a shipment touches no stock.
   * Callers validate quantities first (server.ts). `stock` false: seeded history, no stock effect.
   */
  createShipment(o: Order, lines: { order_item_id: number; qty: number }[] | null, tracks: { track_number: string; title: string; carrier_code: string }[], at = this.clock(), stock = true): Shipment {
    const top = o.items.filter((it) => it.parent_item_id === null);
    const want = lines ?? top.map((it) => ({ order_item_id: it.item_id, qty: this.qtyToShip(o, it) })).filter((l) => l.qty > 0);
    const id = ++this.#ids.shipment;
    const s: Shipment = { entity_id: id, increment_id: incrementId(o.store_id, id), order_id: o.entity_id, store_id: o.store_id, created_at: at, updated_at: at, items: [], tracks: [], comments: [] };
    const store = this.storeById(o.store_id)!;
    const stockId = this.stockIdFor(store);
    for (const l of want) {
      const it = o.items.find((x) => x.item_id === l.order_item_id)!;
      it.qty_shipped += l.qty;
      const child = o.items.find((x) => x.parent_item_id === it.item_id);
      if (child) child.qty_shipped += l.qty;
      const simple = child ?? it;
      s.items.push({ entity_id: s.items.length + 1 + id * 10, order_item_id: it.item_id, qty: l.qty, sku: it.sku, name: it.name, price: it.price, product_id: simple.product_id, weight: it.weight });
      if (stock && this.msi) {
        const si = this.sourceItem(simple.sku, 'default');
        // SourceDeductionService saves the item: status follows the quantity (not a counted API write)
        if (si) this.setSourceQty(si.sku, 'default', round2(si.quantity - l.qty), false);
        this.reserve(simple.sku, stockId, l.qty, JSON.stringify({ event_type: 'shipment_created', object_type: 'order', object_id: String(o.entity_id), object_increment_id: o.increment_id }));
      }
    }
    for (const t of tracks) s.tracks.push({ entity_id: ++this.#ids.track, parent_id: id, order_id: o.entity_id, track_number: t.track_number, title: t.title, carrier_code: t.carrier_code, created_at: at });
    this.shipments.push(s);
    const byOrder = this.shipmentsByOrder.get(o.entity_id);
    if (byOrder) byOrder.push(s);
    else this.shipmentsByOrder.set(o.entity_id, [s]);
    const allShipped = top.every((it) => this.qtyToShip(o, it) === 0);
    const allInvoiced = top.every((it) => it.qty_invoiced + it.qty_canceled >= it.qty_ordered);
    if (allShipped && allInvoiced) o.state = o.status = 'complete';
    else if (o.state === 'new') o.state = o.status = 'processing';
    o.updated_at = at;
    return s;
  }

  createInvoice(o: Order, lines: { order_item_id: number; qty: number }[] | null, at = this.clock()): Invoice {
    const top = o.items.filter((it) => it.parent_item_id === null);
    const want = lines ?? top.map((it) => ({ order_item_id: it.item_id, qty: it.qty_ordered - it.qty_invoiced - it.qty_canceled })).filter((l) => l.qty > 0);
    const id = ++this.#ids.invoice;
    const inv: Invoice = { entity_id: id, increment_id: incrementId(o.store_id, id), order_id: o.entity_id, store_id: o.store_id, state: 2, created_at: at, updated_at: at, items: [], grand_total: 0, subtotal: 0, shipping_amount: 0, tax_amount: 0 };
    const first = !this.invoicesByOrder.has(o.entity_id);
    for (const l of want) {
      const it = o.items.find((x) => x.item_id === l.order_item_id)!;
      it.qty_invoiced += l.qty;
      const child = o.items.find((x) => x.parent_item_id === it.item_id);
      if (child) child.qty_invoiced += l.qty;
      const row = round2(it.price * l.qty);
      inv.items.push({ entity_id: id * 10 + inv.items.length + 1, order_item_id: it.item_id, qty: l.qty, sku: it.sku, name: it.name, price: it.price, row_total: row, product_id: it.product_id });
      inv.subtotal += row;
    }
    inv.subtotal = round2(inv.subtotal);
    inv.shipping_amount = first ? o.shipping_amount : 0;
    inv.tax_amount = first ? o.tax_amount : 0;
    inv.grand_total = round2(inv.subtotal + inv.shipping_amount + inv.tax_amount - (first ? Math.abs(o.discount_amount) : 0));
    o.total_paid = round2(o.total_paid + inv.grand_total);
    this.invoices.push(inv);
    const byOrder = this.invoicesByOrder.get(o.entity_id);
    if (byOrder) byOrder.push(inv);
    else this.invoicesByOrder.set(o.entity_id, [inv]);
    const allShipped = top.every((it) => this.qtyToShip(o, it) === 0);
    const allInvoiced = top.every((it) => it.qty_invoiced + it.qty_canceled >= it.qty_ordered);
    if (allShipped && allInvoiced) o.state = o.status = 'complete';
    else if (o.state === 'new') o.state = o.status = 'processing';
    o.updated_at = at;
    return inv;
  }

  cancel(o: Order, at = this.clock()): boolean {
    if (o.state === 'canceled' || o.state === 'complete' || o.state === 'closed' || o.state === 'holded') return false;
    const top = o.items.filter((it) => it.parent_item_id === null);
    if (top.every((it) => it.qty_invoiced + it.qty_canceled >= it.qty_ordered || it.qty_shipped >= it.qty_ordered)) return false;
    const store = this.storeById(o.store_id)!;
    const stockId = this.stockIdFor(store);
    for (const it of o.items) {
      const left = it.qty_ordered - Math.max(it.qty_shipped, it.qty_invoiced) - it.qty_canceled;
      if (left <= 0) continue;
      it.qty_canceled += left;
      if (it.product_type !== 'simple') continue;
      // Magento gives back what is left of every simple row, whether or not the order reserved it
      // (InventorySales' CancelOrderItemObserver; without MSI, CatalogInventory's backItemQty).
      if (!this.msi) {
        const si = this.sourceItem(it.sku, 'default');
        if (si) this.setSourceQty(si.sku, 'default', round2(si.quantity + left), false);
        continue;
      }
      this.reserve(it.sku, stockId, left, JSON.stringify({ event_type: 'order_canceled', object_type: 'order', object_id: String(o.entity_id), object_increment_id: o.increment_id }));
    }
    o.state = o.status = 'canceled';
    o.updated_at = at;
    return true;
  }

  addComment(o: Order, c: { comment: string; status?: string; is_customer_notified?: number; is_visible_on_front?: number }, at = this.clock()): StatusHistory {
    const h: StatusHistory = {
      entity_id: ++this.#ids.comment,
      parent_id: o.entity_id,
      comment: c.comment,
      status: c.status ?? o.status,
      is_customer_notified: c.is_customer_notified ?? 0,
      is_visible_on_front: c.is_visible_on_front ?? 0,
      created_at: at,
      entity_name: 'order',
    };
    o.comments.push(h);
    if (c.status) o.status = c.status;
    o.updated_at = at;
    this.comments.push(h);
    return h;
  }

  findOrders(pred: (o: Order) => boolean): Order[] {
    return this.orders.filter(pred);
  }
  orderByIncrementId(inc: string): Order | undefined {
    return this.orders.find((o) => o.increment_id === inc);
  }
  orderByExtId(ext: string): Order | undefined {
    return this.orders.find((o) => o.ext_order_id === ext);
  }
  shipmentsOf(orderId: number): Shipment[] {
    return this.shipmentsByOrder.get(orderId) ?? [];
  }
}

/** Magento's sales sequences: 9 digits, prefixed with the store id for every store but the first. */
export function incrementId(storeId: number, n: number): string {
  return `${storeId === 1 ? '' : storeId}${String(n).padStart(9, '0')}`;
}

function ean13(n: number): string {
  const body = `40${String(n).padStart(10, '0')}`.slice(0, 12);
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(body[i]) * (i % 2 ? 3 : 1);
  return body + String((10 - (sum % 10)) % 10);
}
