// Client cancellation: closing the connection cancels the job and the worker aborts the
// upstream request (the mock sees its connection closed), for streamed and non-streamed calls.
import assert from 'node:assert/strict';
import { createChannel, type Harness, harness, uniqueModel } from './support/harness.js';
import { readUntil } from './support/processes.js';

describe('relay: client cancellation', function () {
  this.timeout(20_000);
  let h: Harness;

  before(async () => {
    h = await harness();
  });

  const post = (model: string, stream: boolean, signal: AbortSignal) =>
    fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.rootKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: `cancel ${model}` }] }),
      signal,
    });
  const upstreamOf = (model: string) => (r: { body: unknown }) =>
    (r.body as { model?: string })?.model === model;

  it('closing a stream mid-way aborts the upstream request within a second', async () => {
    const model = uniqueModel('cancel-stream');
    await createChannel(h, { models: [model], endpoint: `${h.mock.url}/mock/chunks=100&delay=100` });
    const controller = new AbortController();
    const response = await post(model, true, controller.signal);
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    const text = await readUntil(reader, (t) => t.includes('"content":"w1 "'));
    assert.match(text, /w0 /);
    controller.abort();
    const recorded = await h.mock.waitFor((r) => upstreamOf(model)(r) && r.aborted, 2000);
    assert.equal(recorded.completed, false);
  });

  it('a client that leaves a non-streamed request aborts the upstream too', async () => {
    const model = uniqueModel('cancel-json');
    await createChannel(h, { models: [model], endpoint: `${h.mock.url}/mock/chunks=100&delay=100` });
    const controller = new AbortController();
    const pending = post(model, false, controller.signal).catch((error: Error) => error);
    await h.mock.waitFor(upstreamOf(model), 3000);
    controller.abort();
    assert.ok((await pending) instanceof Error);
    await h.mock.waitFor((r) => upstreamOf(model)(r) && r.aborted, 2000);
  });
});
