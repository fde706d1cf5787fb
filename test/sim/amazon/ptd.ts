// Product type definitions of the simulator: a few product types (PRODUCT, SHIRT with a variation
// theme, LUGGAGE) whose schemas follow the shape of Amazon's Product Type Definitions (JSON Schema with
// Amazon's vocabulary: selectors, minUniqueItems/maxUniqueItems, maxUtf8ByteLength, editable, enumNames),
// one schema per requirements set, and a validator that turns schema errors into Listings Items issues.
import { createHash } from 'node:crypto';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

export const PRODUCT_TYPES = ['PRODUCT', 'SHIRT', 'LUGGAGE'] as const;
export type ProductTypeName = (typeof PRODUCT_TYPES)[number];
export type Requirements = 'LISTING' | 'LISTING_PRODUCT_ONLY' | 'LISTING_OFFER_ONLY';
export const PTD_VERSION = 'U2026-11-01T00:00:00.000Z';

/** The version string of a product type at a revision (revision 0 is PTD_VERSION). */
export function ptdVersion(revision: number): string {
  return revision === 0 ? PTD_VERSION : `U2026-11-01T00:00:00.${String(revision).padStart(3, '0')}Z`;
}
export const META_SCHEMA_ID = 'https://schemas.amazon.com/selling-partners/definitions/product-types/meta-schema/v1';

export const DISPLAY_NAMES: Record<ProductTypeName, string> = { PRODUCT: 'Product', SHIRT: 'Shirt', LUGGAGE: 'Luggage' };

type Json = Record<string, unknown>;

const selectorsML = ['marketplace_id', 'language_tag'];

function marketplaceId(): Json {
  return { title: 'Marketplace Id', type: 'string', editable: false, hidden: true, minLength: 1 };
}
function languageTag(): Json {
  return { title: 'Language Tag', type: 'string', editable: false, hidden: true, minLength: 2 };
}

/** A localized text attribute: [{ value, language_tag, marketplace_id }]. */
function text(title: string, maxLength: number, maxItems = 1): Json {
  return {
    title,
    type: 'array',
    minItems: 1,
    minUniqueItems: 1,
    maxUniqueItems: maxItems,
    selectors: selectorsML,
    items: {
      type: 'object',
      required: ['value'],
      additionalProperties: false,
      properties: {
        value: { title, type: 'string', minLength: 1, maxLength, maxUtf8ByteLength: maxLength * 4, editable: true },
        language_tag: languageTag(),
        marketplace_id: marketplaceId(),
      },
    },
  };
}

/** An enumerated attribute: [{ value, marketplace_id }]. */
function enumerated(title: string, values: string[], names?: string[]): Json {
  return {
    title,
    type: 'array',
    minItems: 1,
    minUniqueItems: 1,
    maxUniqueItems: 1,
    selectors: ['marketplace_id'],
    items: {
      type: 'object',
      required: ['value'],
      additionalProperties: false,
      properties: {
        value: { title, type: 'string', enum: values, enumNames: names ?? values, editable: true },
        marketplace_id: marketplaceId(),
      },
    },
  };
}

const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY', 'CAD', 'MXN', 'BRL', 'SEK', 'PLN', 'TRY', 'AUD', 'INR'];

