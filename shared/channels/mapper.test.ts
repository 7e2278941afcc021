// Unit tests for channel model mapping rules: parsing, served model names and upstream names.
import assert from 'node:assert/strict';
import { parseMapper, servedModels, upstreamModel } from './mapper.js';

describe('channels/mapper', () => {
  describe('parseMapper', () => {
    it('parses from>to rules', () => {
      assert.deepEqual(parseMapper('gpt-4>gpt-4-turbo'), [
        { from: 'gpt-4', to: 'gpt-4-turbo', hideTarget: false },
      ]);
    });

    it('parses !from>to as hiding the target', () => {
      assert.deepEqual(parseMapper('!gpt-4>gpt-4-0613'), [
        { from: 'gpt-4', to: 'gpt-4-0613', hideTarget: true },
      ]);
    });

    it('handles several lines, blank lines, surrounding spaces and CRLF', () => {
      const text = '\r\n  a > b  \r\n\r\n   \n! c >d\nx>y\r\n';
      assert.deepEqual(parseMapper(text), [
        { from: 'a', to: 'b', hideTarget: false },
        { from: 'c', to: 'd', hideTarget: true },
        { from: 'x', to: 'y', hideTarget: false },
      ]);
    });

    it('returns no rules for an empty mapper', () => {
      assert.deepEqual(parseMapper(''), []);
      assert.deepEqual(parseMapper('\n\r\n  \n'), []);
    });

    it('drops malformed lines without a side', () => {
      assert.deepEqual(parseMapper('nomapping\n>to\nfrom>\n!>x\nok>fine'), [
        { from: 'ok', to: 'fine', hideTarget: false },
      ]);
    });
  });

  describe('servedModels', () => {
    it('serves the listed models plus every mapped source', () => {
      const served = servedModels(['gpt-4-turbo', 'gpt-3.5'], parseMapper('gpt-4>gpt-4-turbo'));
      assert.deepEqual([...served].sort(), ['gpt-3.5', 'gpt-4', 'gpt-4-turbo']);
    });

    it('hides the target of a ! rule', () => {
      const served = servedModels(['gpt-4-turbo', 'gpt-3.5'], parseMapper('!gpt-4>gpt-4-turbo'));
      assert.deepEqual([...served].sort(), ['gpt-3.5', 'gpt-4']);
    });

    it('returns a set without duplicates', () => {
      const served = servedModels(['a', 'a', 'b'], parseMapper('b>a'));
      assert.ok(served instanceof Set);
      assert.deepEqual([...served].sort(), ['a', 'b']);
    });

    it('serves only the listed models without rules', () => {
      assert.deepEqual([...servedModels(['m1', 'm2'], [])], ['m1', 'm2']);
      assert.equal(servedModels([], []).size, 0);
    });
  });

  describe('upstreamModel', () => {
    const rules = parseMapper('gpt-4>gpt-4-turbo\n!claude>claude-3-opus');

    it('maps a source to its target', () => {
      assert.equal(upstreamModel('gpt-4', rules), 'gpt-4-turbo');
      assert.equal(upstreamModel('claude', rules), 'claude-3-opus');
    });

    it('passes unmapped models through', () => {
      assert.equal(upstreamModel('gpt-3.5', rules), 'gpt-3.5');
      assert.equal(upstreamModel('gpt-4-turbo', rules), 'gpt-4-turbo');
      assert.equal(upstreamModel('x', []), 'x');
    });

    it('uses the first matching rule', () => {
      assert.equal(upstreamModel('a', parseMapper('a>b\na>c')), 'b');
    });
  });
});
