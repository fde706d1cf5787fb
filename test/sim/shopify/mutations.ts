// The mutations the simulator serves, with Shopify's userErrors (codes from the schema's enums) and side
// effects on the state: inventorySetQuantities (compare-and-set on changeFromQuantity, @idempotent replay and
// mismatch), productUpdate, productVariantsBulkUpdate, fulfillmentCreate (on fulfillment orders' remaining
// quantities), orderCancel (an asynchronous job; a second cancel is refused), orderCreate, bulkOperationRunQuery
// and webhookSubscriptionCreate. Each write emits the webhooks its topic has subscribers for.
import { GraphQLError, getDirectiveValues, type GraphQLResolveInfo } from 'graphql';
import type { SimContext } from './execute.ts';
import { cents, gid, gidType, parseGid, type FulfillmentOrder, type Order, type TaxLine } from './state.ts';
import type { View } from './views.ts';

type Args = Record<string, unknown>;
type Obj = Record<string, unknown>;
const err = (field: (string | number)[] | null, message: string, code?: string | null) => ({ __typename: 'UserError', field: field?.map(String) ?? null, message, ...(code !== undefined ? { code } : {}) });

/** Reasons inventorySetQuantities accepts (Shopify's documented list). */
export const INVENTORY_REASONS = ['correction', 'cycle_count_available', 'damaged', 'movement_created', 'movement_updated', 'movement_received', 'movement_canceled', 'other', 'promotion', 'quality_control', 'received', 'reservation_created', 'reservation_deleted', 'reservation_updated', 'restock', 'safety_stock', 'shrinkage'];

export interface WebhookEvent {
  topic: string; // enum value, e.g. ORDERS_CREATE
  payload: Obj;
}

function idempotencyKey(info: GraphQLResolveInfo): string | null {
  const dir = info.schema.getDirective('idempotent');
  if (!dir) return null;
  const v = getDirectiveValues(dir, info.fieldNodes[0], info.variableValues);
  return typeof v?.key === 'string' ? v.key : null;
}

const money = (value: unknown): number | null => {
  const bag = value as { shopMoney?: { amount?: unknown } } | undefined;
  return cents(bag?.shopMoney?.amount);
};
const taxLines = (list: unknown): TaxLine[] =>
  (Array.isArray(list) ? (list as Obj[]) : []).map((t) => ({ title: String(t.title), rate: Number(t.rate), price: money(t.priceSet) ?? 0 }));

