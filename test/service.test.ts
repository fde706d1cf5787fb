// Service endpoints: liveness, readiness (which really asks the database), Prometheus metrics labelled by
// route pattern, the OpenAPI document and its docs page. None of them needs an API key.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApp } from '../src/api/app.ts';
import { AdapterRegistry } from '../src/adapters/registry.ts';
import { createLogger } from '../src/log.ts';
import { createDb, createPool } from '../src/store/db.ts';
import { startGateway, type TestGateway } from './support/app.ts';
import { ok, problem } from './support/http.ts';
import { testBox } from './support/seed.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => gw?.close());

describe('/healthz and /readyz', () => {
  test('/healthz answers ok without touching anything', async () => {
    expect(await ok(gw.call('/healthz', { as: null }))).toEqual({ status: 'ok' });
  });

  test('/readyz reports the database ready', async () => {
    expect(await ok(gw.call('/readyz', { as: null }))).toEqual({ status: 'ready', checks: { database: 'ok' } });
  });

  test('/readyz is a 503 naming the database when it cannot be reached, while /healthz stays up', async () => {
    const db = createDb(createPool('postgres://postgres@127.0.0.1:1/none', { max: 1 }));
    try {
      const app = createApp({ db, box: testBox, registry: new AdapterRegistry([]), log: createLogger('silent'), allowPrivateUpstreams: true, engine: gw.engine });
      const res = await app.request('/readyz');
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ status: 'unavailable', checks: { database: 'failed' } });
      expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
      expect((await app.request('/healthz')).status).toBe(200);
    } finally {
      await db.destroy();
    }
  });
});

describe('/metrics', () => {
  test('counts requests by method, route pattern and status, never by raw path', async () => {
    await ok(gw.call('/v1/orders'));
    await ok(gw.call('/v1/orders'));
    await problem(gw.call('/v1/orders/ord_01JD3X8Y6Z7QK2M4N5P6R7S8T9'), 404);
    await problem(gw.call('/v1/orders?limit=0'), 400);
    await problem(gw.call('/v1/orders', { as: null }), 401);
    await problem(gw.call('/no/such/path'), 404);
    const res = await gw.call('/metrics', { as: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('# TYPE switchyard_http_requests_total counter');
    expect(text).toContain('switchyard_http_requests_total{method="GET",route="/v1/orders",status="200"} 2');
    expect(text).toContain('switchyard_http_requests_total{method="GET",route="/v1/orders",status="400"} 1');
    expect(text).toContain('switchyard_http_requests_total{method="GET",route="/v1/orders/:id",status="404"} 1');
    expect(text).toMatch(/switchyard_http_requests_total\{method="GET",route="[^"]+",status="401"\} 1/);
    expect(text).toContain('switchyard_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).toContain('switchyard_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/v1/orders",status="200"}');
    expect(text).not.toContain('ord_01JD3X8Y6Z7QK2M4N5P6R7S8T9');
    expect(text).not.toContain('/no/such/path');
    expect(text).toContain('process_cpu_seconds_total');
  });
});

describe('/openapi.json and /docs', () => {
  test('/openapi.json is an OpenAPI 3.1 document describing every /v1 route', async () => {
    const doc = await ok(gw.call('/openapi.json', { as: null }));
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Switchyard API');
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/v1/categories', '/v1/categories/{id}', '/v1/channels', '/v1/connections', '/v1/connections/{id}', '/v1/customers', '/v1/customers/{id}',
        '/v1/inventory', '/v1/orders', '/v1/orders/{id}', '/v1/products', '/v1/products/{id}', '/v1/shipments', '/v1/shipments/{id}',
        '/v1/connections/{id}/sync', '/v1/connections/{id}/notifications', '/v1/connections/{id}/status', '/v1/connections/{id}/operations', '/v1/operations', '/v1/operations/{id}',
        '/v1/dead-letters', '/v1/dead-letters/{id}/replay',
        '/v1/events', '/v1/events/{id}', '/v1/event-types', '/v1/webhooks', '/v1/webhooks/{id}', '/v1/webhooks/{id}/deliveries',
        '/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver',
        '/v1/profiles', '/v1/profiles/{id}', '/v1/links', '/v1/links/{id}', '/v1/links/{id}/run', '/v1/exceptions', '/v1/exceptions/{id}/resolve',
        '/v1/listings', '/v1/inventory/{sku}', '/v1/orders/{id}/shipments', '/v1/products/{id}/variants/{variantId}',
      ].sort(),
    );
    expect(Object.keys(doc.paths['/v1/connections/{id}']).sort()).toEqual(['delete', 'get', 'patch']);
    expect(doc.components.schemas.Money.properties.amount.type).toBe('string');
    const connection = doc.components.schemas.Connection;
    expect(Object.keys(connection.properties)).not.toContain('credentials');
    const listParams = doc.paths['/v1/orders'].get.parameters.map((p: { name: string }) => p.name);
    expect(listParams).toEqual(expect.arrayContaining(['limit', 'cursor', 'fields', 'connection_id', 'channel', 'status', 'created_from', 'created_to', 'updated_from', 'updated_to', 'sku', 'sort', 'fulfillment_channel']));
    expect(doc.paths['/v1/orders'].get.responses['400'].content['application/problem+json'].schema.$ref).toBe('#/components/schemas/Problem');
  });

  test('/docs serves the Swagger UI pointed at /openapi.json', async () => {
    const res = await gw.call('/docs', { as: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/swagger/i);
    expect(html).toContain('/openapi.json');
  });
});
