// Chat Nio's `subscription` table: plan level and expiry per user.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('subscription', (table) => {
    table.increments('id').primary();
    table.integer('level').notNullable().defaultTo(1);
    table.integer('user_id').unsigned().notNullable().unique().references('auth.id');
    table.datetime('expired_at').nullable();
    table.integer('total_month').notNullable().defaultTo(0);
    table.boolean('enterprise').notNullable().defaultTo(false);
    table.timestamp('created_at').notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at').notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('subscription');
}
