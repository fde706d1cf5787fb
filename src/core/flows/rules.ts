// The pure part of the flows: a target quantity from source stock, a target price from a source price,
// a listing from a product. No store, no adapter: each is a function of its inputs and the profile.
import type { ItemIssue, ListingField, ListingInput } from '../ports.ts';
import type { Product, Variant } from '../model/index.ts';
import type { AttributeMapping, InventoryRules, PriceRules, ProfileRules, Transform } from '../model/flow.ts';

/**
 * The quantity a target is offered: available minus what is reserved, minus the buffer, times the
 * percentage (rounded down), 0 below the minimum, capped at the maximum; never negative.
 * @example targetQuantity(10, 1, { buffer: 2, percentage: 50, min: 0 }) // 3
 */
export function targetQuantity(available: number, reserved: number, r: InventoryRules): number {
  const base = available - reserved - r.buffer;
  if (base <= 0) return 0;
  let q = Math.floor((base * r.percentage) / 100);
  if (q < r.min) return 0;
  if (r.max !== null && r.max !== undefined) q = Math.min(q, r.max);
  return Math.max(0, q);
}

const toCents = (s: string): number => Math.round(Number(s) * 100);
const fromCents = (c: number): string => `${c < 0 ? '-' : ''}${Math.floor(Math.abs(c) / 100)}.${String(Math.abs(c) % 100).padStart(2, '0')}`;

/**
 * A source price through the rules: markup (percent, then fixed), rounding, then the min/max bounds.
 * @example targetPrice('10.00', { markup_percent: 10, markup_fixed: '0', rounding: 'cents_99' }) // '10.99'
 */
export function targetPrice(amount: string, r: PriceRules): string {
  let c = toCents(amount);
  c = Math.round(c * (1 + r.markup_percent / 100)) + toCents(r.markup_fixed);
  if (r.rounding === 'cents_99') c = Math.floor(c / 100) * 100 + 99;
  else if (r.rounding === 'whole') c = Math.round(c / 100) * 100;
  else if (r.rounding === 'five_cents') c = Math.round(c / 5) * 5;
  if (r.min && c < toCents(r.min)) c = toCents(r.min);
  if (r.max && c > toCents(r.max)) c = toCents(r.max);
  return fromCents(Math.max(0, c));
}

function applyTransforms(value: unknown, ts: readonly Transform[] | undefined): unknown {
  let v = value;
  for (const t of ts ?? []) {
    if (v === null || v === undefined) return v;
    const s = String(v);
    switch (t.op) {
      case 'uppercase': v = s.toUpperCase(); break;
      case 'lowercase': v = s.toLowerCase(); break;
      case 'trim': v = s.trim(); break;
      case 'prefix': v = `${t.arg}${s}`; break;
      case 'suffix': v = `${s}${t.arg}`; break;
      case 'replace': v = s.split(t.arg!).join(t.with ?? ''); break;
      case 'number': v = Number(s); if (Number.isNaN(v)) return null; break;
      case 'truncate': v = s.slice(0, Number(t.arg)); break;
    }
  }
  return v;
}

function fieldOf(p: Product, v: Variant, field: string): unknown {
  switch (field) {
    case 'title': return v.title ?? p.title;
    case 'description': return p.description ?? null;
    case 'brand': return p.brand ?? null;
    case 'sku': return v.sku;
    case 'ean': case 'upc': case 'gtin': case 'asin': case 'mpn':
      return v.identifiers[field] ?? p.identifiers[field] ?? null;
    case 'price': return (v.prices[0] ?? p.prices[0])?.price.amount ?? null;
    case 'image': return p.images[0]?.url ?? null;
    case 'images': return p.images.map((i) => i.url);
    default: return null;
  }
}

/** The product type a product maps to: the first category rule that matches, else the default. */
export function productTypeFor(p: Product, rules: ProfileRules, categoryNames: ReadonlyMap<string, string>): string | null {
  for (const c of rules.categories) {
    if (c.category === '*') return c.product_type;
    if (p.category_ids.includes(c.category) || p.category_ids.some((id) => categoryNames.get(id) === c.category)) return c.product_type;
    if (p.product_type && p.product_type === c.category) return c.product_type;
  }
  return rules.default_product_type ?? null;
}

export interface MappedListing {
  listing: ListingInput;
  /** Problems of the mapping itself (a required source value missing, no product type). */
  issues: ItemIssue[];
  productId: string;
}

/**
 * The canonical listings one product becomes on one marketplace: one per variant (a child names its
 * parent's SKU and the variation theme when the product has options), its content, identifier and
 * the profile's attribute mappings. The target adapter turns each into its own vocabulary. Issues name
 * the product, the field or attribute, and the rule.
 */