export function mutationRoot(ctx: SimContext): Record<string, (args: Args, c: SimContext, info: GraphQLResolveInfo) => unknown> {
  const s = ctx.state;
  const v = ctx.views;
  const emit = (topic: string, payload: Obj) => ctx.events.push({ topic, payload });
  const orderPayload = (o: Order) => ({ id: o.id, admin_graphql_api_id: gid('Order', o.id), name: o.name, updated_at: new Date(o.updatedAt).toISOString(), cancelled_at: o.cancelledAt ? new Date(o.cancelledAt).toISOString() : null });

  return {
    inventorySetQuantities(args, _c, info) {
      const input = args.input as { name: string; reason: string; referenceDocumentUri?: string | null; quantities: Obj[] };
      const key = idempotencyKey(info);
      if (key === null) {
        throw new GraphQLError('The @idempotent directive is required for this mutation.', { extensions: { code: 'BAD_REQUEST' } });
      }
      const fingerprint = JSON.stringify(input);
      const memo = ctx.idempotency.get(`${ctx.appId}:inventorySetQuantities:${key}`);
      if (memo) {
        if (memo.fingerprint !== fingerprint) {
          return { userErrors: [err(null, 'The same idempotency key cannot be used with different operation parameters.', 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH')], inventoryAdjustmentGroup: null };
        }
        ctx.replays.push(key);
        return memo.result();
      }
      const remember = (result: () => unknown) => {
        ctx.idempotency.set(`${ctx.appId}:inventorySetQuantities:${key}`, { fingerprint, result });
        return result();
      };
      const errors: ReturnType<typeof err>[] = [];
      if (input.name !== 'available' && input.name !== 'on_hand') errors.push(err(['input', 'name'], 'The quantity name must be either \'available\' or \'on_hand\'.', 'INVALID_NAME'));
      if (!INVENTORY_REASONS.includes(input.reason)) errors.push(err(['input', 'reason'], 'The specified reason is invalid.', 'INVALID_REASON'));
      const plan: { itemId: number; locationId: number; quantity: number }[] = [];
      input.quantities.forEach((q, i) => {
        const path = ['input', 'quantities', i];
        const itemId = parseGid(q.inventoryItemId, 'InventoryItem');
        const locationId = parseGid(q.locationId, 'Location');
        const item = itemId === null ? undefined : s.inventoryItems.get(itemId);
        if (!item) return void errors.push(err([...path, 'inventoryItemId'], 'The specified inventory item could not be found.', 'INVALID_INVENTORY_ITEM'));
        if (locationId === null || !s.locations.has(locationId)) return void errors.push(err([...path, 'locationId'], 'The specified location could not be found.', 'INVALID_LOCATION'));
        if (!('changeFromQuantity' in q)) return void errors.push(err([...path, 'changeFromQuantity'], 'changeFromQuantity is required: pass the quantity you expect, or null to skip the check.', null));
        const quantity = Number(q.quantity);
        if (quantity < 0 && input.name === 'on_hand') return void errors.push(err([...path, 'quantity'], 'The quantity can\'t be negative.', 'INVALID_QUANTITY_NEGATIVE'));
        if (quantity > 1_000_000_000) return void errors.push(err([...path, 'quantity'], 'The quantity can\'t be higher than 1,000,000,000.', 'INVALID_QUANTITY_TOO_HIGH'));
        const current = s.level(item, locationId).quantities[input.name as 'available' | 'on_hand'];
        if (q.changeFromQuantity !== null && q.changeFromQuantity !== current) {
          errors.push(err([...path, 'changeFromQuantity'], 'The specified compare quantity is stale.', 'CHANGE_FROM_QUANTITY_STALE'));
        }
        plan.push({ itemId: item.id, locationId, quantity });
      });
      if (errors.length) {
        const snapshot = errors;
        return remember(() => ({ userErrors: snapshot, inventoryAdjustmentGroup: null }));
      }
      const at = s.clock();
      const changes = plan.map((p) => {
        const item = s.inventoryItems.get(p.itemId)!;
        const name = input.name as 'available' | 'on_hand';
        const { before, after } = s.setQuantity(item, p.locationId, name, p.quantity);
        const lv = s.level(item, p.locationId);
        emit('INVENTORY_LEVELS_UPDATE', { inventory_item_id: item.id, location_id: p.locationId, available: lv.quantities.available, updated_at: new Date(at).toISOString(), admin_graphql_api_id: `gid://shopify/InventoryLevel/${lv.id}?inventory_item_id=${item.id}` });
        return { name, delta: after - before, after, item, locationId: p.locationId };
      });
      const groupId = s.nextId();
      return remember(() => ({
        userErrors: [],
        inventoryAdjustmentGroup: {
          __typename: 'InventoryAdjustmentGroup',
          id: gid('InventoryAdjustmentGroup', groupId),
          createdAt: new Date(at).toISOString(),
          reason: input.reason,
          referenceDocumentUri: input.referenceDocumentUri ?? null,
          changes: () => changes.map((c) => ({ __typename: 'InventoryChange', name: c.name, delta: c.delta, quantityAfterChange: c.after, item: v.inventoryItem(c.item), location: v.location(c.locationId), ledgerDocumentUri: null })),
        },
      }));
    },

    productUpdate(args) {
      const input = (args.product ?? args.input) as Obj | undefined;
      const id = parseGid(input?.id ?? (args.identifier as Obj | undefined)?.id, 'Product');
      const p = id === null ? undefined : s.products.get(id);
      if (!p || !input) return { product: null, userErrors: [err(['id'], 'Product does not exist')] };
      if (input.title !== undefined && (typeof input.title !== 'string' || !input.title.trim())) return { product: v.product(p), userErrors: [err(['title'], 'Title can\'t be blank')] };
      if (typeof input.title === 'string') p.title = input.title;
      if (typeof input.descriptionHtml === 'string') p.descriptionHtml = input.descriptionHtml;
      if (typeof input.vendor === 'string') p.vendor = input.vendor;
      if (typeof input.productType === 'string') p.productType = input.productType;
      if (typeof input.status === 'string') p.status = input.status as typeof p.status;
      if (typeof input.handle === 'string') p.handle = input.handle;
      if (Array.isArray(input.tags)) p.tags = input.tags as string[];
      s.touch(p);
      emit('PRODUCTS_UPDATE', { id: p.id, admin_graphql_api_id: gid('Product', p.id), title: p.title, updated_at: new Date(p.updatedAt).toISOString() });
      return { product: v.product(p), userErrors: [] };
    },

    productVariantsBulkUpdate(args) {
      const pid = parseGid(args.productId, 'Product');
      const p = pid === null ? undefined : s.products.get(pid);
      const vErr = (field: (string | number)[], message: string, code: string) => ({ ...err(field, message, code), __typename: 'ProductVariantsBulkUpdateUserError' });
      if (!p) return { product: null, productVariants: null, userErrors: [vErr(['productId'], 'Product does not exist', 'PRODUCT_DOES_NOT_EXIST')] };
      const rows = args.variants as Obj[];
      const errors: ReturnType<typeof vErr>[] = [];
      const plan = rows.map((row, i) => {
        const id = parseGid(row.id, 'ProductVariant');
        if (id === null) errors.push(vErr(['variants', i, 'id'], 'Product variant id is missing', 'PRODUCT_VARIANT_ID_MISSING'));
        else if (!p.variantIds.includes(id)) errors.push(vErr(['variants', i, 'id'], 'Product variant does not exist', 'PRODUCT_VARIANT_DOES_NOT_EXIST'));
        const price = row.price === undefined ? undefined : cents(row.price);
        const compare = row.compareAtPrice === undefined || row.compareAtPrice === null ? row.compareAtPrice : cents(row.compareAtPrice);
        if (price === null) errors.push(vErr(['variants', i, 'price'], 'Price is invalid', 'INVALID_VALUE'));
        else if (price !== undefined && price < 0) errors.push(vErr(['variants', i, 'price'], 'Price must be greater than or equal to 0', 'NEGATIVE_PRICE_VALUE'));
        return { id, price, compare, row };
      });
      const partial = args.allowPartialUpdates === true;
      if (errors.length && !partial) return { product: v.product(p), productVariants: null, userErrors: errors };
      const changed = [];
      for (const x of plan) {
        const variant = x.id === null ? undefined : s.variants.get(x.id);
        if (!variant || !p.variantIds.includes(variant.id) || x.price === null) continue;
        if (x.price !== undefined) variant.price = x.price;
        if (x.compare !== undefined) variant.compareAtPrice = x.compare ?? null;
        if (typeof x.row.barcode === 'string') variant.barcode = x.row.barcode;
        const sku = (x.row.inventoryItem as Obj | undefined)?.sku;
        if (typeof sku === 'string') {
          variant.sku = sku;
          s.inventoryItems.get(variant.inventoryItemId)!.sku = sku;
        }
        variant.updatedAt = s.clock();
        changed.push(variant);
      }
      s.touch(p);
      emit('PRODUCTS_UPDATE', { id: p.id, admin_graphql_api_id: gid('Product', p.id), title: p.title, updated_at: new Date(p.updatedAt).toISOString() });
      return { product: v.product(p), productVariants: changed.map((x) => v.variant(x)), userErrors: errors };
    },

    fulfillmentCreate(args) {
      const input = args.fulfillment as { lineItemsByFulfillmentOrder: { fulfillmentOrderId: string; fulfillmentOrderLineItems?: { id: string; quantity: number }[] | null }[]; trackingInfo?: Obj | null };
      const groups = input.lineItemsByFulfillmentOrder;
      if (!groups.length) return { fulfillment: null, userErrors: [err(['fulfillment'], 'Line items by fulfillment order must have at least one item.')] };
      const plan: { fo: FulfillmentOrder; line: FulfillmentOrder['lines'][number]; quantity: number }[] = [];
      let orderId: number | null = null;
      for (const [gi, g] of groups.entries()) {
        const foId = parseGid(g.fulfillmentOrderId, 'FulfillmentOrder');
        const fo = foId === null ? undefined : s.fulfillmentOrders.get(foId);
        if (!fo) return { fulfillment: null, userErrors: [err(['fulfillment', 'lineItemsByFulfillmentOrder', gi, 'fulfillmentOrderId'], 'Fulfillment order does not exist.')] };
        if (orderId !== null && fo.orderId !== orderId) return { fulfillment: null, userErrors: [err(['fulfillment'], 'All fulfillment orders must belong to the same order.')] };
        orderId = fo.orderId;
        if (fo.status === 'CLOSED' || fo.status === 'CANCELLED') return { fulfillment: null, userErrors: [err(['fulfillment'], `Fulfillment order ${gid('FulfillmentOrder', fo.id)} has an unfulfillable status= ${fo.status.toLowerCase()}.`)] };
        const wanted = g.fulfillmentOrderLineItems?.length ? g.fulfillmentOrderLineItems : fo.lines.filter((l) => l.remainingQuantity > 0).map((l) => ({ id: gid('FulfillmentOrderLineItem', l.id), quantity: l.remainingQuantity }));
        for (const w of wanted) {
          const lid = parseGid(w.id, 'FulfillmentOrderLineItem');
          const line = fo.lines.find((l) => l.id === lid);
          if (!line) return { fulfillment: null, userErrors: [err(['fulfillment'], 'Fulfillment order line item does not exist.')] };
          if (w.quantity <= 0 || w.quantity > line.remainingQuantity) return { fulfillment: null, userErrors: [err(['fulfillment'], 'Invalid fulfillment order line item quantity requested.')] };
          plan.push({ fo, line, quantity: w.quantity });
        }
      }
      const o = s.orders.get(orderId!)!;
      if (o.cancelledAt) return { fulfillment: null, userErrors: [err(['fulfillment'], 'The order is canceled and cannot be fulfilled.')] };
      const at = s.clock();
      for (const x of plan) {
        x.line.remainingQuantity -= x.quantity;
        const li = o.lines.find((l) => l.id === x.line.lineItemId)!;
        const variant = li.variantId != null ? s.variants.get(li.variantId) : undefined;
        const item = variant ? s.inventoryItems.get(variant.inventoryItemId) : undefined;
        if (item) {
          const q = s.level(item, x.fo.locationId).quantities;
          q.committed = Math.max(0, q.committed - x.quantity);
          q.on_hand -= x.quantity;
        }
      }
      for (const fo of new Set(plan.map((x) => x.fo))) {
        fo.status = fo.lines.every((l) => l.remainingQuantity === 0) ? 'CLOSED' : 'IN_PROGRESS';
        fo.updatedAt = at;
      }
      const t = input.trackingInfo ?? {};
      const numbers = Array.isArray(t.numbers) ? (t.numbers as string[]) : typeof t.number === 'string' ? [t.number] : [];
      const f = {
        id: s.nextId(),
        orderId: o.id,
        name: `${o.name}-F${o.fulfillmentIds.length + 1}`,
        status: 'SUCCESS' as const,
        createdAt: at,
        updatedAt: at,
        tracking: (numbers.length ? numbers : [null]).map((n) => ({ company: typeof t.company === 'string' ? t.company : null, number: n, url: typeof t.url === 'string' ? t.url : null })),
        lines: plan.map((x) => ({ id: s.nextId(), lineItemId: x.line.lineItemId, quantity: x.quantity })),
      };
      s.fulfillments.set(f.id, f);
      o.fulfillmentIds.push(f.id);
      s.touch(o);
      emit('FULFILLMENTS_CREATE', { id: f.id, admin_graphql_api_id: gid('Fulfillment', f.id), order_id: o.id, name: f.name, tracking_numbers: numbers, created_at: new Date(at).toISOString() });
      emit('ORDERS_UPDATED', orderPayload(o));
      return { fulfillment: v.fulfillment(f), userErrors: [] };
    },

    orderCancel(args) {
      const id = parseGid(args.orderId, 'Order');
      const o = id === null ? undefined : s.orders.get(id);
      const cErr = (field: string[] | null, message: string, code: string) => ({ ...err(field, message, code), __typename: 'OrderCancelUserError' });
      if (!o) {
        const e = [cErr(['orderId'], 'Order does not exist', 'NOT_FOUND')];
        return { job: null, orderCancelUserErrors: e, userErrors: e.map((x) => ({ ...x, __typename: 'UserError' })) };
      }
      if (o.cancelledAt || ctx.pendingCancels.has(o.id)) {
        const e = [cErr(['orderId'], 'Order has already been cancelled', 'INVALID')];
        return { job: null, orderCancelUserErrors: e, userErrors: e.map((x) => ({ ...x, __typename: 'UserError' })) };
      }
      if (s.fulfillmentStatus(o) === 'FULFILLED') {
        const e = [cErr(['orderId'], 'Cannot cancel an order that has been fulfilled', 'INVALID')];
        return { job: null, orderCancelUserErrors: e, userErrors: e.map((x) => ({ ...x, __typename: 'UserError' })) };
      }
      // The cancel runs as a job: the order shows cancelledAt once the job is done (Job.done).
      const job = { id: s.nextId(), done: false };
      s.jobs.set(job.id, job);
      ctx.pendingCancels.add(o.id);
      ctx.schedule(ctx.jobDelayMs, () => {
        ctx.pendingCancels.delete(o.id);
        job.done = true;
        const at = s.clock();
        o.cancelledAt = at;
        o.cancelReason = String(args.reason);
        if (args.refund === true && o.financialStatus === 'PAID') o.financialStatus = 'REFUNDED';
        for (const foId of o.fulfillmentOrderIds) {
          const fo = s.fulfillmentOrders.get(foId)!;
          if (fo.status === 'CLOSED') continue;
          if (args.restock === true) {
            for (const l of fo.lines) {
              const li = o.lines.find((x) => x.id === l.lineItemId)!;
              const variant = li.variantId != null ? s.variants.get(li.variantId) : undefined;
              const item = variant ? s.inventoryItems.get(variant.inventoryItemId) : undefined;
              if (item && l.remainingQuantity > 0) {
                const q = s.level(item, fo.locationId).quantities;
                q.committed = Math.max(0, q.committed - l.remainingQuantity);
                q.available += l.remainingQuantity;
              }
            }
          }
          fo.status = 'CLOSED';
          fo.updatedAt = at;
        }
        s.touch(o);
        ctx.emitLater('ORDERS_CANCELLED', orderPayload(o));
      });
      return { job: { __typename: 'Job', id: gid('Job', job.id), done: false, query: null }, orderCancelUserErrors: [], userErrors: [] };
    },

    orderCreate(args) {
      const input = args.order as Obj;
      const options = (args.options ?? {}) as Obj;
      const oErr = (field: (string | number)[], message: string, code: string) => ({ ...err(field, message, code), __typename: 'OrderCreateUserError' });
      const lines = (input.lineItems as Obj[] | undefined) ?? [];
      if (!lines.length) return { order: null, userErrors: [oErr(['order', 'lineItems'], 'Line items must have at least one line item', 'INVALID')] };
      const errors: ReturnType<typeof oErr>[] = [];
      const parsed = lines.map((l, i) => {
        const variantId = l.variantId == null ? undefined : parseGid(l.variantId, 'ProductVariant') ?? -1;
        if (variantId === -1 || (variantId !== undefined && !s.variants.has(variantId))) errors.push(oErr(['order', 'lineItems', i, 'variantId'], 'Variant does not exist', 'INVALID'));
        const variant = variantId !== undefined ? s.variants.get(variantId) : undefined;
        const price = l.priceSet === undefined ? (variant ? variant.price : null) : money(l.priceSet);
        if (price === null) errors.push(oErr(['order', 'lineItems', i, 'priceSet'], 'Price is required for a line item without a variant', 'INVALID'));
        if (!variant && typeof l.title !== 'string') errors.push(oErr(['order', 'lineItems', i, 'title'], 'Title is required for a custom line item', 'INVALID'));
        for (const t of (l.taxLines as Obj[] | undefined) ?? []) if (t.rate === undefined || t.rate === null) errors.push(oErr(['order', 'lineItems', i, 'taxLines'], 'Tax line rate is missing', 'TAX_LINE_RATE_MISSING'));
        return { variantId: variant?.id, sku: typeof l.sku === 'string' ? l.sku : variant?.sku, title: typeof l.title === 'string' ? l.title : undefined, quantity: Number(l.quantity), unitPrice: price ?? 0, taxLines: taxLines(l.taxLines) };
      });
      if (errors.length) return { order: null, userErrors: errors };
      const behaviour = options.inventoryBehaviour ?? 'BYPASS';
      if (behaviour === 'DECREMENT_OBEYING_POLICY') {
        const first = [...s.locations.values()][0];
        for (const [i, l] of parsed.entries()) {
          const variant = l.variantId != null ? s.variants.get(l.variantId) : undefined;
          const item = variant ? s.inventoryItems.get(variant.inventoryItemId) : undefined;
          if (item && first && s.level(item, first.id).quantities.available < l.quantity) {
            return { order: null, userErrors: [oErr(['order', 'lineItems', i], 'Unable to reserve inventory', 'INVENTORY_CLAIM_FAILED')] };
          }
        }
      }
      const address = input.shippingAddress as Obj | undefined;
      const customer = ((input.customer as Obj | undefined)?.toAssociate ?? undefined) as Obj | undefined;
      const o = s.addOrder({
        lines: parsed,
        shippingLines: ((input.shippingLines as Obj[] | undefined) ?? []).map((sl) => ({ title: String(sl.title), code: typeof sl.code === 'string' ? sl.code : undefined, price: money(sl.priceSet) ?? 0, taxLines: taxLines(sl.taxLines) })),
        email: typeof input.email === 'string' ? input.email : null,
        customerId: customer ? parseGid(customer.id, 'Customer') : null,
        currency: typeof input.currency === 'string' ? input.currency : undefined,
        financialStatus: (input.financialStatus as Order['financialStatus'] | undefined) ?? 'PAID',
        shippingAddress: address
          ? { firstName: String(address.firstName ?? ''), lastName: String(address.lastName ?? ''), address1: String(address.address1 ?? ''), city: String(address.city ?? ''), zip: String(address.zip ?? ''), countryCode: String(address.countryCode ?? ''), provinceCode: typeof address.provinceCode === 'string' ? address.provinceCode : null, phone: typeof address.phone === 'string' ? address.phone : null }
          : null,
        processedAt: typeof input.processedAt === 'string' ? Date.parse(input.processedAt) : undefined,
        sourceIdentifier: typeof input.sourceIdentifier === 'string' ? input.sourceIdentifier : null,
        sourceName: typeof input.sourceName === 'string' ? input.sourceName : ctx.appId,
        note: typeof input.note === 'string' ? input.note : null,
        tags: Array.isArray(input.tags) ? (input.tags as string[]) : [],
        taxesIncluded: input.taxesIncluded === true,
        commit: behaviour !== 'BYPASS',
      });
      emit('ORDERS_CREATE', orderPayload(o));
      return { order: v.order(o), userErrors: [] };
    },

    bulkOperationRunQuery(args) {
      const bErr = (message: string, code: string) => ({ ...err(['query'], message, code), __typename: 'BulkOperationUserError' });
      const running = [...s.bulkOperations.values()].filter((b) => b.appId === ctx.appId && (b.status === 'CREATED' || b.status === 'RUNNING'));
      if (running.length >= ctx.maxConcurrentBulk) {
        const code = ctx.maxConcurrentBulk === 1 ? 'OPERATION_IN_PROGRESS' : 'LIMIT_REACHED';
        return { bulkOperation: null, userErrors: [bErr(`A bulk query operation for this app and shop is already in progress: ${gid('BulkOperation', running[0].id)}.`, code)] };
      }
      const problem = ctx.checkBulkQuery(String(args.query));
      if (problem) return { bulkOperation: null, userErrors: [bErr(problem, 'INVALID')] };
      const b = { id: s.nextId(), appId: ctx.appId, query: String(args.query), status: 'CREATED' as const, createdAt: s.clock(), completedAt: null, objectCount: 0, rootObjectCount: 0, fileSize: null, url: null, errorCode: null };
      s.bulkOperations.set(b.id, b);
      ctx.startBulk(b.id);
      return { bulkOperation: v.bulkOperation(b.id), userErrors: [] };
    },

    webhookSubscriptionCreate(args) {
      const input = args.webhookSubscription as Obj;
      const uri = typeof input.uri === 'string' ? input.uri : '';
      if (!/^https?:\/\//.test(uri) && !/^(pubsub|arn):/.test(uri)) return { webhookSubscription: null, userErrors: [err(['webhookSubscription', 'callbackUrl'], 'Address is invalid')] };
      const topic = String(args.topic);
      for (const w of s.webhooks.values()) {
        if (w.appId === ctx.appId && w.topic === topic && w.uri === uri) return { webhookSubscription: null, userErrors: [err(['webhookSubscription', 'callbackUrl'], 'Address for this topic has already been taken')] };
      }
      const w = { id: s.nextId(), topic, uri, format: 'JSON' as const, createdAt: s.clock(), appId: ctx.appId };
      s.webhooks.set(w.id, w);
      return { webhookSubscription: v.webhook(w.id), userErrors: [] };
    },
  };
}

/** Query root: each field a function of (args, ctx). */
export function queryRoot(ctx: SimContext): Record<string, (args: Args, c: SimContext) => unknown> {
  const v = ctx.views;
  const s = ctx.state;
  const byGid = (type: string) => (a: Args) => (gidType(String(a.id)) === type ? v.node(a.id) : null);
  return {
    shop: () => v.shop(ctx),
    products: (a) => v.products(a),
    productVariants: (a) => v.productVariants(a),
    inventoryItems: (a) => v.inventoryItems(a),
    locations: (a) => v.locations(a),
    orders: (a, c) => v.orders(a, c),
    customers: (a) => v.customers(a),
    collections: (a) => v.collections(a),
    fulfillmentOrders: (a) => v.fulfillmentOrders(a),
    node: (a) => v.node(a.id),
    nodes: (a) => (a.ids as unknown[]).map((id) => v.node(id)),
    product: byGid('Product'),
    productVariant: byGid('ProductVariant'),
    inventoryItem: byGid('InventoryItem'),
    location: (a) => (a.id == null ? v.location([...s.locations.keys()][0]) : byGid('Location')(a)),
    order: (a, c) => {
      const o = v.node(a.id);
      const id = parseGid(a.id, 'Order');
      if (!o || id === null) return null;
      const rec = s.orders.get(id)!;
      return c.scopes.has('read_all_orders') || rec.createdAt >= s.clock() - 60 * 86_400_000 ? o : null;
    },
    customer: byGid('Customer'),
    collection: byGid('Collection'),
    fulfillmentOrder: byGid('FulfillmentOrder'),
    bulkOperation: byGid('BulkOperation'),
    currentBulkOperation: () => {
      const mine = [...s.bulkOperations.values()].filter((b) => b.appId === ctx.appId);
      const last = mine[mine.length - 1];
      return last ? v.bulkOperation(last.id) : null;
    },
    job: (a) => {
      const id = parseGid(a.id, 'Job');
      const job = id === null ? undefined : s.jobs.get(id);
      return job ? ({ __typename: 'Job', id: gid('Job', job.id), done: job.done, query: null } satisfies View) : null;
    },
    webhookSubscriptions: () => {
      const rows = [...s.webhooks.values()].filter((w) => w.appId === ctx.appId);
      return new (ctx.Listing)(rows, (w: { id: number }) => ({ sort: w.id, id: w.id }), (w: { id: number }) => v.webhook(w.id));
    },
    currentAppInstallation: () => ({
      __typename: 'AppInstallation',
      id: gid('AppInstallation', 1),
      accessScopes: [...ctx.scopes].map((handle) => ({ __typename: 'AccessScope', handle, description: handle })),
    }),
  };
}
