// The windows lesson (static/lessons/15-…) in presenter mode: the store of a windowed count says
// its stream time (the processor's observed stream time, as the engine reports it) and marks each
// window the engine calls closed, which must be exactly Kafka's rule for tumbling windows
// (KStreamWindowAggregate: a window is closed once its end <= stream time - grace), so the late
// click the lesson sends is visibly aimed at a closed window.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, open, send, atPause } from './harness.mjs';

const LESSON = 'static/lessons/15-streams-windows.scenario';
const { env } = useServerAndBrowser({ scenario: LESSON });
const STORE = 'clicks-per-window';
/** The lesson's `windowedBy tumbling 10s grace=5s`. */
const GRACE_MS = 5000;

/** The store as drawn (its caption's stream time, each row's key and mark) and as the engine has it. */
function storeNow(page) {
  return page.evaluate((store) => {
    const table = document.querySelector(`.streams-store-table[data-entity="store:click-counter/${store}"]`);
    const view = window.playground.model.streams.get('click-counter').stores.find((s) => s.name === store);
    return {
      caption: table.querySelector('.store-stream-time').textContent,
      rows: [...table.querySelectorAll('.store-entries li')].map((li) => ({
        key: li.querySelector('.store-key').textContent,
        closed: li.classList.contains('closed'),
        tag: li.querySelector('.window-closed')?.textContent ?? null,
      })),
      streamTimes: view.stream_time_us,
      entries: view.newest.map((e) => ({ key: e.key, closed: e.closed })),
    };
  }, STORE);
}

test('windows lesson: the store says its stream time and marks the closed windows, by Kafka\'s rule', async () => {
  const { page, problems } = await open(env.browser, env.server.url);
  await page.waitForSelector('[data-broker="1"]', { state: 'attached' });
  await page.waitForFunction(() => window.playground.model.lesson);
  if (await page.evaluate(() => document.documentElement.dataset.presenter !== '1')) await page.locator('#presenter-toggle').click();
  await send(page, { type: 'speed', speed: 20 });
  for (const k of [1, 2, 3]) {
    await atPause(page, k);
    if (k < 3) await page.locator('#next').click();
  }
  // Pause 3: the click from 12 s arrived at 31 s and was dropped as late.
  await page.waitForTimeout(500);
  const s = await storeNow(page);
  const tasks = Object.entries(s.streamTimes);
  assert.equal(tasks.length, 1, `one task counts clicks: ${JSON.stringify(s.streamTimes)}`);
  const streamUs = tasks[0][1];
  assert.ok(streamUs >= 30e6, `stream time passed 30 s: ${streamUs}`);
  assert.equal(s.caption, `stream time ${(streamUs / 1e6).toFixed(1)} s`);
  // Every window the engine reports is closed exactly when its end + grace <= stream time.
  const streamMs = streamUs / 1000;
  assert.ok(s.entries.length >= 2, JSON.stringify(s.entries));
  for (const e of s.entries) {
    const end = Number(/\/(\d+)\]$/.exec(e.key)[1]);
    assert.equal(e.closed, end <= streamMs - GRACE_MS, `${e.key} at stream time ${streamMs} ms`);
  }
  // Drawn as the engine says: [10 s, 20 s), the late click's window, is marked closed in words.
  const late = s.rows.find((r) => r.key === 'page-home [10 s, 20 s)');
  assert.deepEqual(late, { key: 'page-home [10 s, 20 s)', closed: true, tag: 'closed' });
  assert.ok(s.rows.some((r) => !r.closed), 'the newest window is still open');
  for (const r of s.rows) assert.equal(r.tag === 'closed', r.closed, JSON.stringify(r));
  assert.deepEqual(problems.errors, []);
  await page.close();
});
