// Chat Nio's `sharing` table: public links to (parts of) a conversation.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sharing', (table) => {
    table.increments('id').primary();
    table.string('hash', 32).notNullable().unique();
    table.integer('user_id').unsigned().notNullable().references('auth.id');
    table.integer('conversation_id').notNullable();
    table.text('refs').notNullable();
    table.timestamp('updated_at').notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('sharing');
}
