// End-to-end relay through the official openai client: streaming, non-streaming, failover,
// tools, usage, reasoning and parameter forwarding, against the real MySQL and Redis.
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { expectedContent } from '../ops/mock-provider/completion-plan.js';
import { createChannel, type Harness, harness, uniqueModel } from './support/harness.js';

describe('relay: chat completions', function () {
  this.timeout(20_000);
  let h: Harness;
  let client: OpenAI;

  before(async () => {
    h = await harness();
    client = new OpenAI({ apiKey: h.rootKey, baseURL: `${h.url}/v1`, maxRetries: 0 });
  });

  it('streams a completion that fails over from a failing high-priority channel', async () => {
    const model = uniqueModel('failover');
    await createChannel(h, {
      models: [model],
      priority: 10,
      retry: 2,
      endpoint: `${h.mock.url}/mock/fail=500`,
    });
    await createChannel(h, { models: [model], priority: 0, secret: 'sk-second-channel' });
    const before = h.mock.requests.length;
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'hello' }],
      stream: true,
    });
    let content = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      assert.equal(chunk.model, model);
      content += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(content, expectedContent(5));
    assert.equal(finish, 'stop');
    const seen = h.mock.requests
      .slice(before)
      .filter((r) => r.body && (r.body as { model?: string }).model === model);
    assert.deepEqual(
      seen.map((r) => r.status),
      [500, 500, 200],
      'the failing channel is tried twice (retry 2), then the next one once',
    );
    assert.equal(seen[2].authorization, 'sk-second-channel');
  });

  it('answers non-streamed requests with a chat.completion and usage', async () => {
    const model = uniqueModel('nonstream');
    await createChannel(h, { models: [model] });
    const completion = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'hello [[mock chunks=3]]' }],
    });
    assert.equal(completion.object, 'chat.completion');
    assert.match(completion.id, /^chatcmpl-/);
    assert.equal(completion.choices[0].message.content, expectedContent(3));
    assert.equal(completion.choices[0].finish_reason, 'stop');
    assert.ok(completion.usage && completion.usage.completion_tokens === 3);
    assert.equal(completion.usage.total_tokens, completion.usage.prompt_tokens + 3);
  });

  it('sends a usage chunk only when stream_options.include_usage is set', async () => {
    const model = uniqueModel('usage');
    await createChannel(h, { models: [model] });
    const collect = async (includeUsage: boolean) => {
      const stream = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      return chunks;
    };
    const withUsage = await collect(true);
    const last = withUsage[withUsage.length - 1];
    assert.deepEqual(last.choices, []);
    assert.equal(last.usage?.completion_tokens, 5);
    assert.ok(withUsage.slice(0, -1).every((chunk) => chunk.usage === null));
    const without = await collect(false);
    assert.ok(without.every((chunk) => chunk.usage === undefined && chunk.choices.length === 1));
    // The upstream is always asked for usage, whatever the client chose.
    const upstream = h.mock.requests.filter((r) => (r.body as { model?: string })?.model === model);
    assert.ok(
      upstream.every(
        (r) => (r.body as { stream_options?: { include_usage?: boolean } }).stream_options?.include_usage,
      ),
    );
  });

  it('streams tool calls and merges them by index when not streaming', async () => {
    const model = uniqueModel('tools');
    await createChannel(h, { models: [model] });
    const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } },
    ];
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'call_tool [[mock tool_count=2]]' }],
      tools,
      stream: true,
    });
    const calls = new Map<number, { name: string; args: string }>();
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta?.tool_calls ?? []) {
        const entry = calls.get(call.index) ?? { name: '', args: '' };
        entry.name += call.function?.name ?? '';
        entry.args += call.function?.arguments ?? '';
        calls.set(call.index, entry);
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(finish, 'tool_calls');
    assert.equal(calls.size, 2);
    for (const call of calls.values()) {
      assert.equal(call.name, 'get_weather');
      assert.doesNotThrow(() => JSON.parse(call.args));
    }
    const completion = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'call_tool [[mock tool_count=2]]' }],
      tools,
    });
    const message = completion.choices[0].message;
    assert.equal(completion.choices[0].finish_reason, 'tool_calls');
    assert.equal(message.content, null);
    assert.equal(message.tool_calls?.length, 2);
    for (const call of message.tool_calls ?? []) {
      assert.equal(call.type, 'function');
      assert.match(call.id, /^call_/);
      if (call.type === 'function')
        assert.deepEqual(Object.keys(JSON.parse(call.function.arguments)).length > 0, true);
    }
  });

  it('passes reasoning_content through', async () => {
    const model = uniqueModel('reasoning');
    await createChannel(h, { models: [model] });
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'think [[mock reasoning=3 chunks=2]]' }],
      stream: true,
    });
    let reasoning = '';
    let content = '';
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { reasoning_content?: string; content?: string } | undefined;
      reasoning += delta?.reasoning_content ?? '';
      content += delta?.content ?? '';
    }
    assert.equal(reasoning, 'r0 r1 r2 ');
    assert.equal(content, expectedContent(2));
  });

  it('forwards every client parameter, maps the model and picks a secret line', async () => {
    const model = uniqueModel('params');
    await createChannel(h, {
      models: ['upstream-name'],
      mapper: `${model}>upstream-name`,
      secret: 'sk-line-one\nsk-line-two',
    });
    const body = {
      model,
      messages: [{ role: 'user' as const, content: 'params' }],
      temperature: 0.3,
      top_p: 0.9,
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      seed: 42,
      n: 1,
      stop: ['END'],
      max_tokens: 50,
      max_completion_tokens: 60,
      response_format: { type: 'json_object' as const },
      tools: [{ type: 'function' as const, function: { name: 'f', parameters: { type: 'object' } } }],
      tool_choice: 'none' as const,
      user: 'end-user-7',
      logit_bias: { '50256': -100 },
      some_future_param: { nested: true },
    };
    await client.chat.completions.create(
      body as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming,
    );
    const recorded = await h.mock.waitFor((r) => (r.body as { user?: string })?.user === 'end-user-7');
    const sent = recorded.body as Record<string, unknown>;
    for (const [key, value] of Object.entries(body)) {
      if (key === 'model') continue;
      assert.deepEqual(sent[key], value, `parameter ${key} is forwarded`);
    }
    assert.equal(sent.model, 'upstream-name');
    assert.equal(sent.stream, true);
    assert.ok(['sk-line-one', 'sk-line-two'].includes(recorded.authorization ?? ''));
  });

  it('returns x-request-id and lists the models the key may use', async () => {
    const model = uniqueModel('listed');
    await createChannel(h, { models: [model] });
    const response = await fetch(`${h.url}/v1/models`, { headers: { authorization: `Bearer ${h.rootKey}` } });
    assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const models = await client.models.list();
    assert.ok(models.data.some((entry) => entry.id === model));
  });
});
