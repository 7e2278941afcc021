// Mocha root hooks: the test environment is set before any test file loads the config,
// and the shared gateway (if a test started it) is torn down and cleaned up at the end.
import './support/environment.js';
import { stopHarness } from './support/harness.js';

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    await stopHarness();
  },
};
