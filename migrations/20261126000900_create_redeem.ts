// Chat Nio's `redeem` table: single-use top-up codes (`nio-` + 32).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('redeem', (table) => {
    table.increments('id').primary();
    table.string('code', 255).notNullable().unique();
    table.decimal('quota', 12, 4).notNullable().defaultTo(0);
    table.boolean('used').notNullable().defaultTo(false);
    table.timestamp('created_at').notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at').notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('redeem');
}
