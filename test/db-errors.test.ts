// dbConstraintError against real MariaDB/MySQL errors (mysql2 through knex, and objection's
// wrapped ones): data and constraint errors become 400s naming the column, the rest stays null.
import assert from 'node:assert/strict';
import knexModule, { type Knex } from 'knex';
import { Model } from 'objection';
import { dbConstraintError } from '../shared/db-errors.js';
import { ensureDatabase, knexConfig } from '../shared/db.js';
import { errors } from '../shared/errors.js';
import { dropDatabase } from './support/cleanup.js';
import { testEnvironment } from './support/environment.js';

class Probe extends Model {
  static tableName = 'probe';
}

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the query to fail');
}

describe('db errors: constraint violations as 400s', function () {
  this.timeout(20_000);
  const database = `${testEnvironment.MYSQL_DB}_dberr`;
  let knex: Knex;

  before(async () => {
    await ensureDatabase(database);
    knex = knexModule(knexConfig(database));
    await knex.schema.createTable('probe', (table) => {
      table.increments('id').primary();
      table.string('name', 8).notNullable().unique();
      table.text('secret').nullable();
      table.decimal('price', 24, 6).notNullable().defaultTo(0);
      table.integer('count').unsigned().notNullable().defaultTo(0);
    });
    await knex.schema.createTable('child', (table) => {
      table.increments('id').primary();
      table.integer('probe_id').unsigned().notNullable().references('probe.id');
    });
  });

  after(async () => {
    await knex.destroy();
    await dropDatabase(database);
  });

  const classify = async (run: () => Promise<unknown>) => dbConstraintError(await failure(run));

  it('names the column of a value too long, out of range or of the wrong type', async () => {
    const tooLong = await classify(() => knex('probe').insert({ name: 'x', secret: 'x'.repeat(70_000) }));
    assert.equal(tooLong?.status, 400);
    assert.equal(tooLong?.param, 'secret');
    assert.match(String(tooLong?.message), /^Invalid value for 'secret': too long$/);
    const range = await classify(() => knex('probe').insert({ name: 'y', price: 1e308 }));
    assert.equal(range?.param, 'price');
    assert.match(String(range?.message), /out of range/);
    const unsigned = await classify(() => knex('probe').insert({ name: 'z', count: -1 }));
    assert.equal(unsigned?.param, 'count');
    const wrongType = await classify(() => knex('probe').insert({ name: 'w', price: 'abc' }));
    assert.equal(wrongType?.param, 'price');
    assert.equal(wrongType?.code, 'invalid_value');
  });

  it('answers duplicates, missing values and dangling references without SQL', async () => {
    await knex('probe').insert({ name: 'taken' });
    const duplicate = await classify(() => knex('probe').insert({ name: 'taken' }));
    assert.equal(duplicate?.code, 'duplicate');
    const missing = await classify(() => knex('probe').insert({ name: null }));
    assert.equal(missing?.param, 'name');
    const dangling = await classify(() => knex('child').insert({ probe_id: 999_999 }));
    assert.equal(dangling?.code, 'invalid_reference');
    const [id] = await knex('probe').insert({ name: 'parent' });
    await knex('child').insert({ probe_id: id });
    const inUse = await classify(() => knex('probe').where({ id }).delete());
    assert.equal(inUse?.code, 'in_use');
    for (const error of [duplicate, missing, dangling, inUse])
      assert.doesNotMatch(String(error?.message), /insert|delete|`|ER_/i);
  });

  it('classifies objection errors too (already wrapped by db-errors)', async () => {
    const error = await classify(async () => Probe.query(knex).insert({ name: 'way too long' }));
    assert.equal(error?.param, 'name');
  });

  it('leaves syntax, connection and non-database errors alone (null)', async () => {
    assert.equal(await classify(() => knex.raw('SELEC 1')), null);
    const offline = knexModule({
      ...knexConfig(database),
      connection: { host: '127.0.0.1', port: 1 },
      log: { error: () => {} },
    });
    try {
      assert.equal(await classify(() => offline.raw('SELECT 1')), null);
    } finally {
      await offline.destroy();
    }
    assert.equal(dbConstraintError(new Error('boom')), null);
    assert.equal(dbConstraintError(errors.notFound()), null);
    assert.equal(dbConstraintError('not an error'), null);
  });
});
