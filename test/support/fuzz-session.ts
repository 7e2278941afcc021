// The route fuzz test's client and session: raw HTTP requests with a deadline (any path, any
// bytes), the callers' tokens and keys, and the restore step that undoes what fuzzing a route
// may have changed (settings, bans, passwords, keys, the routable channel and its price).
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import type { Knex } from 'knex';
import { hashPassword } from '../../shared/auth/password.js';
import { freshClientIp } from './client-ip.js';
import { channelBody, type FuzzState } from './fuzz-base-inputs.js';
import type { Answer } from './fuzz-contract.js';
import type { Caller, FuzzCase } from './fuzz-inputs.js';

const REQUEST_TIMEOUT_MS = 10_000;
export const USER_PASSWORD = 'fuzz-password-1';

const GOOD_SETTINGS = {
  site: { close_register: false, quota: 0, relay_plan: false, title: 'Fuzz', announcement: '' },
  mail: { host: '', port: 465, secure: true, username: '', password: '', from: '' },
  billing: { default_output_tokens: 16, record_retention_days: 30 },
  cache: { models: [], expire: 60, size: 1 },
  limits: { rpm: 0, tpm: 0, concurrency: 0 },
};

const idOf = (answer: Record<string, unknown>) => Number((answer.data as { id: number }).id);

export class FuzzSession {
  readonly tokens: Record<Caller, string> = { anonymous: '', user: '', root: '' };
  readonly keys: Record<Caller, string> = { anonymous: '', user: '', root: '' };
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 8 });

  constructor(
    readonly base: string,
    private readonly knex: Knex,
    readonly state: FuzzState,
    private readonly rootPassword: string,
  ) {}

  /** One request exactly as given (path unnormalised, body bytes as is); rejects after 10 s. */
  send(method: string, fuzz: FuzzCase, authorization: string): Promise<Answer> {
    const url = new URL(this.base);
    const payload = typeof fuzz.body === 'string' ? Buffer.from(fuzz.body) : fuzz.body;
    const type = fuzz.contentType ?? 'application/json';
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method,
          path: fuzz.target,
          agent: this.agent,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          headers: {
            ...(authorization ? { authorization } : {}),
            ...(payload ? { 'content-type': type, 'content-length': payload.length } : {}),
            // A fresh client address per request: the per-IP web throttles never interfere.
            'x-forwarded-for': freshClientIp(),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              contentType: String(response.headers['content-type'] ?? ''),
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  async json(method: string, path: string, body: unknown, token: string): Promise<Record<string, unknown>> {
    const fuzz = { label: path, target: path, body: body === undefined ? undefined : JSON.stringify(body) };
    return JSON.parse((await this.send(method, fuzz, token)).text) as Record<string, unknown>;
  }

  async login(username: string, password: string): Promise<string> {
    const answer = await this.json('POST', '/login', { username, password }, '');
    assert.equal(answer.status, true, `login ${username}: ${JSON.stringify(answer)}`);
    return String(answer.token);
  }

  close(): void {
    this.agent.destroy();
  }

  private async asRoot(path: string, body: unknown): Promise<Record<string, unknown>> {
    const answer = await this.json(body === undefined ? 'GET' : 'POST', path, body, this.tokens.root);
    assert.equal(answer.status, true, `restore ${path}: ${JSON.stringify(answer).slice(0, 300)}`);
    return answer;
  }

  private async loggedIn(caller: Caller): Promise<boolean> {
    return (await this.json('POST', '/state', {}, this.tokens[caller])).status === true;
  }

  private async readKey(userId: number, token: string): Promise<string> {
    const row = await this.knex('apikey').where({ user_id: userId }).first('api_key');
    return row ? String(row.api_key) : String((await this.json('GET', '/apikey', undefined, token)).key);
  }

  /** Puts back what fuzzing a route may have changed, so every route starts from the same state. */
  async restore(): Promise<void> {
    const { state } = this;
    if (!(await this.loggedIn('root'))) {
      const password = await hashPassword(this.rootPassword);
      await this.knex('auth').where({ id: state.rootId }).update({ password });
      this.tokens.root = await this.login('root', this.rootPassword);
    }
    await this.asRoot('/admin/config/update', GOOD_SETTINGS);
    await this.asRoot('/admin/user/ban', { id: state.userId, ban: false });
    await this.asRoot('/admin/user/limit', { id: state.userId, rpm: null, tpm: null, concurrency: null });
    for (const id of [state.userId, state.rootId])
      await this.asRoot('/admin/user/quota', { id, quota: 1000, override: true });
    if (!(await this.loggedIn('user'))) {
      await this.asRoot('/admin/user/password', { id: state.userId, password: USER_PASSWORD });
      this.tokens.user = await this.login(state.username, USER_PASSWORD);
    }
    this.keys.root = await this.readKey(state.rootId, this.tokens.root);
    this.keys.user = await this.readKey(state.userId, this.tokens.user);
    const channel = channelBody(state, [state.routableModel]);
    const found = await this.json(
      'GET',
      `/admin/channel/get/${state.channelId}`,
      undefined,
      this.tokens.root,
    );
    if (found.status) await this.asRoot(`/admin/channel/update/${state.channelId}`, channel);
    else state.channelId = idOf(await this.asRoot('/admin/channel/create', channel));
    const rule = { type: 'token-billing', models: [state.routableModel], input: 0.001, output: 0.002 };
    state.chargeId = idOf(await this.asRoot('/admin/charge/set', rule));
  }
}
