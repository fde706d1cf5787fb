// The canonical model: the single source of the TypeScript types, the OpenAPI schemas and the GraphQL shapes.
export * from './common.ts';
export * from './product.ts';
export * from './inventory.ts';
export * from './order.ts';
export * from './shipment.ts';
export * from './customer.ts';
export * from './connection.ts';
export * from './event.ts';
export * from './webhook.ts';
