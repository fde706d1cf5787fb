// /v1/profiles, /v1/links, /v1/exceptions and /v1/listings: configuring the cross-channel flows and
// seeing what they could not do by themselves.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { Link, LinkInput, LinkPatch, Profile, ProfileInput, ProfilePatch, FlowException, FlowType, EXCEPTION_KINDS } from '../../core/model/flow.ts';
import { changeLink, createLink, deleteLink, deleteProfile, profileChanged } from '../../core/flows/service.ts';
import { triggerFlow } from '../../core/flows/queue.ts';
import { getLink, getProfile, insertProfile, listExceptions, listingsFor, listLinks, listProfiles, resolveException, toException, toLink, toProfile, updateProfile } from '../../store/flows.ts';
import type { AppEnv } from '../context.ts';
import type { ApiDeps } from '../deps.ts';
import { bodyProblems, checkId, idParam, listBase, NoQuery, pageSchema, paging, problems } from '../schemas.ts';

const jsonBody = <T extends z.ZodType>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });
const one = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const sortQ = z.enum(['created_at', '-created_at', 'updated_at', '-updated_at']).optional();
const profileId = idParam('prf_01JD3X8Y6Z7QK2M4N5P6R7S8T9');
const linkId = idParam('lnk_01JD3X8Y6Z7QK2M4N5P6R7S8T9');

const Listing = z
  .object({
    link_id: z.string(),
    target_connection_id: z.string(),
    marketplace_id: z.string().nullable(),
    sku: z.string(),
    product_id: z.string(),
    state: z.enum(['submitted', 'published', 'rejected', 'invalid', 'failed']),
    issues: z.array(z.object({ sku: z.string(), code: z.string(), message: z.string(), severity: z.string(), attribute: z.string().nullish(), rule: z.string().nullish().openapi({ description: 'The profile rule behind the attribute, e.g. attributes[2].' }) })),
    updated_at: z.string(),
  })
  .openapi('Listing');

