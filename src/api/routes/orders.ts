// /v1/orders and /v1/shipments: orders from every connection in one shape.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { FulfillmentChannel, Order, OrderStatus, Shipment } from '../../core/model/index.ts';
import { getOrder, getShipment, listOrders, listShipments } from '../../store/orders.ts';
import type { AppEnv } from '../context.ts';
import type { ApiDeps } from '../deps.ts';
import { checkId, idParam, IncludeQuery, keysOf, listBase, pageSchema, paging, parseFields, pick, problems, syncedFilters } from '../schemas.ts';

const OrderWithShipments = Order.extend({ shipments: z.array(Shipment), raw: z.unknown().optional() }).openapi('OrderDetail');
// Lists carry neither shipments nor the raw payload: only the detail route knows those fields.
const ORDER_FIELDS = keysOf(Order);
const ORDER_DETAIL_FIELDS = keysOf(OrderWithShipments);
const SHIPMENT_FIELDS = keysOf(Shipment);

const ListOrdersQuery = z
  .object({
    ...listBase,
    ...syncedFilters,
    status: OrderStatus.optional(),
    fulfillment_channel: FulfillmentChannel.optional(),
    sku: z.string().max(255).optional().openapi({ description: 'Orders with a line of this SKU.' }),
    customer_id: z.string().max(64).optional(),
  })
  .strict();

const listOrdersRoute = createRoute({
  method: 'get',
  path: '/v1/orders',
  tags: ['Orders'],
  summary: 'List orders of every connection, with their lines',
  request: { query: ListOrdersQuery },
  responses: { 200: { description: 'A page of orders', content: { 'application/json': { schema: pageSchema(Order, 'OrderPage') } } }, ...problems },
});

const getOrderRoute = createRoute({
  method: 'get',
  path: '/v1/orders/{id}',
  tags: ['Orders'],
  summary: 'One order with its lines and shipments',
  request: { params: idParam('ord_01JD3X8Y6Z7QK2M4N5P6R7S8T9'), query: IncludeQuery },
  responses: { 200: { description: 'The order', content: { 'application/json': { schema: OrderWithShipments } } }, ...problems },
});

const ListShipmentsQuery = z.object({ ...listBase, ...syncedFilters, order_id: z.string().max(64).optional() }).strict();

const listShipmentsRoute = createRoute({
  method: 'get',
  path: '/v1/shipments',
  tags: ['Shipments'],
  summary: 'List shipments',
  request: { query: ListShipmentsQuery },
  responses: { 200: { description: 'A page of shipments', content: { 'application/json': { schema: pageSchema(Shipment, 'ShipmentPage') } } }, ...problems },
});

const getShipmentRoute = createRoute({
  method: 'get',
  path: '/v1/shipments/{id}',
  tags: ['Shipments'],
  summary: 'One shipment',
  request: { params: idParam('shp_01JD3X8Y6Z7QK2M4N5P6R7S8T9'), query: IncludeQuery },
  responses: { 200: { description: 'The shipment', content: { 'application/json': { schema: Shipment.extend({ raw: z.unknown().optional() }) } } }, ...problems },
});

export function orderRoutes(app: OpenAPIHono<AppEnv>, { db }: ApiDeps): void {
  app.openapi(listOrdersRoute, async (c) => {
    const q = c.req.valid('query');
    const fields = parseFields(q.fields, ORDER_FIELDS);
    const { sort, cursor } = paging(q);
    const page = await listOrders(db, c.get('tenantId'), q, sort, cursor, q.limit);
    return c.json({ data: page.data.map((o) => pick(o, fields)) as Order[], next_cursor: page.next_cursor }, 200);
  });

  app.openapi(getOrderRoute, async (c) => {
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    const fields = parseFields(q.fields, ORDER_DETAIL_FIELDS);
    const order = await getOrder(db, c.get('tenantId'), checkId('order', id, 'Order'), q.include === 'raw');
    return c.json(pick(order, fields) as z.infer<typeof OrderWithShipments>, 200);
  });

  app.openapi(listShipmentsRoute, async (c) => {
    const q = c.req.valid('query');
    const fields = parseFields(q.fields, SHIPMENT_FIELDS);
    const { sort, cursor } = paging(q);
    const page = await listShipments(db, c.get('tenantId'), q, sort, cursor, q.limit);
    return c.json({ data: page.data.map((s) => pick(s, fields)) as Shipment[], next_cursor: page.next_cursor }, 200);
  });

  app.openapi(getShipmentRoute, async (c) => {
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    const fields = parseFields(q.fields, [...SHIPMENT_FIELDS, 'raw']);
    const shipment = await getShipment(db, c.get('tenantId'), checkId('shipment', id, 'Shipment'), q.include === 'raw');
    return c.json(pick(shipment, fields) as Shipment, 200);
  });
}
