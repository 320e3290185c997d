// A stopped producer is not a paused one: `producer pause` can be undone with `resume`,
// `producer stop` cannot (docs/scenario-language.md §4.4: "stops for good"). The card says
// STOPPED and its menu offers nothing the room would refuse; a refusal of a line the page built
// itself never cites a column of a line nobody typed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, send } from './harness.mjs';

const { openRoom } = useServerAndBrowser();

/** The actions the open menu offers, in order. */
const menuActions = (page) => page.$$eval('#menu [data-action]', (items) => items.map((i) => i.dataset.action));

test('a stopped producer says STOPPED and offers only its details', async () => {
  const { page, problems } = await openRoom('stopped');
  await page.waitForSelector('[data-producer="checkout"]');
  const reply = await send(page, { type: 'command', line: 'producer stop checkout' });
  assert.equal(reply.ok, true, JSON.stringify(reply.error));
  await page.waitForFunction(() => window.playground.model.producers.get('checkout').stopped === true);
  const card = page.locator('[data-producer="checkout"]').first();
  await page.waitForFunction(() => document.querySelector('[data-producer="checkout"] .status-pill').textContent === 'stopped');
  assert.match(await card.getAttribute('aria-label'), /, stopped$/);

  // No Resume (the room refuses it: the name is never used again), no Rate… (refused too).
  await card.click();
  await page.waitForSelector('#menu:not([hidden]) [data-action]');
  assert.deepEqual(await menuActions(page), ['details']);
  await page.keyboard.press('Escape');

  // A paused producer still reads as paused and offers Resume.
  assert.equal((await send(page, { type: 'command', line: 'producer add spare topic=orders rate=1/s' })).ok, true);
  assert.equal((await send(page, { type: 'command', line: 'producer pause spare' })).ok, true);
  await page.waitForFunction(() => document.querySelector('[data-producer="spare"] .status-pill')?.textContent === 'paused');
  assert.equal(await page.evaluate(() => window.playground.model.producers.get('spare').stopped), false);
  await page.locator('[data-producer="spare"]').first().click();
  await page.waitForSelector('#menu:not([hidden]) [data-action="resume"]');
  assert.deepEqual(await menuActions(page), ['resume', 'rate', 'details']);

  // Stopped behind the open menu's back (another tab, the console): the stale Resume is
  // refused, and the toast gives the reason without a column of `producer resume spare`.
  assert.equal((await send(page, { type: 'command', line: 'producer stop spare' })).ok, true);
  await page.locator('#menu [data-action="resume"]').click();
  await page.waitForSelector('#toast:not([hidden])');
  const toast = await page.locator('#toast').textContent();
  assert.match(toast, /producer 'spare' is already stopped/);
  assert.doesNotMatch(toast, /column/);
  assert.deepEqual(problems.errors, []);
  await page.close();
});
