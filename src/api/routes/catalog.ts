// /v1/products, /v1/categories, /v1/customers and /v1/inventory: the read side of the catalog and stock.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { Category, Customer, FulfillmentChannel, InventoryLevel, Product, ProductStatus } from '../../core/model/index.ts';
import { getCategory, getProduct, listCategories, listProducts } from '../../store/catalog.ts';
import { listInventory } from '../../store/inventory.ts';
import { getCustomer, listCustomers } from '../../store/orders.ts';
import { decodeCursor } from '../../store/paging.ts';
import type { AppEnv } from '../context.ts';
import type { ApiDeps } from '../deps.ts';
import { checkId, idParam, IncludeQuery, keysOf, listBase, pageSchema, paging, parseFields, pick, problems, syncedFilters } from '../schemas.ts';

const withRaw = <T extends z.ZodObject>(s: T) => s.extend({ raw: z.unknown().optional() });
// Lists never carry the raw payload, so only detail routes know `raw` as a field.
const PRODUCT_FIELDS = keysOf(Product);
const PRODUCT_DETAIL_FIELDS = [...PRODUCT_FIELDS, 'raw'];
const CUSTOMER_FIELDS = keysOf(Customer);
const CUSTOMER_DETAIL_FIELDS = [...CUSTOMER_FIELDS, 'raw'];
const CATEGORY_FIELDS = keysOf(Category);
const INVENTORY_FIELDS = keysOf(InventoryLevel);

const listProductsRoute = createRoute({
  method: 'get',
  path: '/v1/products',
  tags: ['Products'],
  summary: 'List products with their variants',
  request: {
    query: z
      .object({
        ...listBase,
        ...syncedFilters,
        sku: z.string().max(255).optional().openapi({ description: "Products whose own or a variant's SKU is this." }),
        status: ProductStatus.optional(),
      })
      .strict(),
  },
  responses: { 200: { description: 'A page of products', content: { 'application/json': { schema: pageSchema(Product, 'ProductPage') } } }, ...problems },
});

const getProductRoute = createRoute({
  method: 'get',
  path: '/v1/products/{id}',
  tags: ['Products'],
  summary: 'One product with its variants',
  request: { params: idParam('prd_01JD3X8Y6Z7QK2M4N5P6R7S8T9'), query: IncludeQuery },
  responses: { 200: { description: 'The product', content: { 'application/json': { schema: withRaw(Product).openapi('ProductDetail') } } }, ...problems },
});

const listCustomersRoute = createRoute({
  method: 'get',
  path: '/v1/customers',
  tags: ['Customers'],
  summary: 'List customers',
  request: { query: z.object({ ...listBase, ...syncedFilters, email: z.string().max(320).optional() }).strict() },
  responses: { 200: { description: 'A page of customers', content: { 'application/json': { schema: pageSchema(Customer, 'CustomerPage') } } }, ...problems },
});

const getCustomerRoute = createRoute({
  method: 'get',
  path: '/v1/customers/{id}',
  tags: ['Customers'],
  summary: 'One customer',
  request: { params: idParam('cus_01JD3X8Y6Z7QK2M4N5P6R7S8T9'), query: IncludeQuery },
  responses: { 200: { description: 'The customer', content: { 'application/json': { schema: withRaw(Customer).openapi('CustomerDetail') } } }, ...problems },
});

const listCategoriesRoute = createRoute({
  method: 'get',
  path: '/v1/categories',
  tags: ['Categories'],
  summary: 'List categories',
  request: { query: z.object({ ...listBase, ...syncedFilters, parent_id: z.string().max(64).optional() }).strict() },
  responses: { 200: { description: 'A page of categories', content: { 'application/json': { schema: pageSchema(Category, 'CategoryPage') } } }, ...problems },
});

const getCategoryRoute = createRoute({
  method: 'get',
  path: '/v1/categories/{id}',
  tags: ['Categories'],
  summary: 'One category',
  request: { params: idParam('cat_01JD3X8Y6Z7QK2M4N5P6R7S8T9'), query: z.object({ fields: listBase.fields }).strict() },
  responses: { 200: { description: 'The category', content: { 'application/json': { schema: Category } } }, ...problems },
});

