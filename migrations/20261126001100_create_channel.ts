// This project's `channel` table: upstream provider accounts (Chat Nio keeps them in
// config.yaml). List fields (models, group) and proxy are JSON text.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('channel', (table) => {
    table.increments('id').primary();
    table.string('name', 255).notNullable();
    table.string('type', 64).notNullable();
    table.integer('priority').notNullable().defaultTo(0);
    table.integer('weight').notNullable().defaultTo(1);
    table.text('models').notNullable();
    table.integer('retry').notNullable().defaultTo(1);
    table.text('secret').notNullable();
    table.string('endpoint', 1024).notNullable();
    table.text('mapper').notNullable();
    table.boolean('state').notNullable().defaultTo(true);
    table.text('group').notNullable();
    table.text('proxy').notNullable();
    table.timestamp('created_at').notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at').notNullable().defaultTo(knex.fn.now());
    table.index(['state', 'priority']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('channel');
}
