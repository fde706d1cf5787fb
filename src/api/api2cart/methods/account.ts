// account.cart.list / account.cart.add (the tenant's connections, and connecting a store) and
// cart.list / cart.info / cart.validate (the platforms, and the store behind a store key).
import { API2CART_CARTS, type Api2CartCart } from '../../../adapters/registry.ts';
import { createConnection } from '../../../core/services/connections.ts';
import type { Connection } from '../../../core/model/index.ts';
import { getConnectionSecrets, listConnections } from '../../../store/connections.ts';
import { decodeCursor, type Cursor } from '../../../store/paging.ts';
import { A2C, A2cError } from '../codes.ts';
import { selectFields } from '../fields.ts';
import type { MethodRegistry, Params } from '../registry.ts';
import { connectionOf, parseA2cDate, requireParam } from './common.ts';

/** The carts account.cart.add understands; tests and deployments may add their own. */
export const a2cCarts: Api2CartCart[] = [...API2CART_CARTS];

function cartFor(channel: string): Api2CartCart | undefined {
  return a2cCarts.find((c) => c.channel === channel);
}

/** The document's AccountCartAdd fields as the channel's settings and credentials, by the cart's mapping. */
export function toSettings(cart: Api2CartCart, p: Params): { settings: Record<string, unknown>; credentials: Record<string, unknown> } {
  const settings: Record<string, unknown> = {};
  for (const [from, to] of Object.entries(cart.settings)) {
    const v = p[from];
    if (v === undefined || v === '') continue;
    settings[to] = cart.values?.[to]?.[String(v)] ?? v;
  }
  if (cart.defaults) {
    const extra = cart.defaults.settings[String(settings[cart.defaults.by])] ?? {};
    for (const [k, v] of Object.entries(extra)) if (settings[k] === undefined) settings[k] = v;
  }
  const credentials: Record<string, unknown> = { ...cart.fixedCredentials };
  for (const [from, to] of Object.entries(cart.credentials)) if (p[from] !== undefined && p[from] !== '') credentials[to] = p[from];
  return { settings, credentials };
}

function cartRow(c: Connection): Record<string, unknown> {
  const url = c.settings.base_url ?? c.settings.endpoint ?? '';
  return { id: c.id, url: String(url), store_key: c.store_key, cart_id: cartFor(c.channel)?.cartId ?? c.channel, custom_label: c.name, total_calls: '0' };
}

export function registerAccountMethods(r: MethodRegistry): void {
  r.register('account.cart.list', async (ctx, p) => {
    const from = parseA2cDate('request_from_date', p.request_from_date);
    const to = parseA2cDate('request_to_date', p.request_to_date);
    const all: Connection[] = [];
    let cursor: Cursor | null = null;
    const sort = { column: 'created_at' as const, desc: false };
    for (;;) {
      const page = await listConnections(ctx.deps.db, ctx.tenantId, {}, sort, cursor, 250);
      all.push(...page.data);
      if (!page.next_cursor) break;
      cursor = decodeCursor(page.next_cursor, sort);
    }
    const carts = all
      .filter((c) => (typeof p.store_key !== 'string' || c.store_key === p.store_key) && (!from || c.created_at >= from) && (!to || c.created_at <= to))
      .filter((c) => typeof p.store_url !== 'string' || String(c.settings.base_url ?? '') === p.store_url)
      .filter((c) => typeof p.custom_label !== 'string' || c.name === p.custom_label)
      .map((c) => selectFields(cartRow(c), p.params, p.exclude));
    return { result: { carts_count: carts.length, carts } };
  });

  r.register('account.cart.add', async (ctx, p) => {
    const cartId = requireParam(p, 'cart_id');
    const cart = a2cCarts.find((c) => c.cartId.toLowerCase() === cartId.toLowerCase() && ctx.deps.registry.get(c.channel));
    if (!cart) throw new A2cError(A2C.INCORRECT_PARAMETERS, `Incorrect parameters: cart_id "${cartId.slice(0, 60)}" is not a platform this gateway connects (see cart.list).`);
    const { settings, credentials } = toSettings(cart, p);
    const name = typeof p.custom_label === 'string' && p.custom_label ? p.custom_label : typeof p.store_url === 'string' && p.store_url ? p.store_url : cart.cartName;
    const connection = await createConnection(ctx.deps, ctx.tenantId, { channel: cart.channel, name: name.slice(0, 255), settings, credentials });
    await ctx.deps.engine.onConnectionActivated(ctx.tenantId, connection.id);
    ctx.log.info({ connection_id: connection.id, channel: connection.channel }, 'connection created through account.cart.add');
    return { result: { store_key: connection.store_key } };
  });

  r.register('cart.list', async (ctx) => {
    const carts = a2cCarts
      .filter((c) => ctx.deps.registry.get(c.channel))
      .map((c) => ({ cart_id: c.cartId, cart_name: c.cartName, cart_versions: '', params: ['cart_id', ...Object.keys(c.settings), ...Object.keys(c.credentials)] }));
    return { result: { supported_carts_count: carts.length, supported_carts: carts } };
  });

  r.register('cart.info', async (ctx, p) => {
    const con = connectionOf(ctx);
    const cart = cartFor(con.channel);
    const info = {
      name: cart?.cartName ?? con.channel,
      url: String(con.settings.base_url ?? con.settings.endpoint ?? ''),
      version: null,
      db_prefix: null,
      stores_info: [{ store_id: '0', name: con.name, active: con.status === 'active', store_languages: [], store_currencies: [], carrier_info: [], channels: [], pickup_locations: [] }],
      warehouses: [],
      shipping_zones: [],
      additional_fields: { connection_id: con.id, channel: con.channel, status: con.status },
    };
    // cart.info's params name store_name and store_url for the document's name and url.
    const params = typeof p.params === 'string' ? p.params.replace(/\bstore_name\b/g, 'name').replace(/\bstore_url\b/g, 'url') : p.params;
    return { result: selectFields(info, params, p.exclude) };
  });

  r.register('cart.validate', async (ctx) => {
    const con = connectionOf(ctx);
    const factory = ctx.deps.registry.get(con.channel);
    if (!factory) throw new A2cError(A2C.STORE_API_ERROR, `No adapter serves the ${con.channel} channel in this deployment.`);
    const { credentials } = await getConnectionSecrets(ctx.deps.db, ctx.deps.box, ctx.tenantId, con.id);
    const adapter = factory.create({ tenantId: ctx.tenantId, connectionId: con.id, settings: con.settings, credentials, allowPrivateUpstreams: ctx.deps.allowPrivateUpstreams });
    try {
      await adapter.testConnection();
    } catch (err) {
      ctx.log.info({ err: err instanceof Error ? err.message : String(err) }, 'cart.validate: the store refused');
      throw new A2cError(A2C.STORE_API_ERROR, 'Store API access error: the store did not accept the stored credentials or is not reachable.');
    }
    return { result: { status: 'ok' } };
  });
}
