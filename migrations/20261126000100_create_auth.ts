// Chat Nio's `auth` table (users). password is wide enough for argon2id hashes; a legacy
// Chat Nio database stores 64-hex unsalted SHA-256 there, which login upgrades.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('auth', (table) => {
    table.increments('id').primary();
    table.integer('bind_id').unique().nullable();
    table.string('username', 24).notNullable().unique();
    table.string('token', 255).notNullable();
    table.string('email', 255).nullable().unique();
    table.string('password', 255).notNullable();
    table.boolean('is_admin').notNullable().defaultTo(false);
    table.boolean('is_banned').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('auth');
}
