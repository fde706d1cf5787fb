// Setting up ORDER_CHANGE delivery for a connection: a destination (the deployment's SQS queue; a
// grantless call, as Amazon requires for destinations) and the seller's subscription to it. Run once per
// seller by a deployment script or an operator; safe to run again (existing ones are reused).
import { z } from 'zod';
import { AppError, isAppError } from '../../core/errors.ts';
import type { AdapterContext } from '../../core/ports.ts';
import { SpApiClient } from './client.ts';
import type { AmazonCredentials, AmazonSettings } from './settings.ts';

const Destination = z.object({ destinationId: z.string().min(1), name: z.string(), resource: z.object({ sqs: z.object({ arn: z.string() }).nullish() }).passthrough() });
const Subscription = z.object({ subscriptionId: z.string().min(1), destinationId: z.string(), payloadVersion: z.string() });

function payload<T>(schema: z.ZodType<T>, op: string, body: unknown): T {
  const r = z.object({ payload: schema }).safeParse(body);
  if (!r.success) throw new AppError('upstream_unavailable', `amazon ${op} answered an unexpected body`);
  return r.data.payload;
}

/**
 * Makes sure the seller's ORDER_CHANGE notifications go to the SQS queue `sqsArn`.
 * @example await subscribeOrderChanges(ctx, 'arn:aws:sqs:us-east-1:123456789012:switchyard-notifications')
 */
export async function subscribeOrderChanges(ctx: AdapterContext<AmazonSettings, AmazonCredentials>, sqsArn: string, name = 'switchyard'): Promise<{ destinationId: string; subscriptionId: string }> {
  const client = new SpApiClient(ctx);
  await client.assertAddresses();
  let destination: z.infer<typeof Destination>;
  try {
    destination = payload(Destination, 'createDestination', await client.call({ op: 'createDestination', method: 'POST', path: '/notifications/v1/destinations', grantless: true, body: { name, resourceSpecification: { sqs: { arn: sqsArn } } } }));
  } catch (err) {
    if (!isAppError(err) || err.kind !== 'conflict') throw err;
    const all = payload(z.array(Destination), 'getDestinations', await client.call({ op: 'getDestinations', method: 'GET', path: '/notifications/v1/destinations', grantless: true }));
    const found = all.find((d) => d.resource.sqs?.arn === sqsArn);
    if (!found) throw err;
    destination = found;
  }
  let subscription: z.infer<typeof Subscription>;
  try {
    subscription = payload(
      Subscription,
      'createSubscription',
      await client.call({ op: 'createSubscription', method: 'POST', path: '/notifications/v1/subscriptions/ORDER_CHANGE', body: { payloadVersion: '1.0', destinationId: destination.destinationId } }),
    );
  } catch (err) {
    if (!isAppError(err) || err.kind !== 'conflict') throw err;
    subscription = payload(Subscription, 'getSubscription', await client.call({ op: 'getSubscription', method: 'GET', path: '/notifications/v1/subscriptions/ORDER_CHANGE' }));
  }
  return { destinationId: destination.destinationId, subscriptionId: subscription.subscriptionId };
}
