// The softphone in real Chromium: a call to the default offline front-desk agent from the console, Chromium's
// fake microphone speaking a question from a WAV made with the offline voice; the agent's reply must be recognised
// in the live transcript, and the call must have spoken Exotel's protocol (marks echoed, a clean stop).
// The same at 16 kHz (wide band).
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Browser } from 'playwright-core';
import { collectPageErrors, launchChromium } from '../helpers/chromium.js';
import { startConsoleGateway, type ConsoleGateway } from '../helpers/console-gateway.js';
import { fakeMicrophoneArgs, fakeMicrophoneWav } from '../helpers/fake-microphone.js';

const WAIT = { timeout: 90_000 };
let gateway: ConsoleGateway;
let browser: Browser;
let wav: string;

before(async () => {
  wav = await fakeMicrophoneWav('what are your opening hours');
  // EXOTEL_WS_TOKEN set: the page must get a signed URL from the admin-guarded endpoint to open the socket.
  [gateway, browser] = await Promise.all([startConsoleGateway({ env: { EXOTEL_WS_TOKEN: 'softphone-test-token-0123456789' } }), launchChromium(fakeMicrophoneArgs(wav))]);
});

after(async () => {
  await browser?.close();
  await gateway?.close();
  if (wav) rmSync(dirname(wav), { recursive: true, force: true });
});

it('calls the front desk from the browser, asks by voice, and the reply is recognised in the transcript', async () => {
  const page = await browser.newPage();
  const errors = collectPageErrors(page);
  await page.goto(`${gateway.consoleUrl}#/softphone`);
  const agent = page.getByLabel('Agent', { exact: true });
  await agent.locator('option[value="front-desk"]').waitFor({ state: 'attached', ...WAIT });
  assert.equal(await agent.inputValue(), 'front-desk', 'the default agent is preselected');
  await page.getByRole('button', { name: 'Call' }).click();
  await page.locator('[data-state="in-call"]').waitFor(WAIT);

  const transcript = page.locator('ol.transcript');
  await transcript.locator('li.agent', { hasText: 'Sharma Electronics' }).waitFor(WAIT);
  await transcript.locator('li.caller', { hasText: 'opening hours' }).waitFor(WAIT);
  await transcript.locator('li.agent', { hasText: "We're open Monday to Saturday" }).waitFor(WAIT);
  // The round trip, from the end of the caller's speech to the reply playing, is shown.
  await page.locator('p[data-latency]:not([data-latency=""])').waitFor(WAIT);
  const latency = Number(await page.locator('p[data-latency]').getAttribute('data-latency'));
  assert.ok(latency > 0, `round trip ${latency} ms`);

  // A key on the on-screen keypad goes out as Exotel's dtmf.
  await page.getByRole('button', { name: 'Key 3' }).click();
  await page.getByRole('button', { name: 'Hang up' }).click();
  await page.locator('[data-state="ended"]').waitFor(WAIT);

  const callId = (await page.getByRole('link', { name: "Open the call's record" }).getAttribute('href'))!.replace('#/calls/', '');
  await gateway.store.flush();
  const record = (await gateway.store.get(decodeURIComponent(callId)))!;
  assert.equal(record.agent, 'front-desk');
  assert.equal(record.endReason, 'caller-hangup');
  const events = record.events.map((e) => e.type);
  for (const type of ['ws-open', 'start', 'dtmf', 'stop']) assert.ok(events.includes(type), `${type} in ${events.join(' ')}`);
  const marks = record.events.filter((e) => e.type === 'mark');
  assert.ok(marks.length >= 2 && marks.every((m) => m.data.known === true), 'every mark echoed was one the gateway sent');
  const start = record.events.find((e) => e.type === 'start')!;
  assert.equal(start.data.sampleRate, 8000);
  assert.deepEqual(start.data.customParameters, { agent: 'front-desk', source: 'console' });
  assert.deepEqual(
    record.events.filter((e) => /protocol|invalid|violation|flood/.test(e.type)),
    [],
    'nothing the gateway found wrong with the browser as Exotel',
  );
  assert.deepEqual(errors, []);
});

it('calls at 16 kHz: the start message says so, the microphone is resampled to it, and the reply is recognised', async () => {
  const page = await browser.newPage();
  const errors = collectPageErrors(page);
  await page.goto(`${gateway.consoleUrl}#/softphone`);
  await page.getByLabel('Agent', { exact: true }).locator('option[value="front-desk"]').waitFor({ state: 'attached', ...WAIT });
  await page.locator('#phone-rate').selectOption('16000');
  await page.getByRole('button', { name: 'Call' }).click();
  await page.locator('[data-state="in-call"]').waitFor(WAIT);
  const transcript = page.locator('ol.transcript');
  // The caller's words recognised prove the 16 kHz microphone audio reached the recogniser intact.
  await transcript.locator('li.caller', { hasText: 'opening hours' }).waitFor(WAIT);
  await transcript.locator('li.agent', { hasText: "We're open Monday to Saturday" }).waitFor(WAIT);
  await page.getByRole('button', { name: 'Hang up' }).click();
  await page.locator('[data-state="ended"]').waitFor(WAIT);

  const callId = (await page.getByRole('link', { name: "Open the call's record" }).getAttribute('href'))!.replace('#/calls/', '');
  await gateway.store.flush();
  const record = (await gateway.store.get(decodeURIComponent(callId)))!;
  assert.equal(record.events.find((e) => e.type === 'start')!.data.sampleRate, 16000);
  assert.equal(record.endReason, 'caller-hangup');
  assert.deepEqual(record.events.filter((e) => /protocol|invalid|violation|flood/.test(e.type)), []);
  assert.deepEqual(errors, []);
});