const common: Record<string, Json> = {
  item_name: text('Item Name', 200),
  brand: text('Brand Name', 100),
  product_description: text('Product Description', 2000),
  bullet_point: text('Bullet Point', 500, 10),
  condition_type: enumerated(
    'Condition',
    ['new_new', 'new_open_box', 'new_oem', 'refurbished_refurbished', 'used_like_new', 'used_very_good', 'used_good', 'used_acceptable', 'club_club'],
  ),
  country_of_origin: enumerated('Country/Region of Origin', ['US', 'CN', 'DE', 'GB', 'FR', 'IT', 'JP', 'IN', 'MX', 'VN']),
  batteries_required: {
    title: 'Are batteries required?',
    type: 'array',
    minItems: 1,
    maxUniqueItems: 1,
    selectors: ['marketplace_id'],
    items: {
      type: 'object',
      required: ['value'],
      additionalProperties: false,
      properties: { value: { type: 'boolean', enumNames: ['Yes', 'No'] }, marketplace_id: marketplaceId() },
    },
  },
  externally_assigned_product_identifier: {
    title: 'External Product ID',
    type: 'array',
    minItems: 1,
    minUniqueItems: 1,
    maxUniqueItems: 1,
    selectors: ['marketplace_id', 'type'],
    items: {
      type: 'object',
      required: ['type', 'value'],
      additionalProperties: false,
      properties: {
        type: { title: 'External Product ID Type', type: 'string', enum: ['ean', 'upc', 'gtin', 'isbn'], enumNames: ['EAN', 'UPC', 'GTIN', 'ISBN'] },
        value: { title: 'External Product ID', type: 'string', pattern: '^[0-9]{8,14}$' },
        marketplace_id: marketplaceId(),
      },
    },
  },
  merchant_suggested_asin: {
    title: 'Merchant Suggested ASIN',
    type: 'array',
    minItems: 1,
    maxUniqueItems: 1,
    selectors: ['marketplace_id'],
    items: {
      type: 'object',
      required: ['value'],
      additionalProperties: false,
      properties: { value: { type: 'string', pattern: '^[A-Z0-9]{10}$' }, marketplace_id: marketplaceId() },
    },
  },
  list_price: {
    title: 'List Price',
    type: 'array',
    minItems: 1,
    maxUniqueItems: 1,
    selectors: ['marketplace_id', 'currency'],
    items: {
      type: 'object',
      required: ['value', 'currency'],
      additionalProperties: false,
      properties: {
        value: { type: 'number', minimum: 0, maximum: 1_000_000 },
        currency: { type: 'string', enum: CURRENCIES },
        marketplace_id: marketplaceId(),
      },
    },
  },
  purchasable_offer: {
    title: 'Purchasable Offer',
    type: 'array',
    minItems: 1,
    maxUniqueItems: 2,
    selectors: ['marketplace_id', 'currency', 'audience'],
    items: {
      type: 'object',
      required: ['currency'],
      additionalProperties: false,
      properties: {
        audience: { type: 'string', enum: ['ALL', 'B2B'], enumNames: ['Sell on Amazon', 'Amazon Business (B2B)'] },
        currency: { type: 'string', enum: CURRENCIES },
        marketplace_id: marketplaceId(),
        start_at: { type: 'object', properties: { value: { type: 'string', format: 'date-time' } } },
        end_at: { type: 'object', properties: { value: { type: 'string', format: 'date-time' } } },
        our_price: {
          type: 'array',
          minItems: 1,
          maxItems: 1,
          items: {
            type: 'object',
            required: ['schedule'],
            additionalProperties: false,
            properties: {
              schedule: {
                type: 'array',
                minItems: 1,
                maxItems: 1,
                items: {
                  type: 'object',
                  required: ['value_with_tax'],
                  additionalProperties: false,
                  properties: { value_with_tax: { type: 'number', exclusiveMinimum: 0, maximum: 1_000_000 } },
                },
              },
            },
          },
        },
        minimum_seller_allowed_price: { type: 'array' },
        maximum_seller_allowed_price: { type: 'array' },
      },
    },
  },
  fulfillment_availability: {
    title: 'Fulfillment Availability',
    type: 'array',
    minItems: 1,
    selectors: ['fulfillment_channel_code'],
    items: {
      type: 'object',
      required: ['fulfillment_channel_code'],
      additionalProperties: false,
      properties: {
        fulfillment_channel_code: { type: 'string', minLength: 1 },
        quantity: { type: 'integer', minimum: 0, maximum: 99_999_999 },
        lead_time_to_ship_max_days: { type: 'integer', minimum: 0, maximum: 30 },
        restock_date: { type: 'string', format: 'date' },
        is_inventory_available: { type: 'boolean' },
      },
    },
  },
};

const PRODUCT_FACTS = ['item_name', 'brand', 'externally_assigned_product_identifier', 'product_description', 'bullet_point', 'country_of_origin', 'batteries_required'];
const OFFER_FACTS = ['condition_type', 'list_price', 'purchasable_offer', 'fulfillment_availability', 'merchant_suggested_asin'];

