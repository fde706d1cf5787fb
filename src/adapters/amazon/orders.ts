// Orders 2026-01-01 (searchOrders, getOrder with includedData) and v0 confirmShipment.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError, isAppError } from '../../core/errors.ts';
import type { CreateShipmentInput, PullPage, PullRequest, RawRecord, WriteContext, WriteResult } from '../../core/ports.ts';
import type { SpApiClient } from './client.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { isAfn, SpOrder } from './map.ts';

export const ORDER_INCLUDED_DATA = ['BUYER', 'RECIPIENT', 'PROCEEDS', 'FULFILLMENT', 'PACKAGES'] as const;
/** Amazon refuses a lastUpdatedBefore later than two minutes before the request. */
export const ORDERS_LAG_MS = 120_000;
const PAGE_SIZE = 100;

const OrdersCursor = z.object({ token: z.string().min(1), after: z.string(), before: z.string() });
const SearchOrdersResponse = z.object({ orders: z.array(z.unknown()), pagination: z.object({ nextToken: z.string().nullish() }).nullish() });
const GetOrderResponse = z.object({ order: z.unknown() });
const OrderKey = z.object({ orderId: z.string().min(1), lastUpdatedTime: z.string().nullish() });

function body<T>(schema: z.ZodType<T>, op: string, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new AppError('upstream_unavailable', `amazon ${op} answered an unexpected body`);
  return r.data;
}

export function orderRecord(op: string, item: unknown): RawRecord {
  const k = body(OrderKey, op, item);
  return { external_id: k.orderId, updated_at: k.lastUpdatedTime ?? null, payload: item };
}

