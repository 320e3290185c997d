// The metrics panel in headless Chromium against the real binary: after a broker is killed, the
// UnderReplicatedPartitions the panel shows is what the room answers to `expect metric`, and the
// charts' cursor follows the clock through a seek.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, send } from './harness.mjs';

const { openRoom } = useServerAndBrowser();


/** Waits until the room's clock (as the page knows it) has reached `us`. */
function clockAt(page, us) {
  return page.waitForFunction((t) => window.playground.model.clock.now_us >= t, us, { timeout: 30000 });
}

test('the panel shows the UnderReplicatedPartitions the room answers, and the cursor follows a seek', async () => {
  const { page, problems } = await openRoom('metrics');
  await page.waitForSelector('[data-broker="1"]');
  await page.locator('#metrics-button').click();
  await page.waitForSelector('#metrics-panel:not([hidden])');
  const urp = page.locator('#metrics-panel [data-entity="metric:UnderReplicatedPartitions"]');
  await urp.waitFor();

  await send(page, { type: 'speed', speed: 10 });
  await send(page, { type: 'play' });
  await clockAt(page, 3e6);
  const killed = await page.evaluate(() => window.playground.model.clock.now_us);
  const reply = await send(page, { type: 'command', line: 'broker kill 1' });
  assert.equal(reply.ok, true, JSON.stringify(reply));
  // The controller fences broker 1 within broker.session.timeout.ms (9 s); the leaders hear of it
  // a moment later and count their partitions under-replicated.
  await clockAt(page, killed + 13e6);
  await send(page, { type: 'pause' });
  await page.waitForFunction(() => !window.playground.model.clock.playing);
  // The panel has caught up with the newest sample once the frames stop.
  await page.waitForTimeout(600);

  const shown = Number(await urp.textContent());
  assert.ok(Number.isInteger(shown) && shown > 0, `UnderReplicatedPartitions shows ${shown}`);
  const answer = await send(page, { type: 'command', line: `expect metric UnderReplicatedPartitions == ${shown}` });
  assert.equal(answer.ok, true, JSON.stringify(answer));
  assert.match(answer.output, /^✓/, answer.output);
  // Per broker too: the dead broker reports nothing, so its cell is 0.
  const dead = await page.locator('#metrics-panel [data-entity="metric:UnderReplicatedPartitions broker=1"]').textContent();
  const perBroker = await send(page, { type: 'command', line: `expect metric UnderReplicatedPartitions broker=1 == ${dead}` });
  assert.match(perBroker.output, /^✓/, perBroker.output);

  // Charts: polylines drawn, a cursor at the clock.
  const points = await page.locator('#metrics-panel polyline[data-entity="metric:MessagesInPerSec"]').getAttribute('points');
  assert.ok(points.split(' ').length > 5, `throughput line: ${points}`);
  const cursor = page.locator('#metrics-panel .metrics-chart .cursor').first();
  const before = { at: Number(await cursor.getAttribute('data-at-us')), x: Number(await cursor.getAttribute('x1')) };
  const now = await page.evaluate(() => window.playground.model.clock.now_us);
  assert.equal(before.at, now);

  // Time travel: the snapshot rebuilds the charts from the engine's history up to there.
  const to = Math.floor(now / 2);
  const seek = await send(page, { type: 'seek', to_us: to });
  assert.equal(seek.ok, true, JSON.stringify(seek));
  await page.waitForFunction((t) => window.playground.model.clock.now_us === t, to);
  await page.waitForFunction((t) => Number(document.querySelector('#metrics-panel .metrics-chart .cursor')?.getAttribute('data-at-us')) === t, to);
  const after = { at: Number(await cursor.getAttribute('data-at-us')), x: Number(await cursor.getAttribute('x1')) };
  assert.ok(after.x < before.x, `cursor moved left: ${before.x} → ${after.x}`);
  // Back before the kill nothing is under-replicated, and the panel agrees with the room again.
  const again = Number(await urp.textContent());
  const answer2 = await send(page, { type: 'command', line: `expect metric UnderReplicatedPartitions == ${again}` });
  assert.match(answer2.output, /^✓/, answer2.output);

  assert.deepEqual(problems.errors, []);
  await page.close();
});
