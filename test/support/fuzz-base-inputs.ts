// Valid base inputs for the route fuzz test: a body (POST) or query (GET) per known route that
// the fuzzer then spoils field by field; unknown routes get the common field names only.

export interface FuzzState {
  rootId: number;
  userId: number;
  username: string;
  channelId: number;
  chargeId: number;
  mockUrl: string;
  routableModel: string;
  channelSecret: string;
}

/** Field names any route might read; fuzzed on routes whose own fields are unknown too. */
export const COMMON_FIELDS = [
  'id',
  'page',
  'code',
  'search',
  'model',
  'user',
  'type',
  'quota',
  'data',
  'name',
];

export type Input = Record<string, unknown>;

export function channelBody(state: FuzzState, models: string[]): Input {
  return {
    id: -1,
    name: 'fuzz channel',
    type: 'openai',
    priority: 0,
    weight: 1,
    models,
    retry: 1,
    secret: state.channelSecret,
    endpoint: state.mockUrl,
    mapper: '',
    state: true,
    group: [],
    proxy: { proxy: '', proxy_type: 0, username: '', password: '' },
  };
}

const chargeRule = (models: string[]): Input => ({
  id: -1,
  type: 'token-billing',
  models,
  input: 0.001,
  output: 0.002,
  anonymous: false,
});

/** A valid body (POST) or query (GET) for a known route; {} for an unknown one. */
export function baseInput(method: string, path: string, state: FuzzState): Input {
  const password = 'fuzz-password-1';
  const bodies: Record<string, Input> = {
    'POST /login': { username: state.username, password: 'not-the-password' },
    'POST /register': { username: 'fuzzreg', password, email: 'fuzzreg@example.com' },
    'POST /verify': { email: 'fuzz@example.com' },
    'POST /reset': { email: 'fuzz@example.com', code: '123456', password },
    'POST /subscribe': { level: 1, month: 1 },
    'POST /v1/chat/completions': {
      model: state.routableModel,
      messages: [{ role: 'user', content: 'hello' }],
      max_tokens: 8,
      stream: false,
    },
    'POST /admin/channel/create': channelBody(state, ['fuzz-other-model']),
    'POST /admin/channel/update/:id': channelBody(state, [state.routableModel]),
    'POST /admin/charge/set': chargeRule(['fuzz-priced-model']),
    'POST /admin/charge/sync': { overwrite: false, data: [chargeRule(['fuzz-synced-model'])] },
    'POST /admin/redeem/generate': { quota: 1, number: 1 },
    'POST /admin/invitation/generate': { type: 'fuzz', quota: 1, number: 1 },
    'POST /admin/redeem/delete': { code: 'nio-nothing' },
    'POST /admin/invitation/delete': { code: 'fuzz-nothing' },
    'POST /admin/plan/update': {
      data: [
        {
          level: 1,
          name: 'Basic',
          price: 1,
          items: [{ id: 'chat', name: 'Chat', icon: '', value: 10, models: [state.routableModel] }],
        },
      ],
    },
    'POST /admin/user/quota': { id: state.userId, quota: 1, override: false },
    'POST /admin/user/ban': { id: state.userId, ban: false },
    'POST /admin/user/password': { id: state.userId, password },
    'POST /admin/user/limit': { id: state.userId, rpm: null, tpm: null, concurrency: null },
    'POST /admin/config/update': {
      site: { title: 'Fuzz', announcement: 'hello', quota: 1 },
      mail: { host: '', port: 465 },
      billing: { default_output_tokens: 16, record_retention_days: 30 },
      cache: { models: [], expire: 60, size: 1 },
      limits: { rpm: 0, tpm: 0, concurrency: 0 },
    },
    'GET /admin/user/list': { page: 0, search: 'fuzz' },
    'GET /admin/user/limit': { id: state.userId },
    'GET /admin/redeem/list': { page: 0 },
    'GET /admin/invitation/list': { page: 0 },
    'GET /record/view': { page: 0, model: state.routableModel },
    'GET /admin/record/view': { page: 0, user: state.userId, model: state.routableModel },
    'GET /redeem': { code: 'nio-nothing' },
    'GET /invite': { code: 'fuzz-nothing' },
  };
  return structuredClone(bodies[`${method} ${path}`] ?? {});
}
