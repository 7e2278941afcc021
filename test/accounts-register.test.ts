// Registration, /verify codes over a real local SMTP sink, password reset and /info: codes are
// single use, expire and burn after wrong tries; a reset stops old JWTs at once.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SMTPServer } from 'smtp-server';
import { db } from '../shared/db.js';
import { type Harness, harness, postJson } from './support/harness.js';

interface Mail {
  to: string[];
  text: string;
}

function startSink(): Promise<{ server: SMTPServer; port: number; inbox: Mail[] }> {
  const inbox: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    secure: false,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let text = '';
      stream.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      stream.on('end', () => {
        inbox.push({ to: session.envelope.rcptTo.map((rcpt) => rcpt.address), text });
        callback();
      });
    },
  });
  return new Promise((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0, inbox });
    });
  });
}

const unique = () => randomBytes(4).toString('hex');
/** A fresh client address per request, so the per-IP throttles of /register etc. never interfere. */
const fromAnywhere = (headers: Record<string, string> = {}) => ({
  ...headers,
  'x-forwarded-for': `10.${[...randomBytes(3)].join('.')}`,
});
const post = (url: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  postJson(url, path, body, fromAnywhere(headers));
const get = (url: string, path: string, token = '') =>
  fetch(`${url}${path}`, { headers: fromAnywhere(token ? { authorization: token } : {}) });

describe('accounts: registration, codes and reset', function () {
  this.timeout(20_000);
  let h: Harness;
  let sink: Awaited<ReturnType<typeof startSink>>;
  const admin = () => ({ authorization: h.rootToken });
  const configure = async (patch: Record<string, unknown>) => {
    const result = await post(h.url, '/admin/config/update', patch, admin());
    assert.equal(result.status, true, JSON.stringify(result));
  };
  const state = (token: string) => post(h.url, '/state', {}, { authorization: token });

  /** Requests a code for the email and returns it from the sink. */
  async function mailedCode(email: string): Promise<string> {
    const before = sink.inbox.length;
    const sent = await post(h.url, '/verify', { email });
    assert.equal(sent.status, true, JSON.stringify(sent));
    const mail = sink.inbox.slice(before).find((m) => m.to.includes(email.toLowerCase()));
    assert.ok(mail, 'the code was mailed');
    const code = /verification code is (\d{6})\b/.exec(mail.text)?.[1];
    assert.ok(code, mail.text);
    return code;
  }

  before(async () => {
    h = await harness();
    sink = await startSink();
  });

  after(async () => {
    await configure({
      site: { close_register: false, quota: 0 },
      mail: { host: '', port: 465, secure: true, username: '', password: '', from: '' },
    });
    await new Promise<void>((resolve) => sink.server.close(() => resolve()));
  });

  describe('without SMTP', () => {
    before(() => configure({ mail: { host: '' }, site: { close_register: false, quota: 12.5 } }));

    it('registers without a code, credits the initial quota and logs in by username or email', async () => {
      const name = `reg-${unique()}`;
      const email = `${name}@Example.test`;
      const info = (await (await get(h.url, '/info')).json()) as { data: Record<string, unknown> };
      assert.equal(info.data.mail, false);
      const verify = await post(h.url, '/verify', { email });
      assert.deepEqual([verify.status, verify.error], [false, 'mail is not configured']);
      const registered = await post(h.url, '/register', { username: name, password: 'secret-1', email });
      assert.equal(registered.status, true, JSON.stringify(registered));
      assert.deepEqual(await state(String(registered.token)), { status: true, user: name, admin: false });
      const quota = await get(h.url, '/quota', String(registered.token));
      assert.deepEqual(await quota.json(), { status: true, quota: 12.5 });
      const row = await db()('quota')
        .join('auth', 'auth.id', 'quota.user_id')
        .where('auth.username', name)
        .first();
      assert.equal(Number(row.used), 0);
      assert.match(row.password, /^\$argon2id\$/);
      assert.match(row.token, /^[0-9a-f]{64}$/);
      for (const username of [name, email.toUpperCase()]) {
        const login = await post(h.url, '/login', { username, password: 'secret-1' });
        assert.equal(login.status, true, username);
      }
      const userinfo = (await (await get(h.url, '/userinfo', String(registered.token))).json()) as {
        status: boolean;
        data: Record<string, unknown>;
      };
      assert.equal(userinfo.status, true);
      assert.deepEqual(
        { ...userinfo.data, id: 0 },
        { id: 0, register_days: 0, used_quota: 0, plan_total_month: 0, email: email.toLowerCase() },
      );
    });

    it('refuses duplicate usernames and emails with a clean error, also under a race', async () => {
      const name = `dup-${unique()}`;
      const first = await post(h.url, '/register', {
        username: name,
        password: 'secret-1',
        email: `${name}@x.test`,
      });
      assert.equal(first.status, true);
      const sameName = await post(h.url, '/register', {
        username: name.toUpperCase(),
        password: 'secret-1',
        email: `other-${name}@x.test`,
      });
      assert.deepEqual([sameName.status, sameName.error], [false, 'username is already taken']);
      const sameEmail = await post(h.url, '/register', {
        username: `${name}-2`,
        password: 'secret-1',
        email: `${name.toUpperCase()}@X.test`,
      });
      assert.deepEqual([sameEmail.status, sameEmail.error], [false, 'email is already registered']);
      const racer = `race-${unique()}`;
      const results = await Promise.all(
        [1, 2, 3, 4, 5].map((n) =>
          post(h.url, '/register', { username: racer, password: 'secret-1', email: `${racer}-${n}@x.test` }),
        ),
      );
      assert.equal(results.filter((r) => r.status === true).length, 1, JSON.stringify(results));
      for (const r of results.filter((r) => r.status !== true))
        assert.equal(r.error, 'username is already taken');
      assert.equal((await db()('auth').where({ username: racer }).count({ n: '*' }).first())?.n, 1);
    });

    it('validates the body and names the field', async () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ username: 'a', password: 'secret-1', email: 'a@x.test' }, /'username'/],
        [{ username: 'has@sign', password: 'secret-1', email: 'b@x.test' }, /'username'.*@/],
        [{ username: 'okname', password: '12345', email: 'c@x.test' }, /'password'/],
        [{ username: 'okname', password: 'secret-1', email: 'not-an-email' }, /'email'/],
      ];
      for (const [body, message] of cases) {
        const result = await post(h.url, '/register', body);
        assert.equal(result.status, false);
        assert.match(String(result.error), message);
      }
    });

    it('refuses registration while it is closed', async () => {
      await configure({ site: { close_register: true } });
      try {
        const info = (await (await get(h.url, '/info')).json()) as { data: Record<string, unknown> };
        assert.equal(info.data.close_register, true);
        const name = `closed-${unique()}`;
        const result = await post(h.url, '/register', {
          username: name,
          password: 'secret-1',
          email: `${name}@x.test`,
        });
        assert.deepEqual([result.status, result.error], [false, 'registration is closed']);
      } finally {
        await configure({ site: { close_register: false } });
      }
    });
  });

  describe('with SMTP', () => {
    before(() =>
      configure({
        mail: {
          host: '127.0.0.1',
          port: sink.port,
          secure: false,
          username: '',
          password: '',
          from: 'noreply@test.local',
        },
        site: { quota: 3 },
      }),
    );

    it('requires a mailed code: wrong, reused and expired codes are refused', async () => {
      const name = `mail-${unique()}`;
      const email = `${name}@x.test`;
      const info = (await (await get(h.url, '/info')).json()) as { data: Record<string, unknown> };
      assert.equal(info.data.mail, true);
      const body = { username: name, password: 'secret-1', email };
      const missing = await post(h.url, '/register', body);
      assert.match(String(missing.error), /verification code is required/);
      const code = await mailedCode(email);
      const again = await post(h.url, '/verify', { email });
      assert.match(String(again.error), /wait a minute/, 'one code per email per minute');
      const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
      assert.match(
        String((await post(h.url, '/register', { ...body, code: wrong })).error),
        /invalid or expired/,
      );
      const registered = await post(h.url, '/register', { ...body, code });
      assert.equal(registered.status, true, JSON.stringify(registered));
      const quota = await get(h.url, '/quota', String(registered.token));
      assert.deepEqual(await quota.json(), { status: true, quota: 3 });
      const reused = await post(h.url, '/reset', { email, code, password: 'another-1' });
      assert.match(String(reused.error), /invalid or expired/, 'a code is single use');

      const other = `exp-${unique()}@x.test`;
      const expiring = await mailedCode(other);
      await h.api.context.redis.pexpire(h.api.context.keys.verifyCode(other), 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const expired = await post(h.url, '/register', {
        username: `exp-${unique()}`,
        password: 'secret-1',
        email: other,
        code: expiring,
      });
      assert.match(String(expired.error), /invalid or expired/);
    });

    it('burns a code after 5 wrong tries', async () => {
      const email = `burn-${unique()}@x.test`;
      const code = await mailedCode(email);
      const wrong = code === '000000' ? '111111' : '000000';
      const body = { username: `burn-${unique()}`, password: 'secret-1', email };
      for (let i = 0; i < 5; i += 1) await post(h.url, '/register', { ...body, code: wrong });
      const late = await post(h.url, '/register', { ...body, code });
      assert.match(String(late.error), /invalid or expired/);
    });

    it('resets the password with a code; JWTs issued before stop at once', async () => {
      const name = `reset-${unique()}`;
      const email = `${name}@x.test`;
      const registered = await post(h.url, '/register', {
        username: name,
        password: 'old-pass-1',
        email,
        code: await mailedCode(email),
      });
      const oldToken = String(registered.token);
      assert.equal((await state(oldToken)).status, true);
      await h.api.context.redis.del(h.api.context.keys.verifyCooldown(email));
      const reset = await post(h.url, '/reset', {
        email,
        code: await mailedCode(email),
        password: 'new-pass-1',
      });
      assert.equal(reset.status, true, JSON.stringify(reset));
      assert.equal((await state(oldToken)).status, false, 'the old JWT is anonymous at once');
      assert.equal((await post(h.url, '/login', { username: name, password: 'old-pass-1' })).status, false);
      const login = await post(h.url, '/login', { username: email, password: 'new-pass-1' });
      assert.equal(login.status, true);
      assert.equal((await state(String(login.token))).status, true);
    });

    it('answers a clean error and lifts the cooldown when the mail cannot be sent', async () => {
      const closed = await startSink();
      const port = closed.port;
      await new Promise<void>((resolve) => closed.server.close(() => resolve()));
      await configure({ mail: { port } });
      try {
        const email = `down-${unique()}@x.test`;
        const result = await post(h.url, '/verify', { email });
        assert.deepEqual([result.status, result.error], [false, 'the verification mail could not be sent']);
        assert.equal(await h.api.context.redis.exists(h.api.context.keys.verifyCooldown(email)), 0);
      } finally {
        await configure({ mail: { port: sink.port } });
      }
    });
  });
});
