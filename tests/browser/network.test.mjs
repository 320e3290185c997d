// Network cuts in the real page: `network isolate 1` from the broker's menu gets broker 1 fenced
// and its partitions' leaders moved (asked of the engine with `expect`), the cut drawn is exactly
// the links the engine says are cut, and `network partition 1 / 3` draws one cut link and no
// isolation. Cards never move when a cut happens.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, consoleLine, partitionsLedBy, holds } from './harness.mjs';

const { openRoom } = useServerAndBrowser();


/** The cut links drawn (`data-cut="a-b"`), sorted. */
function drawnCuts(page) {
  return page.$$eval('[data-cut]', (els) => els.map((e) => e.dataset.cut).sort());
}

/** The cut links the engine reports (wire `cuts.links`), as "a-b", sorted. */
function engineCuts(page) {
  return page.evaluate(() => window.playground.model.cuts.links.map(([a, b]) => `${a}-${b}`).sort());
}

/** Each broker card's id and left edge, in document order. */
function cardPositions(page) {
  return page.$$eval('#physical > [data-broker]', (els) => els.map((e) => [e.dataset.broker, Math.round(e.getBoundingClientRect().left)]));
}

/** Plays the room at 20× so that the 9 s broker session timeout passes quickly. */
async function speedUp(page) {
  const reply = await page.evaluate(() => window.playground.connection.send({ type: 'speed', speed: 20 }));
  assert.ok(reply.ok, JSON.stringify(reply.error));
}

test('isolating broker 1 from its menu gets it fenced and its leaders moved; the cut drawn is the engine\'s', async () => {
  const { page, problems } = await openRoom('isolate');
  await page.waitForSelector('[data-broker="1"] .replica.leader');
  const led = await partitionsLedBy(page, 1);
  assert.ok(led.length > 0, 'broker 1 leads a partition of the demo');
  const before = await cardPositions(page);

  await page.locator('[data-broker="1"]').first().click();
  await page.locator('[data-action="isolate"]').first().click();
  await page.waitForFunction(() => window.playground.model.cuts.isolated.length === 1);
  assert.equal(await holds(page, 'fenced 1 == no'), true, 'not fenced before the session timeout');

  // Every link of broker 1 is cut, as the engine says, and exactly those are drawn.
  const brokers = await page.evaluate(() => window.playground.model.brokerList().map((b) => b.id));
  const expected = brokers.filter((b) => b !== 1).map((b) => `1-${b}`).sort();
  assert.deepEqual(await engineCuts(page), expected);
  await page.waitForFunction((n) => document.querySelectorAll('[data-cut]').length === n, expected.length);
  assert.deepEqual(await drawnCuts(page), expected);
  assert.deepEqual(await cardPositions(page), before, 'cards do not move when a cut happens');
  // The isolated card says so; its leader chips are zombies (engine's zombie_leaders).
  assert.match(await page.locator('[data-broker="1"] .status-pill').first().textContent(), /isolated/);
  for (const p of led) {
    assert.equal(await holds(page, `zombie-leaders ${p} == 1`), true, p);
    await page.waitForSelector(`[data-broker="1"] .replica.zombie[data-partition="${p}"]`);
  }

  await speedUp(page);
  // The controller fences broker 1 after broker.session.timeout.ms and elects new leaders.
  await page.waitForFunction((parts) => parts.every((p) => {
    const mark = document.querySelector(`[data-broker] .replica.leader[data-partition="${p}"]`);
    return mark && mark.closest('[data-broker]').dataset.broker !== '1';
  }), led, { timeout: 30000 });
  assert.equal(await holds(page, 'fenced 1 == yes'), true);
  for (const p of led) assert.equal(await holds(page, `leader ${p} != 1`), true, p);
  assert.deepEqual(await partitionsLedBy(page, 1), []);
  assert.match(await page.locator('[data-broker="1"] .status-pill').first().textContent(), /fenced/);
  // Followers' fetches to broker 1 were lost: the waits the engine reports are written out.
  const waits = await page.evaluate(() => window.playground.model.cuts.waits.filter((w) => w.sender_broker));
  for (const w of waits) {
    const note = await page.locator(`[data-broker="${w.sender_broker}"] .net-note`).first().textContent();
    assert.match(note, new RegExp(`fetch from broker ${w.broker} lost · times out in \\d+ s`));
  }

  // Heal from the menu: nothing is drawn cut any more.
  await page.locator('[data-broker="1"]').first().click();
  await page.locator('[data-action="heal"]').first().click();
  await page.waitForFunction(() => document.querySelectorAll('[data-cut]').length === 0);
  assert.deepEqual(await engineCuts(page), []);
  assert.deepEqual(await cardPositions(page), before);
  assert.deepEqual(problems.errors, []);
  await page.close();
});

test('network partition 1 / 3 draws only the 1-3 link cut and isolates no one', async () => {
  const { page, problems } = await openRoom('partition');
  await page.waitForSelector('[data-broker="3"] .replica');
  const before = await cardPositions(page);
  await consoleLine(page, 'network partition 1 / 3');
  await page.waitForFunction(() => document.querySelectorAll('[data-cut]').length > 0);
  assert.deepEqual(await engineCuts(page), ['1-3']);
  assert.deepEqual(await drawnCuts(page), ['1-3']);
  assert.equal(await page.locator('.broker.isolated').count(), 0);
  const pills = await page.$$eval('.status-pill', (els) => els.map((e) => e.textContent));
  assert.ok(pills.every((t) => !/isolated/i.test(t)), pills.join(', '));
  assert.deepEqual(await cardPositions(page), before, 'cards do not move when a cut happens');
  await speedUp(page);
  await page.waitForTimeout(2000);
  // The controller still hears every broker: nobody is fenced.
  for (const b of [1, 2, 3]) assert.equal(await holds(page, `fenced ${b} == no`), true, `broker ${b}`);
  assert.deepEqual(problems.errors, []);
  await page.close();
});
