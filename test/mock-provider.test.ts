// Tests for the mock upstream AI provider (ops/mock-provider): wire format, controls, failures, recording.
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { expectedContent } from '../ops/mock-provider/completion-plan.js';
import { type MockProvider, startMockProvider } from '../ops/mock-provider/server.js';

interface ChunkChoice {
  index: number;
  delta: {
    role?: string;
    content?: string | null;
    reasoning_content?: string;
    tool_calls?: {
      index: number;
      id?: string;
      type?: string;
      function: { name?: string; arguments: string };
    }[];
  };
  finish_reason: string | null;
}

interface Chunk {
  id: string;
  object: string;
  model: string;
  choices: ChunkChoice[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

const userMessage = (content: string) => [{ role: 'user', content }];

function dataLines(text: string): string[] {
  return text
    .split('\n\n')
    .filter((frame) => frame.startsWith('data: '))
    .map((frame) => frame.slice(6));
}

function parseChunks(text: string): Chunk[] {
  return dataLines(text)
    .filter((line) => line !== '[DONE]')
    .map((line) => JSON.parse(line) as Chunk);
}

function joinContent(chunks: Chunk[], choiceIndex = 0): string {
  let content = '';
  for (const chunk of chunks) {
    for (const choice of chunk.choices) {
      if (choice.index === choiceIndex && typeof choice.delta.content === 'string')
        content += choice.delta.content;
    }
  }
  return content;
}

describe('mock provider', () => {
  let provider: MockProvider;

  const chat = (
    body: Record<string, unknown>,
    options: { path?: string; headers?: Record<string, string> } = {},
  ) =>
    fetch(`${provider.url}${options.path ?? '/v1/chat/completions'}`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json', ...options.headers },
      body: JSON.stringify(body),
    });

  before(async () => {
    provider = await startMockProvider({ port: 0 });
  });

  after(async () => {
    await provider.close();
  });

  beforeEach(() => provider.reset());

  it('returns an OpenAI chat.completion with usage', async () => {
    const response = await chat({ model: 'gpt-4o', messages: userMessage('hello there mock') });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    const json = await response.json();
    assert.equal(json.object, 'chat.completion');
    assert.match(json.id, /^chatcmpl-/);
    assert.equal(json.model, 'gpt-4o');
    assert.equal(json.system_fingerprint, 'fp_mock');
    assert.deepEqual(json.choices, [
      {
        index: 0,
        message: { role: 'assistant', content: expectedContent(5), refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ]);
    assert.equal(json.usage.prompt_tokens, 6);
    assert.equal(json.usage.completion_tokens, 5);
    assert.equal(json.usage.total_tokens, 11);
  });

  it('streams chunks ending with [DONE]; usage chunk only with include_usage', async () => {
    const response = await chat({ model: 'gpt-4o-mini', stream: true, messages: userMessage('hi') });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const text = await response.text();
    assert.ok(text.endsWith('data: [DONE]\n\n'));
    const chunks = parseChunks(text);
    assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '' });
    assert.equal(joinContent(chunks), 'w0 w1 w2 w3 w4 ');
    const last = chunks.at(-1)!;
    assert.deepEqual(last.choices[0].delta, {});
    assert.equal(last.choices[0].finish_reason, 'stop');
    assert.ok(
      chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.model === 'gpt-4o-mini'),
    );
    assert.ok(chunks.every((chunk) => chunk.usage === undefined));

    const withUsage = await chat({
      model: 'gpt-4o',
      stream: true,
      stream_options: { include_usage: true },
      messages: userMessage('hi [[mock chunks=3]]'),
    });
    const usageChunks = parseChunks(await withUsage.text());
    const usageChunk = usageChunks.at(-1)!;
    assert.deepEqual(usageChunk.choices, []);
    assert.equal(usageChunk.usage?.completion_tokens, 3);
    assert.equal(usageChunk.usage?.total_tokens, usageChunk.usage!.prompt_tokens + 3);
    assert.equal(joinContent(usageChunks), expectedContent(3));
  });

  it('interleaves n choices and emits reasoning before content', async () => {
    const response = await chat({
      stream: true,
      n: 2,
      messages: userMessage('[[mock chunks=2 reasoning=2 text=yo]]'),
    });
    const chunks = parseChunks(await response.text());
    assert.equal(joinContent(chunks, 0), 'yo yo ');
    assert.equal(joinContent(chunks, 1), 'yo yo ');
    const reasoning = chunks.map((chunk) => chunk.choices[0]?.delta.reasoning_content ?? '').join('');
    assert.equal(reasoning, 'r0 r0 r1 r1 ');
    const json = await (
      await chat({ n: 2, messages: userMessage('[[mock reasoning=1 finish=length]]') })
    ).json();
    assert.equal(json.choices.length, 2);
    assert.equal(json.choices[1].message.reasoning_content, 'r0 ');
    assert.equal(json.choices[1].finish_reason, 'length');
  });

  it('streams tool calls whose merged arguments are valid JSON', async () => {
    const tools = [
      { type: 'function', function: { name: 'lookup_weather', parameters: { type: 'object' } } },
    ];
    const response = await chat({ stream: true, tools, messages: userMessage('please call_tool now') });
    const chunks = parseChunks(await response.text());
    const first = chunks[0].choices[0].delta.tool_calls![0];
    assert.equal(first.function.name, 'lookup_weather');
    assert.equal(first.type, 'function');
    assert.match(first.id!, /^call_/);
    assert.equal(first.function.arguments, '');
    const argumentsByIndex: string[] = [];
    for (const chunk of chunks) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        argumentsByIndex[call.index] = (argumentsByIndex[call.index] ?? '') + call.function.arguments;
      }
    }
    assert.deepEqual(JSON.parse(argumentsByIndex[0]), { city: 'Paris', unit: 'c' });
    assert.ok(chunks.filter((chunk) => chunk.choices[0]?.delta.tool_calls).length > 2);
    assert.equal(chunks.at(-1)!.choices[0].finish_reason, 'tool_calls');

    const parallel = await chat({
      stream: true,
      tools,
      messages: userMessage('[[mock tools=1 tool_count=2]]'),
    });
    const parallelArguments: string[] = [];
    for (const chunk of parseChunks(await parallel.text())) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        parallelArguments[call.index] = (parallelArguments[call.index] ?? '') + call.function.arguments;
      }
    }
    assert.equal(parallelArguments.length, 2);
    assert.equal(JSON.parse(parallelArguments[1]).city, 'London');

    const plain = await chat({ tools, tool_choice: 'none', messages: userMessage('call_tool') });
    assert.equal((await plain.json()).choices[0].message.content, expectedContent(5));

    const nonStream = await (await chat({ tools, messages: userMessage('call_tool') })).json();
    const message = nonStream.choices[0].message;
    assert.equal(message.content, null);
    assert.equal(message.tool_calls[0].function.name, 'lookup_weather');
    assert.deepEqual(JSON.parse(message.tool_calls[0].function.arguments), { city: 'Paris', unit: 'c' });
    assert.equal(nonStream.choices[0].finish_reason, 'tool_calls');
  });

  it('fails with 429 and retry-after headers', async () => {
    const response = await chat(
      { messages: userMessage('hi') },
      { headers: { 'x-mock-control': 'fail=429&retry_after=0.2' } },
    );
    assert.equal(response.status, 429);
    assert.equal(response.headers.get('retry-after'), '0.2');
    assert.equal(response.headers.get('retry-after-ms'), '200');
    const json = await response.json();
    assert.equal(json.error.type, 'rate_limit_exceeded');
    assert.equal(json.error.param, null);
    assert.equal(typeof json.error.message, 'string');
  });

  it('fails with 500 through a path prefix', async () => {
    const response = await chat(
      { messages: userMessage('hi') },
      { path: '/mock/fail=500/v1/chat/completions' },
    );
    assert.equal(response.status, 500);
    assert.equal((await response.json()).error.type, 'server_error');
    assert.equal(provider.requests[0].failure, 'fail=500');
  });

  it('fails only the first fail_count requests of a key', async () => {
    const control = { 'x-mock-control': 'fail=503&fail_count=2&key=flaky' };
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const response = await chat({ messages: userMessage('hi') }, { headers: control });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    assert.deepEqual(statuses, [503, 503, 200, 200]);
    const otherKey = await chat(
      { messages: userMessage('hi') },
      { headers: { 'x-mock-control': 'fail=503&fail_count=1&key=other' } },
    );
    assert.equal(otherKey.status, 503);
    provider.reset();
    const afterReset = await chat({ messages: userMessage('hi') }, { headers: control });
    assert.equal(afterReset.status, 503);
  });

  it('merges controls from path prefix, header and message directive (later wins)', async () => {
    const viaPath = await chat(
      { stream: true, messages: userMessage('hi') },
      { path: '/mock/chunks=3%26delay=1/v1/chat/completions' },
    );
    assert.equal(joinContent(parseChunks(await viaPath.text())), expectedContent(3));

    const viaSemicolons = await chat(
      { messages: userMessage('hi') },
      { path: '/mock/chunks=2;text=hey/v1/chat/completions' },
    );
    assert.equal((await viaSemicolons.json()).choices[0].message.content, 'hey hey ');

    const viaHeader = await chat(
      { messages: userMessage('hi') },
      { path: '/mock/chunks=3/v1/chat/completions', headers: { 'x-mock-control': 'chunks=4' } },
    );
    assert.equal((await viaHeader.json()).choices[0].message.content, expectedContent(4));

    const viaDirective = await chat(
      {
        messages: [
          ...userMessage('old [[mock chunks=9]]'),
          { role: 'assistant', content: 'x' },
          ...userMessage('[[mock chunks=1]] go'),
        ],
      },
      { path: '/mock/chunks=3/v1/chat/completions', headers: { 'x-mock-control': 'chunks=4' } },
    );
    assert.equal((await viaDirective.json()).choices[0].message.content, expectedContent(1));
    assert.equal(provider.requests.at(-1)!.controls?.chunks, 1);
  });

  it('reset=before destroys the socket without a response', async () => {
    await assert.rejects(chat({ messages: userMessage('[[mock reset=before]]') }));
    const record = await provider.waitFor((request) => request.closedAt !== undefined);
    assert.equal(record.failure, 'reset=before');
    assert.equal(record.aborted, false);
    assert.equal(record.completed, false);
  });

  it('reset=mid sends some chunks then destroys the socket', async () => {
    const response = await chat({ stream: true, messages: userMessage('[[mock reset=mid reset_after=2]]') });
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    await assert.rejects(async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        received += decoder.decode(value, { stream: true });
      }
    });
    assert.equal(joinContent(parseChunks(received)), 'w0 w1 ');
    assert.ok(!received.includes('[DONE]'));
  });

  it('garbage=mid sends a non-JSON frame and ends without [DONE]', async () => {
    const response = await chat({
      stream: true,
      messages: userMessage('[[mock garbage=mid reset_after=1]]'),
    });
    const text = await response.text();
    const lines = dataLines(text);
    assert.equal(lines.at(-1), '{not json!!');
    assert.ok(!lines.includes('[DONE]'));
    assert.equal(joinContent(parseChunks(text.replace('data: {not json!!\n\n', ''))), 'w0 ');
  });

  it('hang=before keeps the request open until the client aborts', async () => {
    const controller = new AbortController();
    const aborting = fetch(`${provider.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'x-mock-control': 'hang=before&key=abort-me' },
      body: JSON.stringify({ messages: userMessage('hi') }),
      signal: controller.signal,
    });
    await provider.waitFor((request) => request.controls?.key === 'abort-me');
    controller.abort();
    await assert.rejects(aborting);
    const record = await provider.waitFor(
      (request) => request.controls?.key === 'abort-me' && request.aborted,
    );
    assert.equal(record.completed, false);
    assert.equal(record.status, undefined);
  });

  it('hang=mid stalls after some chunks until the client aborts', async () => {
    const controller = new AbortController();
    const response = await fetch(`${provider.url}/mock/hang=mid%26reset_after=1/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k' },
      body: JSON.stringify({ stream: true, messages: userMessage('hi') }),
      signal: controller.signal,
    });
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    let received = '';
    while (!received.includes('w0 ')) received += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const record = await provider.waitFor((request) => request.aborted);
    assert.equal(record.status, 200);
    assert.equal(record.failure, 'hang=mid');
  });

  it('first= delays the response but completes', async () => {
    const started = Date.now();
    const response = await chat({
      stream: true,
      messages: userMessage('[[mock first=30 delay=2 chunks=3]]'),
    });
    assert.equal(joinContent(parseChunks(await response.text())), expectedContent(3));
    assert.ok(Date.now() - started >= 20);
    const json = await (await chat({ messages: userMessage('[[mock first=10]]') })).json();
    assert.equal(json.choices[0].message.content, expectedContent(5));
  });

  it('requires a bearer key and honours fail=401', async () => {
    const missing = await fetch(`${provider.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ messages: userMessage('hi') }),
    });
    assert.equal(missing.status, 401);
    assert.deepEqual(Object.keys((await missing.json()).error), ['message', 'type', 'param', 'code']);
    const rejected = await chat({ messages: userMessage('[[mock fail=401]]') });
    assert.equal(rejected.status, 401);
    assert.equal((await rejected.json()).error.code, 'invalid_api_key');
  });

  it('records body, authorization and headers; exposes /__mock routes', async () => {
    const body = { model: 'gpt-4o', messages: userMessage('record me') };
    await (await chat(body, { headers: { 'x-extra': 'yes' } })).arrayBuffer();
    const record = provider.requests[0];
    assert.equal(record.authorization, 'sk-test');
    assert.deepEqual(record.body, body);
    assert.equal(record.headers['x-extra'], 'yes');
    assert.equal(record.path, '/v1/chat/completions');
    assert.equal(record.completed, true);
    assert.equal(record.status, 200);

    const listed = await (await fetch(`${provider.url}/__mock/requests`)).json();
    assert.equal(listed.length, 1);
    assert.deepEqual(listed[0].body, body);
    assert.equal((await fetch(`${provider.url}/__mock/reset`, { method: 'POST' })).status, 200);
    assert.equal(provider.requests.length, 0);
  });

  it('serves models, 404 for unknown routes and 400 for invalid JSON', async () => {
    const models = await (
      await fetch(`${provider.url}/v1/models`, { headers: { authorization: 'Bearer k' } })
    ).json();
    assert.equal(models.object, 'list');
    assert.ok(
      models.data.some(
        (model: { id: string; owned_by: string }) => model.id === 'gpt-4o' && model.owned_by === 'mock',
      ),
    );
    const unknown = await fetch(`${provider.url}/v1/nope`, { headers: { authorization: 'Bearer k' } });
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json()).error.type, 'invalid_request_error');
    const invalid = await fetch(`${provider.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k' },
      body: '{nope',
    });
    assert.equal(invalid.status, 400);
    assert.equal(provider.requests.at(-1)!.body, null);
  });

  it('works with the official openai client (stream and non-stream)', async () => {
    const client = new OpenAI({ apiKey: 'sk-client', baseURL: `${provider.url}/v1`, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.equal(completion.choices[0].message.content, expectedContent(5));
    assert.equal(completion.usage?.completion_tokens, 5);

    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: '[[mock chunks=4]]' }],
    });
    let content = '';
    let completionTokens = 0;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) completionTokens = chunk.usage.completion_tokens;
    }
    assert.equal(content, expectedContent(4));
    assert.equal(completionTokens, 4);
    assert.equal(provider.requests.at(-1)!.authorization, 'sk-client');

    await assert.rejects(
      client.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: '[[mock fail=429]]' }],
      }),
      (error: unknown) => error instanceof OpenAI.RateLimitError,
    );
  });

  it('close() does not hang on open requests; maxRecorded bounds the records', async () => {
    const small = await startMockProvider({ maxRecorded: 2 });
    for (let index = 0; index < 3; index++) {
      await fetch(`${small.url}/v1/models`, { headers: { authorization: 'Bearer k' } }).then((response) =>
        response.text(),
      );
    }
    assert.deepEqual(
      small.requests.map((request) => request.seq),
      [2, 3],
    );
    const hanging = fetch(`${small.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'x-mock-control': 'hang=before' },
      body: JSON.stringify({ messages: userMessage('hi') }),
    });
    await small.waitFor((request) => request.method === 'POST');
    await small.close();
    await assert.rejects(hanging);
  });
});
