// `npm run screenshots`: regenerates the console's screenshots in docs/ (README "Console"). A real gateway with the
// shipped agents on loopback, recording calls, a call placed by the simulator, and one from the softphone with Chromium's fake
// microphone; needs Debian's chromium (apt-get install -y chromium).
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/helpers/chromium.js';
import { startConsoleGateway } from '../test/helpers/console-gateway.js';
import { fakeMicrophoneArgs, fakeMicrophoneWav } from '../test/helpers/fake-microphone.js';
import { concat, silence, synthesize } from '../test/helpers/speech.js';

const DOCS = fileURLToPath(new URL('../docs/', import.meta.url));
const WAIT = { timeout: 90_000 };
const REPLY = "We're open Monday to Saturday";

const wav = await fakeMicrophoneWav('what are your opening hours');
// Calls are recorded, so the call page shows its recording's waveform and player.
const gateway = await startConsoleGateway({ env: { RECORD_CALLS: 'on' } });
const browser = await launchChromium(fakeMicrophoneArgs(wav));
const shot = async (page: Page, name: string, fullPage = false) => {
  await page.screenshot({ path: join(DOCS, name), fullPage });
  console.log(`docs/${name}`);
};

try {
  const desktop = await browser.newContext({ viewport: { width: 1280, height: 760 } });
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, colorScheme: 'dark' });
  const page = await desktop.newPage();
  const small = await phone.newPage();

  // Live: a simulated caller asks for the opening hours.
  await Promise.all([page.goto(gateway.consoleUrl), small.goto(gateway.consoleUrl)]);
  const call = await gateway.dial({ from: '09811122233' });
  for (const p of [page, small]) await p.locator(`tr[data-call-id="${call.callSid}"] button`).click(WAIT);
  await call.waitFor('markEchoed', { predicate: (m) => m.name === 'r1.1', timeoutMs: 30_000 });
  void call.sendAudio(concat(await synthesize('what are your opening hours', 8000, 'rms'), silence(300, 8000)));
  for (const p of [page, small]) await p.locator('ol.transcript li.agent', { hasText: REPLY }).waitFor(WAIT);
  await shot(page, 'console-live.png');
  await shot(small, 'console-live-phone-dark.png');
  await call.hangup();
  await gateway.store.flush();

  // History and the call's record.
  await page.goto(`${gateway.consoleUrl}#/history`);
  await page.locator('table[aria-label="Calls"] tbody tr').first().waitFor(WAIT);
  await shot(page, 'console-history.png');
  await page.goto(`${gateway.consoleUrl}#/calls/${call.callSid}`);
  await page.locator('.chart .uplot canvas').waitFor(WAIT);
  await page.locator('audio[aria-label="Call recording"]').waitFor(WAIT);
  await shot(page, 'console-call.png', true);

  // The softphone, mid-call.
  await page.goto(`${gateway.consoleUrl}#/softphone`);
  await page.locator('#phone-agent option[value="front-desk"]').waitFor({ state: 'attached', ...WAIT });
  await page.getByRole('button', { name: 'Call' }).click();
  await page.locator('ol.transcript li.agent', { hasText: REPLY }).waitFor(WAIT);
  await page.locator('p[data-latency]:not([data-latency=""])').waitFor(WAIT);
  await shot(page, 'console-softphone.png');
  await page.getByRole('button', { name: 'Hang up' }).click();
} finally {
  await browser.close();
  await gateway.close();
  rmSync(dirname(wav), { recursive: true, force: true });
}
