// Unit tests for images in web-chat messages: found in markdown, data URIs and links, sent as
// image parts to vision families only.
import assert from 'node:assert/strict';
import { isVisionModel, toVisionContent } from './vision.js';

const fragments = ['gpt-4o', 'claude-3', 'gemini'];

describe('relay/vision', () => {
  it('recognises vision models by family, not by exact name', () => {
    assert.equal(isVisionModel('gpt-4o-mini-2024-07-18', fragments), true);
    assert.equal(isVisionModel('Claude-3-5-Sonnet', fragments), true);
    assert.equal(isVisionModel('gemini-2.0-flash', fragments), true);
    assert.equal(isVisionModel('gpt-3.5-turbo', fragments), false);
  });

  it('turns markdown images, data URIs and image links into parts, keeping the text', () => {
    const data = 'data:image/png;base64,iVBORw0KGgo=';
    assert.deepEqual(
      toVisionContent(
        `What is this? ![cat](https://x.test/cat.png) and ${data} and https://x.test/d.jpg?s=1`,
      ),
      [
        { type: 'text', text: 'What is this?  and  and' },
        { type: 'image_url', image_url: { url: 'https://x.test/cat.png' } },
        { type: 'image_url', image_url: { url: data } },
        { type: 'image_url', image_url: { url: 'https://x.test/d.jpg?s=1' } },
      ],
    );
  });

  it('keeps a message without images as it is', () => {
    assert.equal(toVisionContent('see https://x.test/page for more'), 'see https://x.test/page for more');
  });
});
