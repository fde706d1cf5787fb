// SP-API notifications: ORDER_CHANGE read into "fetch this order again", deduplicated on NotificationId.
// Accepts the notification as Amazon writes it to SQS, inside an SQS message ({ Body: "…" }), or inside
// an EventBridge event ({ detail: … }), since a deployment's forwarder may post any of them.
import { z } from 'zod';
import type { ParsedNotification } from '../../core/ports.ts';

const Notification = z.object({
  NotificationType: z.string(),
  NotificationMetadata: z.object({ NotificationId: z.string().min(1) }).passthrough(),
  Payload: z.record(z.string(), z.unknown()),
});
const OrderChange = z.object({ SellerId: z.string().min(1), AmazonOrderId: z.string().min(1) }).passthrough();

function unwrap(body: unknown, depth = 0): unknown {
  if (depth > 3) return body;
  if (typeof body === 'string') {
    try {
      return unwrap(JSON.parse(body) as unknown, depth + 1);
    } catch {
      return body;
    }
  }
  if (typeof body === 'object' && body !== null) {
    const o = body as Record<string, unknown>;
    if ('NotificationType' in o) return o;
    if ('detail' in o) return unwrap(o.detail, depth + 1);
    if ('Body' in o) return unwrap(o.Body, depth + 1);
    if ('Message' in o) return unwrap(o.Message, depth + 1);
  }
  return body;
}

/** ORDER_CHANGE of this seller: fetch the order; any other notification (or another seller's): null. */
export function parseNotification(body: unknown, sellerId: string): ParsedNotification | null {
  const n = Notification.safeParse(unwrap(body));
  if (!n.success) return null;
  if (n.data.NotificationType !== 'ORDER_CHANGE') return null;
  const change = OrderChange.safeParse(n.data.Payload.OrderChangeNotification);
  if (!change.success || change.data.SellerId !== sellerId) return null;
  return { dedupeKey: n.data.NotificationMetadata.NotificationId, fetch: [{ entity: 'orders', externalId: change.data.AmazonOrderId }] };
}