const listInventoryRoute = createRoute({
  method: 'get',
  path: '/v1/inventory',
  tags: ['Inventory'],
  summary: 'List stock levels per connection, SKU and location',
  request: {
    query: z
      .object({
        ...listBase,
        connection_id: z.string().max(64).optional(),
        channel: z.string().max(32).optional(),
        sku: z.string().max(255).optional(),
        location_id: z.string().max(255).optional(),
        fulfillment_channel: FulfillmentChannel.optional(),
        updated_from: syncedFilters.updated_from,
        updated_to: syncedFilters.updated_to,
      })
      .strict(),
  },
  responses: { 200: { description: 'A page of stock levels', content: { 'application/json': { schema: pageSchema(InventoryLevel, 'InventoryPage') } } }, ...problems },
});

export function catalogRoutes(app: OpenAPIHono<AppEnv>, { db }: ApiDeps): void {
  app.openapi(listProductsRoute, async (c) => {
    const q = c.req.valid('query');
    const fields = parseFields(q.fields, PRODUCT_FIELDS);
    const { sort, cursor } = paging(q);
    const page = await listProducts(db, c.get('tenantId'), q, sort, cursor, q.limit);
    return c.json({ data: page.data.map((p) => pick(p, fields)) as Product[], next_cursor: page.next_cursor }, 200);
  });
  app.openapi(getProductRoute, async (c) => {
    const q = c.req.valid('query');
    const product = await getProduct(db, c.get('tenantId'), checkId('product', c.req.valid('param').id, 'Product'), q.include === 'raw');
    return c.json(pick(product, parseFields(q.fields, PRODUCT_DETAIL_FIELDS)) as Product, 200);
  });

  app.openapi(listCustomersRoute, async (c) => {
    const q = c.req.valid('query');
    const fields = parseFields(q.fields, CUSTOMER_FIELDS);
    const { sort, cursor } = paging(q);
    const page = await listCustomers(db, c.get('tenantId'), q, sort, cursor, q.limit);
    return c.json({ data: page.data.map((p) => pick(p, fields)) as Customer[], next_cursor: page.next_cursor }, 200);
  });
  app.openapi(getCustomerRoute, async (c) => {
    const q = c.req.valid('query');
    const customer = await getCustomer(db, c.get('tenantId'), checkId('customer', c.req.valid('param').id, 'Customer'), q.include === 'raw');
    return c.json(pick(customer, parseFields(q.fields, CUSTOMER_DETAIL_FIELDS)) as Customer, 200);
  });

  app.openapi(listCategoriesRoute, async (c) => {
    const q = c.req.valid('query');
    const fields = parseFields(q.fields, CATEGORY_FIELDS);
    const { sort, cursor } = paging(q);
    const page = await listCategories(db, c.get('tenantId'), q, sort, cursor, q.limit);
    return c.json({ data: page.data.map((p) => pick(p, fields)) as Category[], next_cursor: page.next_cursor }, 200);
  });
  app.openapi(getCategoryRoute, async (c) => {
    const q = c.req.valid('query');
    const category = await getCategory(db, c.get('tenantId'), checkId('category', c.req.valid('param').id, 'Category'));
    return c.json(pick(category, parseFields(q.fields, CATEGORY_FIELDS)) as Category, 200);
  });

  app.openapi(listInventoryRoute, async (c) => {
    const q = c.req.valid('query');
    const fields = parseFields(q.fields, INVENTORY_FIELDS);
    const cursor = q.cursor ? decodeCursor(q.cursor, { column: 'id', desc: false }) : null;
    const page = await listInventory(db, c.get('tenantId'), q, cursor, q.limit);
    return c.json({ data: page.data.map((p) => pick(p, fields)) as InventoryLevel[], next_cursor: page.next_cursor }, 200);
  });
}
