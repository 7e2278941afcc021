// Chat Nio's `invitation` table: typed invitation codes, one use per type per user.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('invitation', (table) => {
    table.increments('id').primary();
    table.string('code', 255).notNullable().unique();
    table.decimal('quota', 12, 4).notNullable().defaultTo(0);
    table.string('type', 255).notNullable();
    table.boolean('used').notNullable().defaultTo(false);
    table.integer('used_id').nullable();
    table.timestamp('created_at').notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at').notNullable().defaultTo(knex.fn.now());
    table.unique(['used_id', 'type']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('invitation');
}
