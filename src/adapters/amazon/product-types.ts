// Product Type Definitions 2020-09-01: the JSON Schema (draft 2019-09) of a product type, fetched once
// per checksum, and used to check a listing's attributes before anything is sent.
import { Ajv2019, type ErrorObject, type ValidateFunction } from 'ajv/dist/2019.js';
import * as ajvFormats from 'ajv-formats';
import { z } from 'zod';
import { AppError } from '../../core/errors.ts';
import type { ItemIssue, ListingField, ListingInput } from '../../core/ports.ts';
import type { SpApiClient } from './client.ts';
import { MARKETPLACES } from './marketplaces.ts';

const Definition = z.object({
  productType: z.string(),
  productTypeVersion: z.object({ version: z.string() }).passthrough().nullish(),
  schema: z.object({ link: z.object({ resource: z.string().min(1), verb: z.string().nullish() }), checksum: z.string().min(1) }),
});

type Json = Record<string, unknown>;
/** A product type schema as the adapter uses it: the validator, and the attributes' schemas for reshaping. */
interface CompiledType {
  validate: ValidateFunction;
  properties: Record<string, Json>;
}
/** Compiled product types by schema checksum, shared by every connection of the process. */
const compiled = new Map<string, CompiledType>();
/** How long a (product type, marketplace) keeps the checksum it was last given before asking again. */
const DEFINITION_TTL_MS = 60 * 60 * 1000;

type FormatsPlugin = (ajv: Ajv2019) => unknown;
const addFormats = ((ajvFormats as unknown as { default?: FormatsPlugin }).default ?? (ajvFormats as unknown as FormatsPlugin)) as FormatsPlugin;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function coerce(v: unknown, type: unknown): unknown {
  if ((type === 'number' || type === 'integer') && typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  if (type === 'boolean' && (v === 'true' || v === 'false')) return v === 'true';
  if (type === 'string' && (typeof v === 'number' || typeof v === 'boolean')) return String(v);
  return v;
}

/**
 * A canonical listing's fields in Amazon's attribute names, as plain values (toAmazonAttributes then
 * gives them Amazon's shape): title, description and main image first, so an attribute the profile maps
 * to the same name wins; the variation family and the identifier last, as Amazon's own structure.
 * @example amazonAttributesOf({ sku: 'S', product_type: 'SHIRT', title: 'Tee', identifier: { type: 'ean', value: '400' }, attributes: { color: 'Red' } })
 * // { item_name: 'Tee', color: 'Red', externally_assigned_product_identifier: { type: 'ean', value: '400' } }
 */
export function amazonAttributesOf(l: ListingInput): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (l.title !== undefined) out.item_name = l.title;
  if (l.description) out.product_description = l.description;
  if (l.image_url) out.main_product_image_locator = l.image_url;
  Object.assign(out, l.attributes);
  if (l.variation) {
    out.parentage_level = l.variation.role;
    if (l.variation.role === 'child' && l.variation.parent_sku) out.parent_sku = l.variation.parent_sku;
    // The theme names the varying attributes joined by '/' (SIZE/COLOR), unless the profile named it.
    out.variation_theme = l.variation.theme ?? l.variation.attributes.join('/');
  }
  if (l.identifier) out.externally_assigned_product_identifier = { type: l.identifier.type, value: l.identifier.value };
  else if (l.identifier_exempt) out.supplier_declared_has_product_identifier_exemption = true;
  return out;
}

/** Which canonical listing field each attribute amazonAttributesOf fills comes from. */
const FIELD_OF: Record<string, ListingField> = {
  item_name: 'title',
  product_description: 'description',
  main_product_image_locator: 'image_url',
  externally_assigned_product_identifier: 'identifier',
  supplier_declared_has_product_identifier_exemption: 'identifier',
  parentage_level: 'variation',
  variation_theme: 'variation.theme',
  parent_sku: 'variation',
  child_parent_sku_relationship: 'variation',
};

