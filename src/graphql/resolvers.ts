// Resolvers: root lists through the store's keyset list functions, single records and every nested
// link through the per-request loaders. Each resolver reads only the caller's tenant: a record of
// another tenant is not found, by id or through a link.
import type DataLoader from 'dataloader';
import { notFound } from '../core/errors.ts';
import { isId, type IdKind } from '../core/ids.ts';
import type { Category, Connection, Customer, Event, InventoryLevel, Order, OrderLine, Product, Shipment, Variant } from '../core/model/index.ts';
import { listCategories, listProducts, type CategoryFilters, type ProductFilters } from '../store/catalog.ts';
import { listConnections, type ConnectionFilters } from '../store/connections.ts';
import type { Db } from '../store/db.ts';
import { listInventory, type InventoryFilters } from '../store/inventory.ts';
import { getShipment, listCustomers, listOrders, listShipments, type CustomerFilters, type OrderFilters, type ShipmentFilters } from '../store/orders.ts';
import type { SortParam } from '../store/paging.ts';
import type { GraphqlContext } from './context.ts';
import { listPaging, pageLimit, toRelay, withoutNulls, type ListArgs, type Nullable, type PageArgs, type RelayConnection } from './paging.ts';
import { decodeEventCursor, encodeEventCursor, listEvents, toEvent } from '../store/events.ts';
import { parseEventTypes } from '../core/model/index.ts';
import { DateTimeScalar, JSONScalar } from './scalars.ts';

/** A variant as resolvers pass it on: with its product's connection, to scope its stock. */
export type VariantSource = Variant & { connection_id: string };

type IdArgs = { id: string };
type Resolver<P, A, R> = (parent: P, args: A, ctx: GraphqlContext) => R | Promise<R>;

const variantSource = (product: Product, v: Variant): VariantSource => ({ ...v, connection_id: product.connection_id });

/** A malformed id cannot name a record: not found, before touching the database. */
async function loadById<T>(loader: DataLoader<string, T | null>, kind: IdKind, what: string, id: string): Promise<T> {
  const found = isId(kind, id) ? await loader.load(id) : null;
  if (!found) throw notFound(what, id);
  return found;
}

const connectionOf: Resolver<{ connection_id: string }, unknown, Connection | null> = (r, _args, ctx) => ctx.loaders.connection.load(r.connection_id);

const SORTS: Record<string, SortParam> = {
  created_at_asc: 'created_at',
  created_at_desc: '-created_at',
  updated_at_asc: 'updated_at',
  updated_at_desc: '-updated_at',
};

