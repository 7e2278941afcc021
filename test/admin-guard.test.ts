// The admin guard decides on the same canonical path as the router: every admin route, in
// every spelling (case, duplicate or trailing slashes, percent-encoding, dot segments, the
// /api prefix), answers 401 to anonymous callers and 403 to normal users, and changes nothing.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { signToken } from '../api/auth/jwt.js';
import { canonicalPath } from '../api/middleware/canonical-path.js';
import { sessionStamp } from '../shared/auth/session-stamp.js';
import { db } from '../shared/db.js';
import { freshClientIp } from './support/client-ip.js';
import { type Harness, harness } from './support/harness.js';
import { routeTable } from './support/routes.js';
import { balanceOf, createPayingUser, type TestUser } from './support/users.js';

interface RawAnswer {
  status: number;
  body: string;
}

/** A request with the path exactly as written (fetch would normalise dot segments). */
function rawRequest(
  base: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<RawAnswer> {
  const url = new URL(base);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: {
          ...(token ? { authorization: token } : {}),
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
          'x-forwarded-for': freshClientIp(),
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Every spelling of a path that a lax router or proxy might take for the same route. */
function spellings(path: string): string[] {
  const [, first, ...rest] = path.split('/');
  const tail = rest.join('/');
  const encodeFirst = (segment: string) => `%${segment.charCodeAt(0).toString(16)}${segment.slice(1)}`;
  return [
    path,
    path.toUpperCase(),
    `/${first.toUpperCase()}/${tail}`,
    `/${first[0].toUpperCase()}${first.slice(1)}/${tail}`,
    `/${first.slice(0, 1)}${first[1].toUpperCase()}${first.slice(2)}/${tail}`,
    `//${first}//${tail}`,
    `${path}/`,
    `${path}//`,
    `/${encodeFirst(first)}/${tail}`,
    `/${encodeFirst(first).toUpperCase()}/${tail}`,
    `/${first}/${encodeFirst(tail)}`,
    `/api${path}`,
    `/API${path.toUpperCase()}`,
    `/v1/../${first}/${tail}`,
    `/${first}/./${tail}`,
    `/x/%2e%2e/${first}/${tail}`,
  ];
}

interface AdminRoute {
  method: string;
  path: string;
}

function adminRoutes(h: Harness): AdminRoute[] {
  return routeTable(h)
    .filter((route) => route.path.toLowerCase().startsWith('/admin'))
    .map((route) => ({ method: route.method, path: route.path.replace(/:[A-Za-z_]+/g, '1') }));
}

describe('admin guard: one canonical path for every decision', function () {
  this.timeout(120_000);
  let h: Harness;
  let user: TestUser;
  let userToken: string;

  before(async () => {
    h = await harness();
    user = await createPayingUser(3, 'guard');
    const row = await db()('auth').where('id', user.id).first('password', 'token');
    userToken = signToken(
      { id: user.id, username: user.username, stamp: sessionStamp(row.password, row.token) },
      h.api.context.jwtSecret,
    );
  });

  it('canonicalises paths the way the router matches them', () => {
    assert.equal(canonicalPath('/ADMIN//user/quota/'), '/ADMIN/user/quota');
    assert.equal(canonicalPath('/%61dmin/%75ser'), '/admin/user');
    assert.equal(canonicalPath('/a/%2F/b'), '/a/%2F/b');
    assert.equal(canonicalPath('/v1/../admin/./x'), '/admin/x');
    assert.equal(canonicalPath('/x/%2e%2E/admin'), '/admin');
    assert.equal(canonicalPath('/../../admin'), '/admin');
    assert.equal(canonicalPath('/api/login'), '/login');
    assert.equal(canonicalPath('/api'), '/');
    assert.equal(canonicalPath('/apikey'), '/apikey');
    assert.equal(canonicalPath('/a%00b'), null);
    assert.equal(canonicalPath('/a%zzb'), null);
    assert.equal(canonicalPath('/a%4'), null);
  });

  it('puts the admin guard first on every admin route', () => {
    const routes = adminRoutes(h);
    assert.ok(routes.length >= 25, `only ${routes.length} admin routes found`);
    for (const route of routeTable(h)) {
      if (!route.path.toLowerCase().startsWith('/admin')) continue;
      assert.equal(route.stack[0].name, 'requireAdminMiddleware', `${route.path} is not guarded first`);
    }
  });

  it('refuses every admin route in every spelling: 401 anonymous, 403 for a user (JWT and key)', async () => {
    const before = await balanceOf(user.id);
    const callers = [
      { name: 'anonymous', token: '', expected: 401 },
      { name: 'bad JWT', token: 'not-a-jwt', expected: 401 },
      { name: 'user JWT', token: userToken, expected: 403 },
      { name: 'user key', token: `Bearer ${user.key}`, expected: 403 },
    ];
    const body = { id: user.id, quota: 5000, override: false, ban: true, password: 'takeover1', admin: true };
    let tried = 0;
    for (const route of adminRoutes(h)) {
      for (const spelling of spellings(route.path)) {
        for (const caller of callers) {
          const answer = await rawRequest(
            h.url,
            route.method,
            spelling,
            caller.token,
            route.method === 'POST' ? body : undefined,
          );
          tried += 1;
          assert.equal(
            answer.status,
            caller.expected,
            `${caller.name} ${route.method} ${spelling}: ${answer.status} ${answer.body.slice(0, 200)}`,
          );
          assert.doesNotMatch(answer.body, /"data"|secret|sk-/, `${route.method} ${spelling} leaked`);
        }
      }
    }
    assert.ok(tried > 1000, `${tried} tries`);
    assert.deepEqual(await balanceOf(user.id), before);
    const row = await db()('auth').where('id', user.id).first('is_admin', 'is_banned');
    assert.equal(Boolean(row.is_admin), false);
    assert.equal(Boolean(row.is_banned), false);
  });

  it('guards unknown /admin paths and Bull Board in every spelling', async () => {
    for (const path of ['/admin/nothing/here', '/admin', '/admin/queues/api/queues', '/admin/queues']) {
      for (const spelling of spellings(path.split('/').length > 2 ? path : `${path}/x`)) {
        const anonymous = await rawRequest(h.url, 'GET', spelling, '');
        assert.equal(
          anonymous.status,
          401,
          `GET ${spelling}: ${anonymous.status} ${anonymous.body.slice(0, 200)}`,
        );
      }
    }
  });

  it('routes every spelling for an admin, so the guard and the router agree', async () => {
    for (const spelling of spellings('/admin/user/list')) {
      const answer = await rawRequest(h.url, 'GET', spelling, h.rootToken);
      assert.equal(answer.status, 200, `${spelling}: ${answer.body.slice(0, 200)}`);
      assert.match(answer.body, /"status":true/, spelling);
    }
  });

  it('counts every spelling of a throttled path against the same per-IP limit', async () => {
    const ip = freshClientIp();
    const variants = ['/login', '/LOGIN', '/Login/', '//login', '/api/login', '/%6cogin'];
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      const response = await fetch(`${h.url}${variants[i % variants.length]}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ username: 'nobody-here', password: 'wrong-password' }),
      });
      statuses.push(response.status);
      await response.body?.cancel();
    }
    assert.equal(statuses.filter((status) => status === 429).length, 1, statuses.join(','));
    assert.equal(statuses[20], 429);
  });

  it('refuses malformed paths with 400', async () => {
    for (const path of ['/admin/%zzuser/list', '/admin%00/user/list', '/v1/%0achat']) {
      const answer = await rawRequest(h.url, 'GET', path, '');
      assert.equal(answer.status, path.startsWith('/v1') ? 400 : 200, path);
      assert.match(answer.body, /invalid_path/, path);
    }
  });
});