/** An issue about one of those attributes names the canonical field too, so the flows find the profile rule. */
export function withListingField(issue: ItemIssue): ItemIssue {
  const field = issue.attribute ? FIELD_OF[issue.attribute] : undefined;
  return field && !issue.field ? { ...issue, field } : issue;
}

/**
 * A listing's attributes in Amazon's shape. Profiles produce plain values (`item_name: 'Shirt'`,
 * `externally_assigned_product_identifier: { type: 'ean', value }`, `parent_sku: 'P-1'`); Amazon takes
 * every attribute as an array of objects, the value under the property the product type names (`value`,
 * or `name` for variation_theme), with `marketplace_id` and, for localized text, `language_tag` where the
 * schema has them. A variation child's `parent_sku` becomes child_parent_sku_relationship. Values already
 * in Amazon's shape (arrays of objects) pass as they are; attributes the product type does not know are
 * wrapped as `[{ value, marketplace_id }]` and left for Amazon to judge.
 * @example toAmazonAttributes({ condition_type: 'new_new' }, props, 'ATVPDKIKX0DER', 'en_US') // { condition_type: [{ value: 'new_new', marketplace_id: 'ATVPDKIKX0DER' }] }
 */
export function toAmazonAttributes(attributes: Record<string, unknown>, properties: Record<string, Json>, marketplaceId: string, languageTag: string | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined) continue;
    if (name === 'parent_sku' && !(name in properties) && !Array.isArray(value)) {
      out.child_parent_sku_relationship = [{ child_relationship_type: 'variation', parent_sku: String(value), marketplace_id: marketplaceId }];
      continue;
    }
    if (Array.isArray(value) && value.length > 0 && value.every(isObject)) {
      out[name] = value;
      continue;
    }
    const items = isObject(properties[name]?.items) ? (properties[name]!.items as Json) : undefined;
    const props = items && isObject(items.properties) ? (items.properties as Record<string, Json>) : undefined;
    const required = Array.isArray(items?.required) ? (items!.required as unknown[]).filter((r): r is string => typeof r === 'string') : [];
    const key = !props || 'value' in props ? 'value' : 'name' in props ? 'name' : (required.find((r) => r !== 'marketplace_id' && r !== 'language_tag') ?? 'value');
    out[name] = (Array.isArray(value) ? value : [value]).map((v) => {
      const entry: Json = isObject(v) ? { ...v } : { [key]: coerce(v, props?.[key]?.type) };
      if ((!props || 'marketplace_id' in props) && entry.marketplace_id === undefined) entry.marketplace_id = marketplaceId;
      if (props && 'language_tag' in props && languageTag && entry.language_tag === undefined) entry.language_tag = languageTag;
      return entry;
    });
  }
  return out;
}

export function compileProductTypeSchema(schema: Record<string, unknown>): ValidateFunction {
  // Amazon's meta-schema and its custom keywords (selectors, editable, hidden, enumNames…) are not
  // validation keywords: strict off ignores them, and the schema is not checked against its $schema.
  const { $schema: _meta, ...body } = schema;
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  return ajv.compile(body);
}

/** The attribute an error is about: the first segment of its path, or the missing property at the root. */
export function attributeOf(e: ErrorObject): string | null {
  const first = e.instancePath.split('/')[1];
  if (first) return decodeURIComponent(first.replace(/~1/g, '/').replace(/~0/g, '~'));
  const missing = (e.params as { missingProperty?: unknown }).missingProperty;
  return typeof missing === 'string' ? missing : null;
}

export function schemaIssues(sku: string, errors: ErrorObject[] | null | undefined): ItemIssue[] {
  const seen = new Set<string>();
  const out: ItemIssue[] = [];
  for (const e of errors ?? []) {
    // anyOf/oneOf/if branches repeat what their leaves say.
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'if') continue;
    const attribute = attributeOf(e);
    const where = `${attribute ?? '(listing)'}${e.instancePath.split('/').slice(2).length ? ` at ${e.instancePath}` : ''}`;
    const message = e.keyword === 'required' && !e.instancePath ? `${attribute} is required by the product type` : `${where}: ${e.message ?? e.keyword}`;
    if (seen.has(message)) continue;
    seen.add(message);
    out.push({ sku, code: `SCHEMA_${e.keyword.toUpperCase()}`, message, severity: 'error', attribute });
  }
  return out;
}

