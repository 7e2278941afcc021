// This project's `charge` table: pricing rules (Chat Nio keeps them in config.yaml).
// type: non-billing | times-billing | token-billing; models is a JSON array.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('charge', (table) => {
    table.increments('id').primary();
    table.string('type', 32).notNullable();
    table.text('models').notNullable();
    table.decimal('input', 24, 6).notNullable().defaultTo(0);
    table.decimal('output', 24, 6).notNullable().defaultTo(0);
    table.boolean('anonymous').notNullable().defaultTo(false);
    table.timestamp('created_at').notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at').notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('charge');
}
