// Chat Nio's `apikey` table: one relay key per user (`sk-` + 64 hex).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('apikey', (table) => {
    table.increments('id').primary();
    table.integer('user_id').unsigned().notNullable().unique().references('auth.id');
    table.string('api_key', 255).notNullable().unique();
    table.timestamp('created_at').notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('apikey');
}
