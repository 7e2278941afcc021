// Inputs are refused by validation before they reach a column: too long (in UTF-8 bytes too),
// out of range, too many items, bad path ids; each answer names the field. Partial channel
// updates keep the fields they do not send; wrong methods answer a JSON 405.
import assert from 'node:assert/strict';
import { webRequest } from './support/client-ip.js';
import { type Harness, harness, uniqueModel } from './support/harness.js';

describe('input bounds: every field fits its column', function () {
  this.timeout(30_000);
  let h: Harness;
  const asRoot = (path: string, body?: unknown) => webRequest(h.url, path, h.rootToken, body);
  const refused = async (path: string, body: unknown, field: string) => {
    const answer = await asRoot(path, body);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.status, false, `${path} accepted ${field}`);
    assert.match(String(answer.body.error), new RegExp(`Invalid value for '${field.replace(/\./g, '\\.')}'`));
    assert.notEqual(answer.body.code, 'invalid_value', 'validation, not the database, must refuse it');
  };
  const channel = (extra: Record<string, unknown> = {}) => ({
    name: 'bounds',
    type: 'openai',
    models: [uniqueModel('bounds')],
    secret: 'sk-bounds',
    endpoint: h.mock.url,
    ...extra,
  });

  before(async () => {
    h = await harness();
  });

  it('refuses a channel secret longer than TEXT, in characters or in UTF-8 bytes', async () => {
    await refused('/admin/channel/create', channel({ secret: 's'.repeat(70_000) }), 'secret');
    await refused('/admin/channel/create', channel({ secret: '😀'.repeat(17_000) }), 'secret');
    await refused('/admin/channel/create', channel({ mapper: '字'.repeat(30_000) }), 'mapper');
    await refused('/admin/channel/create', channel({ priority: 2 ** 40 }), 'priority');
    await refused('/admin/channel/create', channel({ models: Array(5000).fill('m') }), 'models');
    const longest = await asRoot('/admin/channel/create', channel({ secret: '€'.repeat(21_845) }));
    assert.equal(longest.body.status, true, JSON.stringify(longest.body).slice(0, 200));
  });

  it('refuses prices and quotas beyond sane ranges', async () => {
    const rule = { type: 'token-billing', models: [uniqueModel('price')] };
    await refused('/admin/charge/set', { ...rule, input: 1e308 }, 'input');
    await refused('/admin/charge/set', { ...rule, output: 1e10 }, 'output');
    await refused('/admin/charge/sync', { data: [{ ...rule, input: 1e19 }] }, 'data.0.input');
    await refused('/admin/redeem/generate', { quota: 1e-320, number: 1 }, 'quota');
    await refused('/admin/user/quota', { id: 1, quota: 1e18 }, 'quota');
    await refused('/admin/config/update', { site: { quota: 1e300 } }, 'site.quota');
    await refused(
      '/admin/config/update',
      { billing: { default_output_tokens: 2 ** 40 } },
      'billing.default_output_tokens',
    );
    await refused('/admin/config/update', { cache: { models: Array(2000).fill('m') } }, 'cache.models');
    const priced = await asRoot('/admin/charge/set', { ...rule, input: 1e9, output: 0.000001 });
    assert.equal(priced.body.status, true, JSON.stringify(priced.body));
  });

  it('refuses plans whose items would not fit their TEXT column', async () => {
    const items = Array.from({ length: 100 }, (_, i) => ({
      id: `item-${i}`,
      name: 'n',
      value: 1,
      models: Array.from({ length: 10 }, (_, j) => `model-${j}-${'x'.repeat(60)}`),
    }));
    await refused(
      '/admin/plan/update',
      { data: [{ level: 1, name: 'Big', price: 1, items }] },
      'data.0.items',
    );
    await refused(
      '/admin/plan/update',
      { data: [{ level: 1, name: 'P', price: 1, items: [{ id: 'a', name: 'a', value: 2 ** 40 }] }] },
      'data.0.items.0.value',
    );
  });

  it('refuses path ids and pages that are no row ids', async () => {
    for (const id of ['99999999999', '4294967296', '1e3', '0', '-1'])
      assert.equal((await asRoot(`/admin/channel/get/${id}`)).body.status, false, id);
    const records = await asRoot('/admin/record/view?page=1000001');
    assert.match(String(records.body.error), /'page'/);
  });

  it('updates only the fields a partial channel update sends', async () => {
    const created = await asRoot('/admin/channel/create', channel({ priority: 7, retry: 3, mapper: 'a>b' }));
    const id = (created.body.data as { id: number }).id;
    assert.equal((await asRoot(`/admin/channel/update/${id}`, { name: 'renamed' })).body.status, true);
    const { data } = (await asRoot(`/admin/channel/get/${id}`)).body as { data: Record<string, unknown> };
    assert.deepEqual([data.name, data.priority, data.retry, data.mapper], ['renamed', 7, 3, 'a>b']);
  });

  it('answers a wrong method with a JSON 405 (an envelope on web routes)', async () => {
    const relay = await fetch(`${h.url}/v1/models`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${h.rootKey}` },
    });
    assert.equal(relay.status, 405);
    assert.equal(((await relay.json()) as { error: { code: string } }).error.code, 'method_not_allowed');
    const web = await fetch(`${h.url}/login`, { method: 'DELETE' });
    assert.equal(web.status, 200);
    assert.deepEqual(await web.json(), {
      status: false,
      error: 'DELETE is not allowed on /login.',
      code: 'method_not_allowed',
    });
  });
});
