// This project's `setting` table: key/value site settings (JSON values), including the
// generated JWT secret when SECRET is not set.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('setting', (table) => {
    table.string('key', 128).primary();
    table.text('value').notNullable();
    table.timestamp('updated_at').notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('setting');
}
