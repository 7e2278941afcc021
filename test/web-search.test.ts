// Web search against a local fake SearXNG: results become a system message with the time,
// for the relay's `web-` prefix and the web chat's `web: true`; a failing, slow or HTML
// search is said in that message and the chat goes on; admins can test the search.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { searchUrl, searchWeb } from '../shared/search/searxng.js';
import { searchSettings } from '../shared/settings/schema.js';
import { ChatClient } from './support/chat-client.js';
import { createChannel, type Harness, harness, postJson, uniqueModel } from './support/harness.js';
import { createPayingUser } from './support/users.js';

type Mode = 'ok' | 'html' | 'error' | 'hang';

async function fakeSearxng(): Promise<{
  url: string;
  mode: (m: Mode) => void;
  queries: string[];
  close(): Promise<void>;
}> {
  let mode: Mode = 'ok';
  const queries: string[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://fake');
    queries.push(url.search);
    if (mode === 'hang') return;
    if (mode === 'error') return void response.writeHead(500).end('oops');
    if (mode === 'html')
      return void response.writeHead(200, { 'content-type': 'text/html' }).end('<html>blocked</html>');
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        query: url.searchParams.get('q'),
        results: [
          { url: 'https://example.com/a', title: 'Result A', content: 'The answer is 42.' },
          { url: 'https://example.com/b', title: '', content: 'no title: skipped' },
        ],
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/search`,
    mode: (next) => {
      mode = next;
    },
    queries,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('web search', function () {
  this.timeout(30_000);
  let h: Harness;
  let fake: Awaited<ReturnType<typeof fakeSearxng>>;
  let model: string;

  before(async () => {
    h = await harness();
    fake = await fakeSearxng();
    model = uniqueModel('searching');
    await createChannel(h, { models: [model] });
    await postJson(
      h.url,
      '/admin/charge/set',
      { id: -1, type: 'non-billing', models: [model] },
      { authorization: h.rootToken },
    );
    const update = await postJson(
      h.url,
      '/admin/config/update',
      { search: { endpoint: fake.url, engines: ['duckduckgo', 'wikipedia'], safe_search: 1 } },
      { authorization: h.rootToken },
    );
    assert.equal(update.status, true, JSON.stringify(update));
  });

  after(async () => {
    await postJson(
      h.url,
      '/admin/config/update',
      { search: { endpoint: '' } },
      { authorization: h.rootToken },
    );
    await fake.close();
  });

  const systemMessageOf = async () => {
    const upstream = h.mock.requests.filter((r) => (r.body as { model?: string })?.model === model).at(-1);
    assert.ok(upstream, 'the upstream was called');
    const messages = (upstream.body as { messages: { role: string; content: string }[] }).messages;
    assert.equal(messages[0].role, 'system');
    return messages[0].content;
  };

  it('builds SearXNG queries as Chat Nio does and times out cleanly', async () => {
    const settings = searchSettings.parse({
      endpoint: fake.url,
      engines: ['a', 'b'],
      safe_search: 2,
      image_proxy: true,
    });
    const url = new URL(searchUrl(settings, 'what is up'));
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      q: 'what is up',
      format: 'json',
      safesearch: '2',
      engines: 'a,b',
      image_proxy: 'true',
    });
    fake.mode('hang');
    assert.deepEqual(await searchWeb(settings, 'slow', 300), { ok: false, error: 'the search timed out' });
    fake.mode('ok');
  });

  it('puts the results first for a web- model on the relay, with the time', async () => {
    const user = await createPayingUser(1, 'searcher');
    const response = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: `web-${model}`,
        messages: [{ role: 'user', content: 'What is the answer?' }],
      }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    const system = await systemMessageOf();
    assert.match(system, /Current time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    assert.match(system, /Result A \(https:\/\/example\.com\/a\): The answer is 42\./);
    assert.doesNotMatch(system, /skipped/);
    assert.match(
      fake.queries.at(-1) ?? '',
      /q=What\+is\+the\+answer%3F.*format=json.*safesearch=1.*engines=duckduckgo%2Cwikipedia/,
    );
  });

  it('says in the system message when the search fails or answers HTML, and the chat goes on', async () => {
    const client = await ChatClient.connect(h.url, { token: h.rootToken, id: -1 });
    for (const [mode, said] of [
      ['html', /search failed: the search service did not answer JSON/],
      ['error', /search failed: the search service answered HTTP 500/],
    ] as const) {
      fake.mode(mode);
      const frames = await client.turn({
        type: 'chat',
        message: 'Search this [[mock chunks=2]]',
        model,
        web: true,
      });
      assert.equal(frames.at(-1)?.end, true);
      assert.ok(
        frames.some((frame) => frame.message === 'w0 '),
        JSON.stringify(frames),
      );
      const system = await systemMessageOf();
      assert.match(system, said);
      assert.doesNotMatch(system, /127\.0\.0\.1/, 'no host in what is said');
    }
    fake.mode('ok');
    client.ws.close();
  });

  it('lets admins test the search', async () => {
    const answer = await fetch(`${h.url}/admin/config/test/search?query=hello`, {
      headers: { authorization: h.rootToken },
    });
    const body = (await answer.json()) as { status: boolean; result: string };
    assert.equal(body.status, true);
    assert.match(body.result, /Result A/);
  });
});
