// auth.created_at for /userinfo's register_days. Existing users (an adopted Chat Nio database
// has no such column) stay NULL, i.e. unknown; new rows get the insert time.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('auth', (table) => {
    table.timestamp('created_at').nullable();
  });
  // Set the default only after the column exists, so existing rows are not stamped "now".
  await knex.raw('ALTER TABLE `auth` MODIFY `created_at` TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('auth', (table) => {
    table.dropColumn('created_at');
  });
}
