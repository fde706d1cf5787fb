// The canonical product no longer carries a variation theme: its options say what varies, and a target
// that names the combination (a marketplace's variation theme) derives it from them when it publishes.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE products DROP COLUMN variation_theme`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE products ADD COLUMN variation_theme text`.execute(db);
}