export class ProductTypes {
  readonly #checksums = new Map<string, { checksum: string; at: number }>();

  constructor(
    private readonly client: SpApiClient,
    private readonly now: () => number = Date.now,
  ) {}

  async validator(productType: string, marketplaceId: string, requirements: 'LISTING' | 'LISTING_OFFER_ONLY'): Promise<CompiledType> {
    const key = `${productType}\n${marketplaceId}\n${requirements}`;
    const known = this.#checksums.get(key);
    if (known && this.now() - known.at < DEFINITION_TTL_MS) {
      const hit = compiled.get(known.checksum);
      if (hit) return hit;
    }
    const s = this.client.ctx.settings;
    const res = await this.client.call({
      op: 'getDefinitionsProductType',
      method: 'GET',
      path: `/definitions/2020-09-01/productTypes/${encodeURIComponent(productType)}`,
      query: { marketplaceIds: [marketplaceId], sellerId: s.seller_id, requirements, requirementsEnforced: 'ENFORCED', locale: 'DEFAULT' },
    });
    const def = Definition.safeParse(res);
    if (!def.success) throw new AppError('upstream_unavailable', `amazon getDefinitionsProductType ${productType} answered an unexpected body`);
    const checksum = def.data.schema.checksum;
    this.#checksums.set(key, { checksum, at: this.now() });
    let validate = compiled.get(checksum);
    if (!validate) {
      const bytes = await this.client.transfer('downloadDocument', def.data.schema.link.resource, { method: 'GET' });
      let schema: unknown;
      try {
        schema = JSON.parse(new TextDecoder().decode(bytes));
      } catch (err) {
        throw new AppError('upstream_unavailable', `amazon product type schema of ${productType} is not JSON`, { cause: err });
      }
      if (typeof schema !== 'object' || schema === null) throw new AppError('upstream_unavailable', `amazon product type schema of ${productType} is not an object`);
      try {
        validate = { validate: compileProductTypeSchema(schema as Record<string, unknown>), properties: isObject((schema as Json).properties) ? ((schema as Json).properties as Record<string, Json>) : {} };
      } catch (err) {
        throw new AppError('upstream_unavailable', `amazon product type schema of ${productType} does not compile: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      compiled.set(checksum, validate);
    }
    return validate;
  }

  /** The listing's problems against its product type; empty when it may be sent. */
  async validate(input: ListingInput, defaultMarketplace: string): Promise<ItemIssue[]> {
    return (await this.prepare(input, defaultMarketplace)).issues;
  }

  /** The listing with its fields and attributes in Amazon's names and shape, and its problems against the product type. */
  async prepare(input: ListingInput, defaultMarketplace: string): Promise<{ listing: ListingInput; issues: ItemIssue[] }> {
    const mp = input.marketplace_id ?? defaultMarketplace;
    try {
      const { validate, properties } = await this.validator(input.product_type, mp, input.offer_only ? 'LISTING_OFFER_ONLY' : 'LISTING');
      const listing: ListingInput = { sku: input.sku, marketplace_id: input.marketplace_id, product_type: input.product_type, attributes: toAmazonAttributes(amazonAttributesOf(input), properties, mp, MARKETPLACES[mp]?.language ?? null), ...(input.offer_only !== undefined ? { offer_only: input.offer_only } : {}) };
      return { listing, issues: validate(listing.attributes) ? [] : schemaIssues(input.sku, validate.errors).map(withListingField) };
    } catch (err) {
      if (err instanceof AppError && err.kind === 'not_found') {
        return { listing: input, issues: [{ sku: input.sku, code: 'PRODUCT_TYPE', message: `amazon has no product type ${input.product_type}`, severity: 'error', attribute: null }] };
      }
      throw err;
    }
  }
}
