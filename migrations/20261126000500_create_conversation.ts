// Chat Nio's `conversation` table: web chat history, one JSON document per conversation.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('conversation', (table) => {
    table.increments('id').primary();
    table.integer('user_id').unsigned().notNullable().references('auth.id');
    table.integer('conversation_id').notNullable();
    table.string('conversation_name', 255).notNullable();
    table.specificType('data', 'MEDIUMTEXT').notNullable();
    table.string('model', 255).notNullable().defaultTo('gpt-3.5-turbo-0613');
    table.string('task_id', 255).nullable();
    table.timestamp('updated_at').notNullable().defaultTo(knex.fn.now());
    table.unique(['user_id', 'conversation_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('conversation');
}
