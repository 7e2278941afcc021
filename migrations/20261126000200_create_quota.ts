// Chat Nio's `quota` table: one balance row per user, in points.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('quota', (table) => {
    table.increments('id').primary();
    table.integer('user_id').unsigned().notNullable().unique().references('auth.id');
    table.decimal('quota', 24, 6).notNullable().defaultTo(0);
    table.decimal('used', 24, 6).notNullable().defaultTo(0);
    table.timestamp('created_at').notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at').notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('quota');
}
