// A stopped producer is not a paused one: `producer pause` can be undone with `resume`,
// `producer stop` cannot (docs/scenario-language.md §4.4: "stops for good", Kafka's
// producer.close()). The card says STOPPED in a look of its own (solid and grey, not the paused
// amber dashes), shows no rate, keeps its counts readable, and its menu offers nothing the room
// would refuse; a refusal of a line the page built itself never cites a column of a line nobody
// typed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, send } from './harness.mjs';

const { openRoom } = useServerAndBrowser();

/**
 * How producer `name`'s card is drawn: its border style, whether a rate tag shows, its pill's
 * colours, its visible text, its acked count and that count's colour beside the page's text colour.
 */
const look = (page, name) => page.evaluate((name) => {
  const card = document.querySelector(`[data-producer="${name}"]`);
  const pill = getComputedStyle(card.querySelector('.status-pill'));
  const rate = card.querySelector('.tag.rate');
  const acked = [...card.querySelectorAll('.counts span')].find((s) => s.textContent.startsWith('acked')).querySelector('b');
  return {
    border: getComputedStyle(card).borderTopStyle,
    rateShown: rate.checkVisibility(),
    pill: `${pill.color} on ${pill.backgroundColor}`,
    text: card.innerText,
    acked: acked.checkVisibility() ? acked.textContent : null,
    ackedColor: getComputedStyle(acked).color,
    textColor: getComputedStyle(document.body).color,
  };
}, name);

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
  // Its own look: solid (not the paused dashes), no rate, what it did still in full contrast.
  const stoppedLook = await look(page, 'checkout');
  assert.equal(stoppedLook.border, 'solid', 'a stopped card is not dashed like a paused one');
  assert.equal(stoppedLook.rateShown, false, `a stopped producer shows no rate (card reads ${JSON.stringify(stoppedLook.text)})`);
  assert.doesNotMatch(stoppedLook.text, /\d\/s|manual/);
  assert.match(stoppedLook.acked, /^\d+$/);
  assert.equal(stoppedLook.ackedColor, stoppedLook.textColor, 'its acked count keeps the text colour');

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
  const pausedLook = await look(page, 'spare');
  assert.equal(pausedLook.border, 'dashed');
  assert.equal(pausedLook.rateShown, true, 'a paused producer keeps its rate: it resumes at it');
  assert.match(pausedLook.text, /1\/s/);
  assert.notEqual(pausedLook.pill, stoppedLook.pill, 'the STOPPED pill is not drawn in the PAUSED colours');
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
