// This project's `plan` table: subscription levels 1-3 with a monthly price and items
// `[{id, name, icon, value (monthly count, -1 unlimited), models[]}]` as JSON.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('plan', (table) => {
    table.integer('level').primary();
    table.string('name', 255).notNullable();
    table.decimal('price', 24, 6).notNullable().defaultTo(0);
    table.text('items').notNullable();
    table.timestamp('updated_at').notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('plan');
}
