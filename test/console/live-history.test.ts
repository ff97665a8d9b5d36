// The console in real Chromium against a real gateway on loopback: the live list and a live transcript of a call
// placed by the simulator, then that call's record (transcript, latency chart) once it has ended; and the API key
// asked for once when the server has one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { createEchoAgent } from '../../src/agent/kinds/echo.js';
import { startE2eGateway } from '../helpers/e2e-call.js';
import { collectPageErrors, launchChromium } from '../helpers/chromium.js';
import { startConsoleGateway, type ConsoleGateway } from '../helpers/console-gateway.js';
import { concat, silence, synthesize } from '../helpers/speech.js';

const WAIT = { timeout: 60_000 };
const HOURS_REPLY = "We're open Monday to Saturday";
let gateway: ConsoleGateway;
let browser: Browser;
let page: Page;
let errors: string[];
let callSid: string;

before(async () => {
  [gateway, browser] = await Promise.all([startConsoleGateway(), launchChromium()]);
  page = await browser.newPage();
  errors = collectPageErrors(page);
});

after(async () => {
  await browser?.close();
  await gateway?.close();
});

describe('the console in Chromium', { concurrency: false }, () => {
  it('lists a live call placed by the simulator and follows its transcript as the turns arrive', async () => {
    const question = concat(await synthesize('what are your opening hours', 8000, 'rms'), silence(300, 8000));
    await page.goto(gateway.consoleUrl);
    await page.getByText('No calls right now').waitFor(WAIT);

    const call = await gateway.dial({ from: '09811122233' });
    callSid = call.callSid;
    const row = page.locator(`tr[data-call-id="${callSid}"]`);
    await row.waitFor(WAIT);
    assert.match(await row.innerText(), /09811122233\s+front-desk\s+incoming\s+\d+:\d\d\s+(connected|streaming)/);

    await row.getByRole('button').click();
    await page.locator('ol.transcript li.agent', { hasText: 'Sharma Electronics' }).waitFor(WAIT);
    // The greeting heard to its end, the caller asks (not over it: barge-in is not what this test is about).
    await call.waitFor('markEchoed', { predicate: (m) => m.name === 'r1.1', timeoutMs: 30_000 });
    void call.sendAudio(question);
    await page.locator('ol.transcript li.caller', { hasText: 'what are your opening hours' }).waitFor(WAIT);
    await page.locator('ol.transcript li.agent', { hasText: HOURS_REPLY }).waitFor(WAIT);

    // Hang up from the console: the live-call control route ends the call as a bot hang-up.
    await page.getByRole('button', { name: 'Hang up' }).click();
    await page.getByText('This call has ended').waitFor(WAIT);
    await row.waitFor({ state: 'detached', ...WAIT });
    assert.deepEqual(errors, []);
    await gateway.store.flush();
    assert.equal((await gateway.store.get(callSid))?.endReason, 'bot-hangup');
  });

  it("shows a finished call in the history, filtered by agent, and its detail page's transcript and latency chart", async () => {
    await gateway.store.flush();
    await page.goto(`${gateway.consoleUrl}#/history`);
    const rows = page.locator('table[aria-label="Calls"] tbody tr');
    await rows.first().waitFor(WAIT);
    await page.getByLabel('Agent').fill('echo');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No calls match.').waitFor(WAIT);
    await page.getByLabel('Agent').fill('front-desk');
    await page.getByRole('button', { name: 'Filter' }).click();
    await rows.first().waitFor(WAIT);
    assert.match(await rows.first().innerText(), /09811122233\s+front-desk\s+inbound\s+completed/);

    await rows.first().getByRole('link').click();
    await page.getByRole('heading', { name: `Call ${callSid}` }).waitFor(WAIT);
    const transcript = page.locator('ol.transcript');
    await transcript.locator('li.caller', { hasText: 'what are your opening hours' }).waitFor(WAIT);
    assert.match(await transcript.locator('li.agent', { hasText: HOURS_REPLY }).locator('.turn-meta').innerText(), /Agent · \+\d+\.\d\s+s · \d+\.\d s/);

    // The chart is drawn (uPlot's canvas and legend), with the four stages of the one answered turn.
    await page.locator('.chart .uplot canvas').waitFor(WAIT);
    const legend = await page.locator('.chart .u-legend').innerText();
    for (const stage of ['End of speech detected', 'Recognised', 'Reply ready', 'First audio frame sent']) assert.ok(legend.includes(stage), legend);
    const cells = await page.locator('table[aria-label="Latency per turn"] tbody tr').first().locator('td').allInnerTexts();
    assert.equal(cells[1], 'what are your opening hours');
    const [endOfSpeech, recognised, replyReady, firstFrame] = cells.slice(2).map(Number);
    assert.ok(endOfSpeech >= 0 && endOfSpeech <= recognised && recognised <= replyReady && replyReady <= firstFrame, cells.join(' '));
    assert.deepEqual(errors, []);
  });

  it('asks for the API key once, keeps it for the tab, and sends it with every data request', async () => {
    const key = 'console-test-key-0123456789';
    const keyed = await startE2eGateway({ env: { API_KEY: key }, agents: [createEchoAgent()] });
    const context = await browser.newContext();
    try {
      const p = await context.newPage();
      const sent: (string | undefined)[] = [];
      p.on('request', (r) => r.url().includes('/console/events') && sent.push(r.headers().authorization));
      await p.goto(`${keyed.base}/console/`);
      const dialog = p.getByRole('dialog', { name: 'API key' });
      await dialog.waitFor(WAIT);
      await dialog.getByLabel('API key').fill('wrong-key');
      await dialog.getByRole('button', { name: 'Continue' }).click();
      await p.getByText('That key was refused.').waitFor(WAIT);
      await dialog.getByLabel('API key').fill(key);
      await dialog.getByRole('button', { name: 'Continue' }).click();
      await p.getByText('No calls right now').waitFor(WAIT);
      await p.reload();
      await p.getByText('No calls right now').waitFor(WAIT);
      assert.equal(await dialog.count(), 0, 'asked once per tab');
      assert.equal(sent.at(-1), `Bearer ${key}`);
      assert.ok(!p.url().includes(key), 'never in the URL');
    } finally {
      await context.close();
      await keyed.close();
    }
  });
});
