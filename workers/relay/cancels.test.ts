// Unit tests for CancelRegistry: running requests, early cancels and shutdown aborts.
import assert from 'node:assert/strict';
import { CancelledError } from '../../shared/providers/upstream-error.js';
import { CancelRegistry } from './cancels.js';

describe('relay/CancelRegistry', () => {
  it('starts a request with a live signal and tracks its size', () => {
    const registry = new CancelRegistry();
    const controller = registry.start('req-1');
    assert.ok(controller);
    assert.equal(controller.signal.aborted, false);
    assert.equal(registry.size, 1);
    registry.finish('req-1');
    assert.equal(registry.size, 0);
  });

  it('cancel aborts a running request with a CancelledError reason', () => {
    const registry = new CancelRegistry();
    const controller = registry.start('req-1')!;
    const other = registry.start('req-2')!;
    registry.cancel('req-1');
    assert.equal(controller.signal.aborted, true);
    assert.ok(controller.signal.reason instanceof CancelledError);
    assert.equal(other.signal.aborted, false);
  });

  it('cancel uses a given reason', () => {
    const registry = new CancelRegistry();
    const controller = registry.start('req-1')!;
    const reason = new Error('shutting down');
    registry.cancel('req-1', reason);
    assert.equal(controller.signal.reason, reason);
  });

  it('a cancel heard before start makes start return null', () => {
    const registry = new CancelRegistry();
    registry.cancel('queued');
    assert.equal(registry.start('queued'), null);
    assert.equal(registry.size, 0);
    assert.ok(registry.start('other'));
  });

  it('a finished request is no longer aborted by cancel', () => {
    const registry = new CancelRegistry();
    const controller = registry.start('req-1')!;
    registry.finish('req-1');
    registry.cancel('req-1');
    assert.equal(controller.signal.aborted, false);
  });

  it('finish of an unknown id is harmless', () => {
    const registry = new CancelRegistry();
    registry.finish('nope');
    assert.equal(registry.size, 0);
  });

  it('cancelAll aborts every running request with the reason', () => {
    const registry = new CancelRegistry();
    const controllers = ['a', 'b', 'c'].map((id) => registry.start(id)!);
    registry.finish('b');
    const reason = new CancelledError();
    registry.cancelAll(reason);
    assert.equal(controllers[0].signal.reason, reason);
    assert.equal(controllers[1].signal.aborted, false);
    assert.equal(controllers[2].signal.reason, reason);
  });

  it('remembers many early cancels', () => {
    const registry = new CancelRegistry();
    for (let i = 0; i < 1500; i++) registry.cancel(`early-${i}`);
    assert.equal(registry.start('early-0'), null);
    assert.equal(registry.start('early-1499'), null);
    assert.ok(registry.start('fresh'));
  });
});