export function mapProduct(p: Product, rules: ProfileRules, marketplaceId: string | null, categoryNames: ReadonlyMap<string, string>): MappedListing[] {
  const productType = productTypeFor(p, rules, categoryNames);
  const variantsOf = p.variants.length > 0 ? p.variants : [];
  const isParent = rules.variations.enabled && p.options.length > 0 && variantsOf.length > 1;
  // The varying options under the target's attribute names; the profile may name the combination.
  const varying = isParent ? p.options.map((o) => rules.variations.theme[o.name] ?? o.name) : [];
  const themeName = rules.variations.theme_name ?? null;
  const parentSku = p.identifiers.sku ?? p.external_id;
  const out: MappedListing[] = [];
  const build = (v: Variant, role: 'parent' | 'child' | 'single'): MappedListing => {
    const issues: ItemIssue[] = [];
    const attrs: Record<string, unknown> = {};
    const listing: ListingInput = { sku: v.sku, marketplace_id: marketplaceId, product_type: productType ?? 'UNKNOWN', attributes: attrs };
    const title = rules.content.title_attribute ? (v.attributes[rules.content.title_attribute] ?? p.attributes[rules.content.title_attribute]) : undefined;
    listing.title = String(title ?? (role === 'parent' ? p.title : (v.title ?? p.title)));
    const desc = rules.content.description_attribute ? p.attributes[rules.content.description_attribute] : p.description;
    if (desc) listing.description = String(desc);
    if (rules.content.images && p.images.length) listing.image_url = p.images[0]!.url;
    for (const [ruleIndex, m] of (rules.attributes as AttributeMapping[]).entries()) {
      let value: unknown;
      if (m.from === 'constant') value = m.value;
      else if (m.from === 'field') value = applyTransforms(fieldOf(p, v, m.field), m.transform);
      else value = applyTransforms(v.attributes[m.source] ?? p.attributes[m.source] ?? null, m.transform);
      if (value === null || value === undefined || value === '') {
        if (m.from !== 'constant' && m.required) {
          issues.push({ sku: v.sku, code: 'MAPPING_MISSING_VALUE', severity: 'error', attribute: m.target, rule: `attributes[${ruleIndex}]`, message: `product ${p.id}: rule for ${m.target} (from ${m.from === 'field' ? `field ${m.field}` : `attribute ${m.source}`}) found no value` });
        }
        continue;
      }
      attrs[m.target] = value;
    }
    if (role === 'parent') {
      listing.variation = { role: 'parent', attributes: varying, theme: themeName };
    } else if (role === 'child') {
      listing.variation = { role: 'child', attributes: varying, theme: themeName, parent_sku: parentSku };
      for (const o of p.options) {
        const val = v.options[o.name];
        if (val !== undefined) attrs[rules.variations.theme[o.name] ?? o.name] = val;
      }
    }
    const ids = { ...p.identifiers, ...v.identifiers };
    const id = rules.identifiers.match.map((k) => (ids[k] ? { type: k, value: ids[k] } : null)).find((x) => x !== null);
    if (role !== 'parent') {
      if (id) listing.identifier = { type: id.type, value: id.value };
      else if (rules.identifiers.gtin_exemption) listing.identifier_exempt = true;
      else issues.push({ sku: v.sku, code: 'MAPPING_NO_IDENTIFIER', severity: 'error', attribute: null, field: 'identifier', rule: 'identifiers', message: `product ${p.id}: no ${rules.identifiers.match.join('/')} identifier and no GTIN exemption (identifier rules)` });
    }
    if (!productType) issues.push({ sku: v.sku, code: 'MAPPING_NO_PRODUCT_TYPE', severity: 'error', attribute: null, rule: 'categories', message: `product ${p.id}: no category rule gives a product type and the profile has no default` });
    return { listing, issues, productId: p.id };
  };
  if (isParent) {
    const parentVariant: Variant = { ...variantsOf[0]!, sku: parentSku, title: p.title, options: {}, identifiers: {}, attributes: {} };
    out.push(build(parentVariant, 'parent'));
    for (const v of variantsOf) out.push(build(v, 'child'));
  } else {
    for (const v of variantsOf) out.push(build(v, 'single'));
  }
  return out;
}

/** The profile section that decides each canonical listing field. */
const SECTION_OF: Record<ListingField, string> = {
  title: 'content',
  description: 'content',
  image_url: 'content',
  identifier: 'identifiers',
  variation: 'variations',
  'variation.theme': 'variations.theme_name',
};

/**
 * The profile rule behind a target attribute: the attribute mapping that targets it (`attributes[i]`),
 * the variation theme for an option's attribute, or the section that fills the canonical field the
 * adapter says the attribute came from; null when no rule gives it (the profile lacks a mapping for it).
 */
export function ruleFor(attribute: string | null | undefined, rules: ProfileRules, field?: ListingField | null): { rule: string; describe: string } | null {
  if (!attribute && !field) return null;
  if (attribute) {
    const i = rules.attributes.findIndex((a) => a.target === attribute);
    if (i >= 0) {
      const m = rules.attributes[i]!;
      const from = m.from === 'constant' ? `constant ${JSON.stringify(m.value)}` : m.from === 'field' ? `field ${m.field}` : `attribute ${m.source}`;
      return { rule: `attributes[${i}]`, describe: `${from} to ${attribute}` };
    }
    const option = Object.entries(rules.variations.theme).find(([, target]) => target === attribute);
    if (option) return { rule: 'variations.theme', describe: `option ${option[0]} to ${attribute}` };
  }
  const section = field ? SECTION_OF[field] : undefined;
  return section ? { rule: section, describe: attribute ?? field! } : null;
}

/**
 * A target's validation issue named for the merchant: the product, the attribute and the profile rule
 * that gives the attribute (or that none does).
 */
export function explainIssue(issue: ItemIssue, productId: string, listing: ListingInput, rules: ProfileRules): ItemIssue {
  if (!issue.attribute || issue.rule) return issue;
  const r = ruleFor(issue.attribute, rules, issue.field);
  const present = listing.attributes[issue.attribute] !== undefined || (issue.field ? listingHas(listing, issue.field) : false);
  const why = r ? `profile rule ${r.rule} (${r.describe}) ${present ? 'gave a value the product type refuses' : 'gave no value'}` : `no profile rule maps ${issue.attribute}`;
  return { ...issue, rule: r?.rule ?? null, message: `product ${productId} (${issue.sku}), attribute ${issue.attribute}: ${issue.message}; ${why}` };
}

function listingHas(l: ListingInput, field: ListingField): boolean {
  if (field === 'variation.theme') return !!l.variation;
  return l[field] !== undefined && l[field] !== null;
}
