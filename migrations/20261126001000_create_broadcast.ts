// Chat Nio's `broadcast` table: site announcements.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('broadcast', (table) => {
    table.increments('id').primary();
    table.integer('poster_id').unsigned().notNullable().references('auth.id');
    table.text('content').notNullable();
    table.timestamp('created_at').notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at').notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('broadcast');
}