export function createResolvers(db: Db) {
  const Query = {
    orders: async (_: unknown, args: ListArgs<Nullable<OrderFilters>>, ctx: GraphqlContext): Promise<RelayConnection<Order>> => {
      const { limit, sort, cursor } = listPaging(args);
      return toRelay(await listOrders(db, ctx.tenantId, withoutNulls(args.filter), sort, cursor, limit), sort);
    },
    order: (_: unknown, { id }: IdArgs, ctx: GraphqlContext) => loadById(ctx.loaders.order, 'order', 'Order', id),

    products: async (_: unknown, args: ListArgs<Nullable<ProductFilters>>, ctx: GraphqlContext): Promise<RelayConnection<Product>> => {
      const { limit, sort, cursor } = listPaging(args);
      return toRelay(await listProducts(db, ctx.tenantId, withoutNulls(args.filter), sort, cursor, limit), sort);
    },
    product: (_: unknown, { id }: IdArgs, ctx: GraphqlContext) => loadById(ctx.loaders.product, 'product', 'Product', id),

    customers: async (_: unknown, args: ListArgs<Nullable<CustomerFilters>>, ctx: GraphqlContext): Promise<RelayConnection<Customer>> => {
      const { limit, sort, cursor } = listPaging(args);
      return toRelay(await listCustomers(db, ctx.tenantId, withoutNulls(args.filter), sort, cursor, limit), sort);
    },
    customer: (_: unknown, { id }: IdArgs, ctx: GraphqlContext) => loadById(ctx.loaders.customer, 'customer', 'Customer', id),

    shipments: async (_: unknown, args: ListArgs<Nullable<ShipmentFilters>>, ctx: GraphqlContext): Promise<RelayConnection<Shipment>> => {
      const { limit, sort, cursor } = listPaging(args);
      return toRelay(await listShipments(db, ctx.tenantId, withoutNulls(args.filter), sort, cursor, limit), sort);
    },
    shipment: async (_: unknown, { id }: IdArgs, ctx: GraphqlContext): Promise<Shipment> => {
      if (!isId('shipment', id)) throw notFound('Shipment', id);
      return getShipment(db, ctx.tenantId, id);
    },

    inventory: async (_: unknown, args: ListArgs<Nullable<InventoryFilters>>, ctx: GraphqlContext): Promise<RelayConnection<InventoryLevel>> => {
      const { limit, sort, cursor } = listPaging(args, { column: 'id', desc: false });
      return toRelay(await listInventory(db, ctx.tenantId, withoutNulls(args.filter), cursor, limit), sort);
    },

    categories: async (_: unknown, args: ListArgs<Nullable<CategoryFilters>>, ctx: GraphqlContext): Promise<RelayConnection<Category>> => {
      const { limit, sort, cursor } = listPaging(args);
      return toRelay(await listCategories(db, ctx.tenantId, withoutNulls(args.filter), sort, cursor, limit), sort);
    },
    category: (_: unknown, { id }: IdArgs, ctx: GraphqlContext) => loadById(ctx.loaders.category, 'category', 'Category', id),

    connections: async (_: unknown, args: ListArgs<Nullable<ConnectionFilters>>, ctx: GraphqlContext): Promise<RelayConnection<Connection>> => {
      const { limit, sort, cursor } = listPaging(args);
      return toRelay(await listConnections(db, ctx.tenantId, withoutNulls(args.filter), sort, cursor, limit), sort);
    },
    connection: (_: unknown, { id }: IdArgs, ctx: GraphqlContext) => loadById(ctx.loaders.connection, 'connection', 'Connection', id),

    events: async (_: unknown, args: PageArgs & { type?: string[] | null; connection_id?: string | null; entity_id?: string | null }, ctx: GraphqlContext): Promise<RelayConnection<Event>> => {
      const limit = pageLimit(args.first);
      const types = args.type?.length ? parseEventTypes(args.type.join(',')) : undefined;
      const page = await listEvents(db, ctx.tenantId, { types, connection_id: args.connection_id ?? undefined, entity_id: args.entity_id ?? undefined }, args.after ? decodeEventCursor(args.after) : null, limit);
      const edges = page.data.map((r) => ({ node: toEvent(r), cursor: encodeEventCursor({ tx: r.tx_id, seq: r.seq }) }));
      return { edges, nodes: edges.map((e) => e.node), pageInfo: { hasNextPage: page.next_cursor !== null, endCursor: page.resume_cursor } };
    },
  };

  return {
    DateTime: DateTimeScalar,
    JSON: JSONScalar,
    ListSort: SORTS,
    Query,
    Order: {
      connection: connectionOf,
      shipments: (o: Order, _: unknown, ctx: GraphqlContext) => ctx.loaders.shipmentsByOrder.load(o.id),
    },
    CustomerRef: {
      record: (c: Order['customer'], _: unknown, ctx: GraphqlContext) => (c.customer_id ? ctx.loaders.customer.load(c.customer_id) : null),
    },
    OrderLine: {
      product: (l: OrderLine, _: unknown, ctx: GraphqlContext) => (l.product_id ? ctx.loaders.product.load(l.product_id) : null),
      variant: async (l: OrderLine, _: unknown, ctx: GraphqlContext): Promise<VariantSource | null> => {
        if (!l.product_id || !l.variant_id) return null;
        const product = await ctx.loaders.product.load(l.product_id);
        const variant = product?.variants.find((v) => v.id === l.variant_id);
        return product && variant ? variantSource(product, variant) : null;
      },
    },
    Product: {
      connection: connectionOf,
      variants: (p: Product): VariantSource[] => p.variants.map((v) => variantSource(p, v)),
    },
    Variant: {
      product: (v: VariantSource, _: unknown, ctx: GraphqlContext) => ctx.loaders.product.load(v.product_id),
      inventory: async (v: VariantSource, args: { all_connections?: boolean | null }, ctx: GraphqlContext): Promise<InventoryLevel[]> => {
        const levels = await ctx.loaders.inventoryBySku.load(v.sku);
        return args.all_connections ? levels : levels.filter((l) => l.connection_id === v.connection_id);
      },
    },
    Image: {
      roles: (i: { roles?: string[] | null }) => i.roles ?? [],
    },
    InventoryLevel: { connection: connectionOf },
    Shipment: {
      connection: connectionOf,
      order: (s: Shipment, _: unknown, ctx: GraphqlContext) => ctx.loaders.order.load(s.order_id),
    },
    Customer: { connection: connectionOf },
    Event: { connection: (e: Event, _: unknown, ctx: GraphqlContext) => (e.connection_id ? ctx.loaders.connection.load(e.connection_id) : null) },
    Category: {
      connection: connectionOf,
      parent: (c: Category, _: unknown, ctx: GraphqlContext) => (c.parent_id ? ctx.loaders.category.load(c.parent_id) : null),
    },
  };
}