export function flowRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps): void {
  const { db, registry } = deps;

  // ---- Profiles ----
  app.openapi(
    createRoute({ method: 'get', path: '/v1/profiles', tags: ['Flows'], summary: 'List mapping profiles', request: { query: z.object({ ...listBase, sort: sortQ }).strict() }, responses: { 200: one(pageSchema(Profile, 'ProfilePage'), 'A page of profiles'), ...problems } }),
    async (c) => {
      const q = c.req.valid('query');
      const { sort, cursor } = paging(q);
      const page = await listProfiles(db, c.get('tenantId'), sort, cursor, q.limit);
      return c.json({ data: page.data.map(toProfile), next_cursor: page.next_cursor }, 200);
    },
  );
  app.openapi(
    createRoute({ method: 'post', path: '/v1/profiles', tags: ['Flows'], summary: 'Create a mapping profile (validated: rules, ranges, duplicate mappings)', request: { query: NoQuery, body: jsonBody(ProfileInput) }, responses: { 201: one(Profile, 'The new profile'), ...problems, ...bodyProblems } }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(toProfile(await insertProfile(db, c.get('tenantId'), body.name, body.rules)), 201);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/v1/profiles/{id}', tags: ['Flows'], summary: 'One mapping profile', request: { params: profileId, query: NoQuery }, responses: { 200: one(Profile, 'The profile'), ...problems } }),
    async (c) => c.json(toProfile(await getProfile(db, c.get('tenantId'), checkId('profile', c.req.valid('param').id, 'Profile'))), 200),
  );
  app.openapi(
    createRoute({ method: 'patch', path: '/v1/profiles/{id}', tags: ['Flows'], summary: 'Rename a profile or replace its rules; its links run again', request: { params: profileId, query: NoQuery, body: jsonBody(ProfilePatch) }, responses: { 200: one(Profile, 'The profile'), ...problems, ...bodyProblems } }),
    async (c) => {
      const id = checkId('profile', c.req.valid('param').id, 'Profile');
      const row = await updateProfile(db, c.get('tenantId'), id, c.req.valid('json'));
      await profileChanged(db, c.get('tenantId'), id);
      return c.json(toProfile(row), 200);
    },
  );
  app.openapi(
    createRoute({ method: 'delete', path: '/v1/profiles/{id}', tags: ['Flows'], summary: 'Delete a profile no link uses', request: { params: profileId }, responses: { 204: { description: 'Deleted' }, ...problems, 409: bodyProblems[409] } }),
    async (c) => {
      await deleteProfile(db, c.get('tenantId'), checkId('profile', c.req.valid('param').id, 'Profile'));
      return c.body(null, 204);
    },
  );

  // ---- Links ----
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/links',
      tags: ['Flows'],
      summary: 'List links',
      request: { query: z.object({ ...listBase, flow: FlowType.optional(), status: z.enum(['enabled', 'paused']).optional(), connection_id: z.string().max(64).optional(), sort: sortQ }).strict() },
      responses: { 200: one(pageSchema(Link, 'LinkPage'), 'A page of links'), ...problems },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { sort, cursor } = paging(q);
      const page = await listLinks(db, c.get('tenantId'), q, sort, cursor, q.limit);
      return c.json({ data: page.data.map(toLink), next_cursor: page.next_cursor }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/links',
      tags: ['Flows'],
      summary: 'Create a link: a flow from a source connection to one or more targets, with a profile, an interval and a status',
      description: 'Validated on save: the connections exist and can do what the flow needs, the profile exists, and ownership rules hold (no two links writing the same data toward each other).',
      request: { query: NoQuery, body: jsonBody(LinkInput) },
      responses: { 201: one(Link, 'The new link'), ...problems, ...bodyProblems },
    }),
    async (c) => c.json(toLink(await createLink(db, registry, c.get('tenantId'), c.req.valid('json'))), 201),
  );
  app.openapi(
    createRoute({ method: 'get', path: '/v1/links/{id}', tags: ['Flows'], summary: 'One link, with its last run', request: { params: linkId, query: NoQuery }, responses: { 200: one(Link, 'The link'), ...problems } }),
    async (c) => c.json(toLink(await getLink(db, c.get('tenantId'), checkId('link', c.req.valid('param').id, 'Link'))), 200),
  );
  app.openapi(
    createRoute({ method: 'patch', path: '/v1/links/{id}', tags: ['Flows'], summary: 'Change a link: targets, profile, options, interval, or pause and resume it', request: { params: linkId, query: NoQuery, body: jsonBody(LinkPatch) }, responses: { 200: one(Link, 'The link'), ...problems, ...bodyProblems } }),
    async (c) => c.json(toLink(await changeLink(db, registry, c.get('tenantId'), checkId('link', c.req.valid('param').id, 'Link'), c.req.valid('json'))), 200),
  );
  app.openapi(
    createRoute({ method: 'delete', path: '/v1/links/{id}', tags: ['Flows'], summary: 'Delete a link and its flow state', request: { params: linkId }, responses: { 204: { description: 'Deleted' }, ...problems } }),
    async (c) => {
      await deleteLink(db, c.get('tenantId'), checkId('link', c.req.valid('param').id, 'Link'));
      return c.body(null, 204);
    },
  );
  app.openapi(
    createRoute({ method: 'post', path: '/v1/links/{id}/run', tags: ['Flows'], summary: 'Run a link now', request: { params: linkId }, responses: { 202: one(z.object({ queued: z.boolean() }), 'Queued'), ...problems, 409: bodyProblems[409] } }),
    async (c) => {
      const link = await getLink(db, c.get('tenantId'), checkId('link', c.req.valid('param').id, 'Link'));
      await triggerFlow(db, link, 0);
      return c.json({ queued: true }, 202);
    },
  );

  // ---- Exceptions ----
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/exceptions',
      tags: ['Flows'],
      summary: 'What the flows could not do by themselves: unresolved SKUs, oversells, refused confirmations, cancellations, rejected listings',
      request: { query: z.object({ ...listBase, link_id: z.string().max(64).optional(), kind: z.enum(EXCEPTION_KINDS).optional(), state: z.enum(['open', 'resolved']).optional(), subject: z.string().max(300).optional(), sort: sortQ }).strict() },
      responses: { 200: one(pageSchema(FlowException, 'FlowExceptionPage'), 'A page of exceptions'), ...problems },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { sort, cursor } = paging(q);
      const page = await listExceptions(db, c.get('tenantId'), q, sort, cursor, q.limit);
      return c.json({ data: page.data.map(toException), next_cursor: page.next_cursor }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/exceptions/{id}/resolve',
      tags: ['Flows'],
      summary: 'Mark an exception resolved (its link runs again: a held order whose SKU can now be resolved is imported)',
      request: { params: idParam('exc_01JD3X8Y6Z7QK2M4N5P6R7S8T9'), body: { required: false, content: { 'application/json': { schema: z.object({ resolution: z.string().min(1).max(2000).optional() }).strict() } } } },
      responses: { 200: one(FlowException, 'The exception'), ...problems, ...bodyProblems },
    }),
    async (c) => {
      const id = checkId('flowException', c.req.valid('param').id, 'Exception');
      const body = c.req.header('content-length') === '0' || !c.req.header('content-type') ? {} : c.req.valid('json');
      const row = await resolveException(db, c.get('tenantId'), id, body.resolution ?? 'resolved by the merchant');
      if (row.link_id) {
        const link = await getLink(db, c.get('tenantId'), row.link_id);
        if (link.status === 'enabled') await triggerFlow(db, link, 0);
      }
      return c.json(toException(row), 200);
    },
  );

  // ---- Listings ----
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/listings',
      tags: ['Flows'],
      summary: 'Listings published by catalog links, with the issues the target reported, per product',
      request: { query: z.object({ link_id: z.string().max(64).optional(), product_id: z.string().max(64).optional(), state: z.enum(['submitted', 'published', 'rejected', 'invalid', 'failed']).optional(), limit: z.coerce.number().int().min(1).max(1000).default(250) }).strict() },
      responses: { 200: one(z.object({ data: z.array(Listing) }).openapi('ListingList'), 'Listings'), ...problems },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await listingsFor(db, c.get('tenantId'), q, q.limit);
      return c.json(
        {
          data: rows.map((r) => ({
            link_id: r.link_id,
            target_connection_id: r.target_connection_id,
            marketplace_id: r.marketplace_id || null,
            sku: r.sku,
            product_id: r.product_id,
            state: r.state as 'published',
            issues: r.issues as { sku: string; code: string; message: string; severity: string }[],
            updated_at: r.updated_at.toISOString(),
          })),
        },
        200,
      );
    },
  );
}