const specific: Record<ProductTypeName, Record<string, Json>> = {
  PRODUCT: {},
  SHIRT: {
    color: text('Color', 100),
    size: text('Size', 50),
    department: text('Department', 50),
    parentage_level: enumerated('Parentage Level', ['parent', 'child'], ['Parent', 'Child']),
    variation_theme: {
      title: 'Variation Theme',
      type: 'array',
      minItems: 1,
      maxUniqueItems: 1,
      selectors: ['marketplace_id'],
      items: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: { name: { type: 'string', enum: ['SIZE', 'COLOR', 'SIZE/COLOR'], enumNames: ['Size', 'Color', 'Size & Color'] }, marketplace_id: marketplaceId() },
      },
    },
    child_parent_sku_relationship: {
      title: 'Parent SKU',
      type: 'array',
      minItems: 1,
      maxUniqueItems: 1,
      selectors: ['marketplace_id'],
      items: {
        type: 'object',
        required: ['child_relationship_type', 'parent_sku'],
        additionalProperties: false,
        properties: {
          child_relationship_type: { type: 'string', enum: ['variation'] },
          parent_sku: { type: 'string', minLength: 1, maxLength: 40 },
          marketplace_id: marketplaceId(),
        },
      },
    },
  },
  LUGGAGE: {
    color: text('Color', 100),
    material: text('Material', 100, 3),
    item_weight: {
      title: 'Item Weight',
      type: 'array',
      minItems: 1,
      maxUniqueItems: 1,
      selectors: ['marketplace_id'],
      items: {
        type: 'object',
        required: ['value', 'unit'],
        additionalProperties: false,
        properties: {
          value: { type: 'number', exclusiveMinimum: 0 },
          unit: { type: 'string', enum: ['grams', 'kilograms', 'pounds', 'ounces'] },
          marketplace_id: marketplaceId(),
        },
      },
    },
  },
};

const REQUIRED: Record<ProductTypeName, { product: string[]; offer: string[] }> = {
  PRODUCT: { product: ['item_name', 'brand'], offer: ['condition_type'] },
  SHIRT: { product: ['item_name', 'brand', 'department'], offer: ['condition_type'] },
  LUGGAGE: { product: ['item_name', 'brand', 'color'], offer: ['condition_type'] },
};

/** The product type's schema for a requirements set, as the PTD schema document serves it. */
export function ptdSchema(productType: ProductTypeName, requirements: Requirements): Json {
  const props: Record<string, Json> = { ...common, ...specific[productType] };
  const req = REQUIRED[productType];
  const names = Object.keys(props).filter((n) =>
    requirements === 'LISTING_OFFER_ONLY' ? OFFER_FACTS.includes(n) : requirements === 'LISTING_PRODUCT_ONLY' ? !OFFER_FACTS.includes(n) || n === 'condition_type' : true,
  );
  const required = requirements === 'LISTING_OFFER_ONLY' ? req.offer : requirements === 'LISTING_PRODUCT_ONLY' ? req.product : [...req.product, ...req.offer];
  const schema: Json = {
    $schema: META_SCHEMA_ID,
    $id: `https://schemas.amazon.com/selling-partners/definitions/product-types/schema/v1/${productType}`,
    $comment: `Simulated product type definition for ${productType} (${requirements})`,
    type: 'object',
    required,
    properties: Object.fromEntries(names.map((n) => [n, props[n]])),
  };
  if (productType === 'SHIRT' && requirements !== 'LISTING_OFFER_ONLY') {
    // Variation children name their parent and carry the theme's attributes; parents carry the theme.
    schema.allOf = [
      {
        if: { required: ['parentage_level'], properties: { parentage_level: { contains: { properties: { value: { const: 'child' } } } } } },
        then: { required: ['child_parent_sku_relationship', 'color', 'size'] },
      },
      {
        if: { required: ['parentage_level'], properties: { parentage_level: { contains: { properties: { value: { const: 'parent' } } } } } },
        then: { required: ['variation_theme'] },
      },
    ];
  }
  return schema;
}

export function propertyGroups(productType: ProductTypeName): Record<string, { title: string; description: string; propertyNames: string[] }> {
  const all = Object.keys({ ...common, ...specific[productType] });
  return {
    offer: { title: 'Offer', description: 'Label your offer', propertyNames: all.filter((n) => OFFER_FACTS.includes(n)) },
    product_identity: { title: 'Product Identity', description: 'Items that identify the product', propertyNames: all.filter((n) => !OFFER_FACTS.includes(n)) },
  };
}

export interface PtdDocument {
  text: string;
  checksum: string;
}

/** The schema document's text and checksum (MD5, base64, as Amazon's SchemaLink checksum). */
export function ptdDocument(productType: ProductTypeName, requirements: Requirements, revision = 0): PtdDocument {
  const schema = ptdSchema(productType, requirements);
  if (revision > 0) schema.$comment = `${String(schema.$comment)}, revision ${revision}`;
  const text = JSON.stringify(schema, null, 2);
  return { text, checksum: createHash('md5').update(text).digest('base64') };
}

