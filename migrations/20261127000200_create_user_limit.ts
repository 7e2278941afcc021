// This project's `user_limit` table: per-user relay limits overriding settings.limits; a
// NULL column means "use the global value", 0 means unlimited.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('user_limit', (table) => {
    table.integer('user_id').unsigned().primary().references('auth.id').onDelete('CASCADE');
    table.integer('rpm').unsigned().nullable();
    table.integer('tpm').unsigned().nullable();
    table.integer('concurrency').unsigned().nullable();
    table.timestamp('updated_at').notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('user_limit');
}