export class Orders {
  constructor(
    private readonly client: SpApiClient,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * One page of orders updated in the window. The first page fixes lastUpdatedAfter/Before (the window,
   * with Before held at least two minutes behind now); later pages repeat exactly those with the token.
   */
  async pull(request: PullRequest): Promise<PullPage> {
    const s = this.client.ctx.settings;
    let after: string;
    let before: string;
    let token: string | null = null;
    if (request.cursor) {
      ({ token, after, before } = decodeCursor(OrdersCursor, request.cursor));
    } else {
      after = request.window.from ?? s.orders_since;
      const latest = this.now() - ORDERS_LAG_MS;
      before = new Date(Math.min(Date.parse(request.window.to), latest)).toISOString();
      if (Date.parse(after) >= Date.parse(before)) return { records: [], next: null };
    }
    const search = (paginationToken: string | null) =>
      this.client.call({
        op: 'searchOrders',
        method: 'GET',
        path: '/orders/2026-01-01/orders',
        query: {
          lastUpdatedAfter: after,
          lastUpdatedBefore: before,
          marketplaceIds: s.marketplace_ids,
          includedData: ORDER_INCLUDED_DATA,
          maxResultsPerPage: PAGE_SIZE,
          paginationToken: paginationToken ?? undefined,
        },
      });
    const res = body(SearchOrdersResponse, 'searchOrders', await withTokenRestart(this.client, 'searchOrders', token, search));
    const next = res.pagination?.nextToken ? encodeCursor({ token: res.pagination.nextToken, after, before }) : null;
    return { records: res.orders.map((o) => orderRecord('searchOrders', o)), next };
  }

  async get(orderId: string): Promise<SpOrder | null> {
    const raw = await this.fetchRaw(orderId);
    if (!raw) return null;
    const r = SpOrder.safeParse(raw.payload);
    if (!r.success) throw new AppError('upstream_unavailable', `amazon getOrder ${orderId} answered an order this adapter cannot read`);
    return r.data;
  }

  async fetchRaw(orderId: string): Promise<RawRecord | null> {
    try {
      const res = body(
        GetOrderResponse,
        'getOrder',
        await this.client.call({ op: 'getOrder', method: 'GET', path: `/orders/2026-01-01/orders/${encodeURIComponent(orderId)}`, query: { includedData: ORDER_INCLUDED_DATA } }),
      );
      return orderRecord('getOrder', res.order);
    } catch (err) {
      if (isAppError(err) && err.kind === 'not_found') return null;
      throw err;
    }
  }

  /**
   * Confirms one package of a merchant-fulfilled order. The packageReferenceId is derived from the
   * write's idempotency key, and the order's packages are read first: a retry of a confirmation that
   * went through (even one whose answer was lost) finds its package there and is not sent again.
   */
  async confirmShipment(input: CreateShipmentInput, w: WriteContext): Promise<WriteResult> {
    const orderId = input.order_external_id;
    const order = await this.get(orderId);
    if (!order) throw new AppError('not_found', `amazon order ${orderId} was not found`);
    if (isAfn(order)) {
      throw new AppError('validation', `amazon order ${orderId} is fulfilled by Amazon (FBA): Amazon ships it and confirms it; a shipment cannot be confirmed by the seller`, {
        retriable: false,
        errors: [{ path: 'order_external_id', message: 'order is fulfilled by Amazon' }],
      });
    }
    const packageReferenceId = packageReferenceIdOf(w.idempotencyKey);
    const done = (order.packages ?? []).find((p) => p.packageReferenceId === packageReferenceId);
    if (done) return { external_id: `${orderId}/${packageReferenceId}`, data: { package_reference_id: packageReferenceId, already_confirmed: true } };

    const items = input.lines.map((line, i) => {
      const item = line.external_line_id
        ? order.orderItems.find((it) => it.orderItemId === line.external_line_id)
        : order.orderItems.find((it) => it.product.sellerSku === line.sku);
      if (!item) {
        throw new AppError('validation', `amazon order ${orderId} has no item ${line.external_line_id ?? line.sku}`, { retriable: false, errors: [{ path: `lines.${i}`, message: 'no such order item' }] });
      }
      return { orderItemId: item.orderItemId, quantity: line.quantity };
    });
    if (items.length === 0) throw new AppError('validation', 'a shipment needs at least one line', { retriable: false, errors: [{ path: 'lines', message: 'empty' }] });
    const carrier = input.carrier?.trim() || 'Other';
    const packageDetail = {
      packageReferenceId,
      carrierCode: carrier,
      ...(carrier === 'Other' || input.carrier ? { carrierName: input.carrier ?? 'Other' } : {}),
      ...(input.service ? { shippingMethod: input.service } : {}),
      trackingNumber: input.tracking_number ?? '',
      shipDate: new Date(input.shipped_at ? Date.parse(input.shipped_at) : this.now()).toISOString(),
      orderItems: items,
    };
    const marketplaceId = order.salesChannel.marketplaceId ?? this.client.ctx.settings.marketplace_ids[0]!;
    try {
      await this.client.call({ op: 'confirmShipment', method: 'POST', path: `/orders/v0/orders/${encodeURIComponent(orderId)}/shipmentConfirmation`, body: { marketplaceId, packageDetail } });
    } catch (err) {
      // Amazon refuses a package it already has (a retry racing the first attempt): if our package is
      // on the order now, the confirmation stands.
      if (isAppError(err) && (err.kind === 'validation' || err.kind === 'conflict')) {
        const again = await this.get(orderId);
        if (again?.packages?.some((p) => p.packageReferenceId === packageReferenceId)) {
          return { external_id: `${orderId}/${packageReferenceId}`, data: { package_reference_id: packageReferenceId, already_confirmed: true } };
        }
      }
      throw err;
    }
    return { external_id: `${orderId}/${packageReferenceId}`, data: { package_reference_id: packageReferenceId } };
  }
}

/**
 * Amazon's page tokens expire (orders: 24 hours, FBA inventory: 30 seconds). A run resumed after that
 * would ask with a dead token forever; instead a refused token reads the same window again from its
 * first page (what was stored is upserted again, harmlessly).
 */
export async function withTokenRestart<T>(client: SpApiClient, op: string, token: string | null, call: (token: string | null) => Promise<T>): Promise<T> {
  try {
    return await call(token);
  } catch (err) {
    if (token === null || !isAppError(err) || err.kind !== 'validation') throw err;
    client.ctx.log?.warn({ operation: op, err: err.message }, 'amazon refused a page token; the window is read again from its first page');
    return call(null);
  }
}

/** A positive numeric id (Amazon accepts only those) stable for the idempotency key. */
export function packageReferenceIdOf(idempotencyKey: string): string {
  const n = BigInt(`0x${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 13)}`);
  return (n + 1n).toString();
}
