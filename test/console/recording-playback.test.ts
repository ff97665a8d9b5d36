// The console's recording player in real Chromium against a real gateway recording calls (RECORD_CALLS=on): a call
// placed by the simulator is recorded, its page shows the waveform, the audio plays to `ended`, and the transcript
// turns are highlighted in turn as it plays.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { collectPageErrors, launchChromium } from '../helpers/chromium.js';
import { startConsoleGateway, type ConsoleGateway } from '../helpers/console-gateway.js';
import { concat, silence, synthesize } from '../helpers/speech.js';

const WAIT = { timeout: 60_000 };
let gateway: ConsoleGateway;
let browser: Browser;
let page: Page;
let errors: string[];

/** Polls an expression in the page (waitForFunction would need 'unsafe-eval', which the console's CSP refuses). */
async function pageUntil(expression: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  [gateway, browser] = await Promise.all([startConsoleGateway({ env: { RECORD_CALLS: 'on' } }), launchChromium()]);
  page = await browser.newPage();
  errors = collectPageErrors(page);
});

after(async () => {
  await browser?.close();
  await gateway?.close();
});

it('plays a recorded call to its end with its waveform, highlighting the transcript turns as they play', async () => {
  const question = concat(await synthesize('what are your opening hours', 8000, 'rms'), silence(300, 8000));
  const call = await gateway.dial({ from: '09811122244' });
  await call.waitFor('markEchoed', { predicate: (m) => m.name === 'r1.1', timeoutMs: 30_000 });
  await call.sendAudio(question);
  const agentTurns = async () => ((await gateway.store.get(call.callSid))?.transcript ?? []).filter((t) => t.role === 'agent' && t.endedAt !== null);
  for (let i = 0; i < 300 && (await agentTurns()).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal((await agentTurns()).length, 2, 'the greeting and the answer');
  await call.hangup();
  let status = 0;
  for (let i = 0; i < 100 && status !== 200; i++) {
    status = (await fetch(`${gateway.base}/calls/${call.callSid}/recording`)).status;
    if (status !== 200) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(status, 200, 'the recording is kept once the call ends');
  const record = (await gateway.store.get(call.callSid))!;

  await page.goto(`${gateway.consoleUrl}#/calls/${call.callSid}`);
  const audio = page.locator('audio[aria-label="Call recording"]');
  await audio.waitFor({ state: 'attached', ...WAIT });
  // Page scripts as strings: the tests compile without the DOM's types.
  await pageUntil('(document.querySelector("audio")?.readyState ?? 0) >= 1');
  const duration = (await page.evaluate('document.querySelector("audio").duration')) as number;
  const mediaSec = (record.durations.mediaMs ?? 0) / 1000;
  assert.ok(Math.abs(duration - mediaSec) < 1, `recording ${duration} s, call media ${mediaSec} s`);
  // The waveform is drawn: both lanes (caller above, agent below) have ink.
  const inked = (await page.evaluate(`(() => {
    const c = document.querySelector('canvas.waveform');
    const ctx = c.getContext('2d');
    const lane = (y0) => ctx.getImageData(0, y0, c.width, c.height / 2).data.filter((v, i) => i % 4 === 3 && v > 0).length;
    return [lane(0), lane(c.height / 2)];
  })()`)) as number[];
  assert.ok(inked[0] > 0 && inked[1] > 0, `waveform lanes: ${inked}`);

  // Every turn highlighted while it plays, seen by a mutation observer.
  await page.evaluate(`(() => {
    const seen = (window.seenActive = []);
    new MutationObserver(() => {
      const li = document.querySelector('ol.transcript li.active');
      const seq = li ? Number(li.dataset.seq) : -1;
      if (seq >= 0 && seen.at(-1) !== seq) seen.push(seq);
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['class'] });
    const a = document.querySelector('audio');
    a.playbackRate = 4;
    return a.play();
  })()`);
  await pageUntil('document.querySelector("audio").ended === true');
  const seen = (await page.evaluate('window.seenActive')) as number[];
  const roles = seen.map((seq) => record.transcript.find((t) => t.seq === seq)?.role);
  assert.deepEqual(roles, ['agent', 'caller', 'agent'], `highlighted turns ${seen} of ${JSON.stringify(record.transcript.map((t) => [t.seq, t.role]))}`);
  assert.equal(await page.locator('ol.transcript li.active').count(), 0, 'nothing highlighted once it has ended');
  assert.deepEqual(errors, []);
});
