// Chat Nio's `mask` table: a user's preset conversations ("masks").
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('mask', (table) => {
    table.increments('id').primary();
    table.integer('user_id').unsigned().notNullable().references('auth.id');
    table.string('avatar', 1024).notNullable().defaultTo('');
    table.string('name', 255).notNullable();
    table.text('description').nullable();
    table.text('context').notNullable();
    table.timestamp('updated_at').notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('mask');
}
