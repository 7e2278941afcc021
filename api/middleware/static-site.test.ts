// Unit tests for serving a built front end: files with the right caching, the SPA page for
// browser navigations, and API traffic (JSON, /api, /v1) never answered by the site.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Koa from 'koa';
import { canonicalizePath } from './canonical-path.js';
import { staticSite } from './static-site.js';

describe('middleware/static-site', () => {
  let root: string;
  let server: Server;
  let base: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'chatnio-site-'));
    await mkdir(join(root, 'assets'));
    await writeFile(join(root, 'index.html'), '<!doctype html><div id="root"></div>');
    await writeFile(join(root, 'assets', 'index-4f3a2b1c9d.js'), 'console.log(1)');
    await writeFile(join(root, 'favicon.ico'), 'icon');
    await writeFile(join(root, '.env'), 'SECRET=x');
    const app = new Koa();
    app.use(canonicalizePath());
    app.use(staticSite(root));
    app.use((ctx) => {
      ctx.body = { api: ctx.path };
    });
    server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(root, { recursive: true, force: true });
  });

  const get = (path: string, accept = 'text/html,application/xhtml+xml') =>
    fetch(`${base}${path}`, { headers: { accept } });

  it('sends hashed assets cached for a year and other files uncached', async () => {
    const asset = await get('/assets/index-4f3a2b1c9d.js', '*/*');
    assert.equal(asset.status, 200);
    assert.match(String(asset.headers.get('cache-control')), /max-age=31536000.*immutable/);
    const icon = await get('/favicon.ico', '*/*');
    assert.equal(await icon.text(), 'icon');
    assert.match(String(icon.headers.get('cache-control')), /max-age=0/);
  });

  it('answers a browser navigation to an SPA route with index.html, uncached', async () => {
    for (const path of ['/', '/login', '/admin/users', '/share/0123abcd']) {
      const page = await get(path);
      assert.equal(page.status, 200, path);
      assert.match(await page.text(), /id="root"/, path);
      assert.equal(page.headers.get('cache-control'), 'no-cache', path);
    }
  });

  it('leaves API traffic to the routes: JSON callers, /api, /v1, Bull Board', async () => {
    assert.deepEqual(await (await get('/login', 'application/json')).json(), { api: '/login' });
    assert.deepEqual(await (await get('/api/login')).json(), { api: '/login' });
    assert.deepEqual(await (await get('/v1/models')).json(), { api: '/v1/models' });
    assert.deepEqual(await (await get('/admin/queues')).json(), { api: '/admin/queues' });
  });

  it('never sends hidden files or anything outside the folder', async () => {
    assert.doesNotMatch(await (await get('/.env', '*/*')).text(), /SECRET/);
    assert.doesNotMatch(await (await get('/%2e%2e/%2e%2e/etc/passwd', '*/*')).text(), /root:/);
  });
});
