// Lessons, the presenter, time travel and the editor in the real page.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useServerAndBrowser, consoleLine, binary } from './harness.mjs';

const { openRoom } = useServerAndBrowser();

const LESSON = '02-topics-partitions-offsets';
const model = (page, fn, arg) => page.evaluate(fn, arg);
const acked = (page) => model(page, () => window.playground.model.topics.get('orders')?.acked ?? 0);
const now = (page) => model(page, () => window.playground.model.clock.now_us);

test('a lesson stops at its pauses; rewinding shows the earlier state; acting forks the future', async () => {
  const { page, problems } = await openRoom('travel');
  await page.waitForSelector('[data-broker="1"]');
  await page.locator('#lessons-button').click();
  await page.locator(`#lessons-panel [data-lesson="${LESSON}"]`).click();
  await page.waitForFunction((id) => window.playground.model.lesson?.id === id, LESSON);
  await model(page, () => window.playground.connection.send({ type: 'speed', speed: 20 }));

  // First pause: the narration is large, Next is offered.
  await page.waitForFunction(() => window.playground.model.lesson?.at_pause && window.playground.model.lesson.pauses_done === 1, null, { timeout: 20000 });
  await page.waitForSelector('#next:not([disabled])');
  const t1 = await now(page);
  const acked1 = await acked(page);
  assert.match(await page.locator('#lesson-progress').textContent(), /1/);
  assert.ok((await page.locator('#narration').textContent()).length > 10);

  // Next, past the first pause to the second: records were produced meanwhile.
  await page.locator('#next').click();
  await page.waitForFunction(() => window.playground.model.lesson?.at_pause && window.playground.model.lesson.pauses_done === 2, null, { timeout: 20000 });
  // And past the second pause too.
  await page.waitForSelector('#next:not([disabled])');
  await page.locator('#next').click();
  await page.waitForFunction(() => !window.playground.model.lesson.at_pause && window.playground.model.clock.playing);
  await page.waitForFunction(() => window.playground.model.lesson.pauses_done === 3, null, { timeout: 20000 });
  const t2 = await now(page);
  const acked2 = await acked(page);
  assert.ok(t2 > t1 && acked2 > acked1, `t ${t1}→${t2}, acked ${acked1}→${acked2}`);

  // Rewind with the timeline to the first pause: the earlier state is back.
  await page.locator('#timeline').evaluate((input, t) => {
    input.value = String(t);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }, t1);
  await page.waitForFunction((t) => window.playground.model.clock.now_us === t, t1, { timeout: 10000 });
  assert.equal(await acked(page), acked1);
  assert.ok(await model(page, () => window.playground.model.timeline.horizon_us) >= t2);

  // Act: the future forks. Broker 1 dies now; the old future (up to t2) is gone.
  await consoleLine(page, 'broker kill 1');
  await page.waitForFunction(() => window.playground.model.brokers.get(1).alive === false);
  await page.waitForFunction(() => window.playground.model.timeline.horizon_us === window.playground.model.clock.now_us);
  assert.ok(await model(page, () => window.playground.model.timeline.horizon_us) < t2);
  assert.deepEqual(problems.errors, []);
  await page.close();
});

test('the editor shows a bad line\'s error at its line and nothing runs', async () => {
  const { page, problems } = await openRoom('editor');
  await page.waitForSelector('[data-broker="1"]');
  await page.keyboard.press(' '); // pause, so "nothing changed" is exact
  await page.waitForFunction(() => window.playground.model.clock.playing === false);
  const before = await model(page, () => ({ t: window.playground.model.clock.now_us, topics: [...window.playground.model.topics.keys()] }));

  await page.locator('#editor-button').click();
  await page.locator('#editor-text').fill('title "mine"\nbrokers 3\ntopic create t partitions=3 replicaton=3\n');
  await page.locator('#editor-run').click();
  await page.waitForSelector('#editor-diagnostics li[data-line="3"]');
  const text = await page.locator('#editor-diagnostics li[data-line="3"]').textContent();
  assert.match(text, /replicaton/);
  assert.match(text, /did you mean 'replication'\?/);
  assert.equal(await page.locator('[data-gutter-line="3"].error').count(), 1);
  assert.equal(await page.locator('[data-gutter-line="2"].error').count(), 0);
  await page.waitForTimeout(500);
  const after = await model(page, () => ({ t: window.playground.model.clock.now_us, topics: [...window.playground.model.topics.keys()] }));
  assert.deepEqual(after, before, 'nothing ran');
  assert.deepEqual(problems.errors, []);
  await page.close();
});

test('a session driven by clicks and the console exports to a file that replays headless to the same state', async () => {
  const { page, problems } = await openRoom('roundtrip');
  await page.waitForSelector('[data-broker="2"]');
  await model(page, () => window.playground.connection.send({ type: 'speed', speed: 5 }));
  const until = (t) => page.waitForFunction((t) => window.playground.model.clock.now_us >= t, t, { timeout: 20000 });

  await until(4e6);
  await page.locator('[data-broker="2"]').first().click();
  await page.locator('#menu [data-action="kill"]').click();
  await until(7e6);
  await page.locator('[data-consumer="billing-1"]').first().click();
  await page.locator('#menu [data-action="crash"]').click();
  await consoleLine(page, 'produce orders key=k-1 value="a value with spaces"');
  await until(10e6);
  await page.locator('[data-producer="checkout"]').first().click();
  await page.locator('#menu [data-action="pause"]').click();
  await consoleLine(page, 'at 14s broker restart 2');
  await until(16e6);
  await page.locator('body').click({ position: { x: 2, y: 2 } });
  await page.keyboard.press(' ');
  await page.waitForFunction(() => window.playground.model.clock.playing === false);

  // The room's state, raw, from a second socket of the page.
  const live = await page.evaluate(() => new Promise((resolve) => {
    const ws = new WebSocket(`ws://${location.host}/ws/roundtrip`);
    // The first message is the connection's `hello`; the snapshot follows.
    ws.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      if (msg.type === 'snapshot') { resolve(msg); ws.close(); }
    };
  }));
  // Export from the editor.
  await page.locator('#editor-button').click();
  await page.locator('#editor-export').click();
  await page.waitForFunction(() => document.querySelector('#editor-text').value.startsWith('title'));
  const text = await page.locator('#editor-text').inputValue();
  assert.match(text, /broker kill 2/);
  assert.match(text, /consumer crash billing-1/);
  assert.match(text, /producer pause checkout/);

  const file = path.join(mkdtempSync(path.join(tmpdir(), 'export-')), 'session.scenario');
  writeFileSync(file, text);
  const run = spawnSync(binary, ['run', '--state', file], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  const headless = JSON.parse(run.stdout.trim().split('\n').pop());
  assert.deepEqual(headless, live.state, 'the exported session replays to the same state');
  assert.deepEqual(problems.errors, []);
  await page.close();
});
