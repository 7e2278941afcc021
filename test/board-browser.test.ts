// Bull Board in a real browser (Debian's Chromium through playwright-core): refused without
// a session, usable after signing in as root on /admin/queues/login.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { testEnvironment } from './support/environment.js';
import { createChannel, type Harness, harness, uniqueModel } from './support/harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('Bull Board in a browser', function () {
  this.timeout(60_000);
  let h: Harness;
  let browser: Browser;

  before(async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `Chromium is needed at ${CHROMIUM} (apt-get install chromium; .ci/run does it)`,
    );
    h = await harness();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  after(async () => {
    await browser?.close();
  });

  it('refuses without a session and renders the queues for root after signing in', async () => {
    const page = await browser.newPage();
    const refused = await page.goto(`${h.url}/admin/queues`);
    assert.equal(refused?.status(), 401);
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('Username or email').fill('root');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('invalid username or password').waitFor();
    await page.getByLabel('Password').fill(testEnvironment.ROOT_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${h.url}/admin/queues`);
    await page.getByText('Chat Nio queues').first().waitFor({ timeout: 15_000 });
    await page.getByText('chat', { exact: true }).first().waitFor({ timeout: 15_000 });
    const cookies = await page.context().cookies(`${h.url}/admin/queues`);
    const session = cookies.find((cookie) => cookie.name === 'chatnio_session');
    assert.ok(session?.httpOnly && session.sameSite === 'Strict' && session.path === '/admin/queues');
    const model = uniqueModel('board-browser');
    await createChannel(h, { models: [model] });
    const relay = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.rootKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    await relay.text();
    await page.goto(`${h.url}/admin/queues/queue/chat?status=completed`);
    await page.getByText(`chat ${model} stream`).first().waitFor({ timeout: 15_000 });
    if (process.env.BOARD_SCREENSHOT)
      await page.screenshot({ path: process.env.BOARD_SCREENSHOT, fullPage: true });
  });
});
