// The one reader of a link's mapping rules. Saving a link, running it and explaining a marketplace's
// issues all read the rules here, so they cannot disagree about which rules a link has.
import type { Db } from '../../store/db.ts';
import { getProfile } from '../../store/flows.ts';
import { AppError } from '../errors.ts';
import { ProfileRules } from '../model/flow.ts';

/**
 * The rules a link runs with: its profile's, or the defaults when it names no profile.
 *
 * Failure behaviour (the only one): a profile that is not the tenant's, or no longer exists, throws
 * the `not_found` AppError of `getProfile`; stored rules that no longer validate throw a `validation`
 * AppError listing the problems under `profile_id`. Nothing falls back to the defaults silently:
 * a link never runs, nor explains an issue, with rules other than its profile's.
 * @example const rules = await rulesOfLink(db, { tenant_id: link.tenant_id, profile_id: link.profile_id });
 */
export async function rulesOfLink(db: Db, link: { tenant_id: string; profile_id: string | null }): Promise<ProfileRules> {
  if (!link.profile_id) return ProfileRules.parse({});
  const profile = await getProfile(db, link.tenant_id, link.profile_id);
  const parsed = ProfileRules.safeParse(profile.rules);
  if (parsed.success) return parsed.data;
  throw new AppError('validation', `the rules stored in profile ${profile.id} do not validate`, {
    errors: parsed.error.issues.map((i) => ({ path: ['profile_id', ...i.path.map(String)].join('.'), message: i.message })),
  });
}