export interface ListingIssue {
  code: string;
  message: string;
  severity: 'ERROR' | 'WARNING' | 'INFO';
  attributeNames: string[];
  categories: string[];
}

const validators = new Map<string, ValidateFunction>();
let ajv: Ajv | undefined;

function ptdAjv(): Ajv {
  if (ajv) return ajv;
  ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  ajv.addFormat('date', /^\d{4}-\d{2}-\d{2}$/);
  for (const kw of ['selectors', 'editable', 'hidden', 'enumNames', 'minUniqueItems']) ajv.addKeyword({ keyword: kw });
  ajv.addKeyword({
    keyword: 'maxUtf8ByteLength',
    type: 'string',
    validate: (max: number, data: string) => Buffer.byteLength(data, 'utf8') <= max,
    error: { message: 'exceeds the maximum UTF-8 byte length' },
  });
  ajv.addKeyword({
    keyword: 'maxUniqueItems',
    type: 'array',
    // Items are unique by their selectors; more values than allowed for one selector combination is an error.
    validate: function check(max: number, data: unknown, parent?: { selectors?: string[] }) {
      const sel = parent?.selectors ?? [];
      const counts = new Map<string, number>();
      for (const item of data as unknown[]) {
        const key = sel.map((s) => JSON.stringify((item as Record<string, unknown>)?.[s] ?? null)).join('|');
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return [...counts.values()].every((n) => n <= max);
    },
    error: { message: 'has more values than allowed' },
  });
  return ajv;
}

function validator(productType: ProductTypeName, requirements: Requirements): ValidateFunction {
  const key = `${productType}:${requirements}`;
  let v = validators.get(key);
  if (!v) {
    const { $schema: _meta, ...schema } = ptdSchema(productType, requirements);
    v = ptdAjv().compile(schema);
    validators.set(key, v);
  }
  return v;
}

const known = new Map<string, Set<string>>();
function knownAttributes(productType: ProductTypeName, requirements: Requirements): Set<string> {
  const key = `${productType}:${requirements}`;
  let names = known.get(key);
  if (!names) {
    names = new Set(Object.keys(ptdSchema(productType, requirements).properties as object));
    known.set(key, names);
  }
  return names;
}

export function isProductType(name: string): name is ProductTypeName {
  return (PRODUCT_TYPES as readonly string[]).includes(name);
}

function attributeOf(e: ErrorObject): string {
  if (e.keyword === 'required') return String((e.params as { missingProperty: string }).missingProperty);
  return e.instancePath.split('/')[1] ?? '';
}

/**
 * Issues of a set of attributes against the product type. `only` limits the check to those attributes
 * (a patch of an existing listing); otherwise required attributes are enforced too.
 */
export function validateAttributes(
  productType: string,
  attributes: Record<string, unknown>,
  requirements: Requirements = 'LISTING',
  only?: readonly string[],
): ListingIssue[] {
  if (!isProductType(productType)) {
    return [
      {
        code: '4000003',
        message: `The product type '${productType}' is not valid for this marketplace.`,
        severity: 'ERROR',
        attributeNames: [],
        categories: ['INVALID_ATTRIBUTE'],
      },
    ];
  }
  const v = validator(productType, requirements);
  const issues: ListingIssue[] = [];
  const known = knownAttributes(productType, requirements);
  for (const name of Object.keys(attributes)) {
    if (!known.has(name) && (!only || only.includes(name))) {
      issues.push({
        code: '90000900',
        message: `'${name}' is not a valid attribute for the product type ${productType}.`,
        severity: 'ERROR',
        attributeNames: [name],
        categories: ['INVALID_ATTRIBUTE'],
      });
    }
  }
  if (!v(attributes)) {
    const seen = new Set<string>();
    for (const e of v.errors ?? []) {
      if (e.keyword === 'if') continue;
      const name = attributeOf(e);
      if (only && !only.includes(name)) continue;
      const key = `${e.keyword}:${name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (e.keyword === 'required') {
        issues.push({
          code: '90220',
          message: `'${name}' is required but not supplied.`,
          severity: 'ERROR',
          attributeNames: [name],
          categories: ['MISSING_ATTRIBUTE'],
        });
      } else {
        issues.push({
          code: '4000001',
          message: `The provided value for '${name}' is invalid: ${e.instancePath} ${e.message ?? ''}`.trim(),
          severity: 'ERROR',
          attributeNames: [name],
          categories: ['INVALID_ATTRIBUTE'],
        });
      }
    }
  }
  return issues;
}
