// The Streams page against the live engine: the word-count application's topology draws its
// nodes (`processor:APP/NAME`), its store (`store:APP/NAME`) and its task chips (`task:APP/ID`);
// a processed record moves through the graph; a crashed instance's tasks move to the other
// instance once the group drops it, as the engine's own `task-owner` says. In presenter mode at
// 1280×720, a `focus app`, `focus store` and `focus task` line puts its element on screen whole
// with text of at least 16 px; after the crash the store says how many changelog records the new
// owner replayed into it (the engine's counter). A topic read both as a KStream and as a KTable
// draws the stream's records (the partitions' own, newest first) beside the table's store.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, open, send, holds, until, startServer, focusOnScreen } from './harness.mjs';
// The page's own rule for how many records a list draws (10 short ones, 3 when one is long).
import { recordsShown } from '../../static/js/views/streams-records.js';

const { env } = useServerAndBrowser({ scenario: 'tests/scenarios/streams/word-count.scenario' });

test('word count: nodes, a moving record, and a crash moving tasks', async () => {
  const { page } = await open(env.browser, env.server.url);
  await page.waitForSelector('[data-entity="app:word-count"]');

  // Every node of the engine's topology is drawn under its Kafka name.
  const wanted = await page.evaluate(() => window.playground.model.streams.get('word-count').nodes
    .map((n) => `processor:word-count/${n.name}`));
  assert.ok(wanted.length >= 7, `word count has its nodes: ${wanted}`);
  for (const name of wanted) assert.equal(await page.locator(`[data-entity="${name}"]`).count(), 1, name);
  assert.ok(await page.locator('[data-entity="store:word-count/counts"]').count() >= 1, 'the store is drawn');

  // Each processor shows the expressions the server printed from its topology (`streams_exprs`).
  const exprs = await page.evaluate(() => window.playground.model.streamsExprs.get('word-count').nodes);
  const flat = Object.keys(exprs).find((n) => /FLATMAPVALUES/.test(n));
  assert.ok(flat, `a flatMapValues node runs an expression: ${JSON.stringify(exprs)}`);
  const drawn = await page.locator(`[data-entity="processor:word-count/${flat}"] .streams-expr`).allTextContents();
  assert.deepEqual(drawn, exprs[flat]);

  // Tasks: the chips are the engine's tasks, where the engine says they run.
  await until('tasks assigned', async () => (await holds(page, 'task-owner word-count 1_0 == word-count-1'))
    || holds(page, 'task-owner word-count 1_0 == word-count-2'));
  // The engine answered from its latest tick; the page draws that tick's frame a moment later.
  const all = ['task:word-count/0_0', 'task:word-count/0_1', 'task:word-count/1_0', 'task:word-count/1_1'];
  const chips = await until('every task drawn', async () => {
    const drawn = await page.$$eval('[data-entity^="task:word-count/"]', (els) => els.map((e) => e.dataset.entity).sort());
    return drawn.length === all.length ? drawn : null;
  }, 10000);
  assert.deepEqual(chips, all);

  // A record moves: a dot appears on the graph, titled with the record it carries.
  const dot = await page.waitForSelector('.streams-graph .streams-dot', { timeout: 15000 });
  assert.match(await dot.getAttribute('title'), /^text-lines\/\d+@\d+: /);

  // Presenter mode at 1280×720: each Streams focus target on screen, whole, its text ≥ 16 px.
  await page.evaluate(() => window.playground.presenter.setOn(true));
  for (const target of ['app word-count', 'store word-count/counts', 'task word-count/1_0']) {
    const focused = await send(page, { type: 'command', line: `focus ${target}` });
    assert.ok(focused.ok, JSON.stringify(focused.error));
    const name = target.replace(' ', ':');
    await until(`${name} marked`, () => page.evaluate((n) => document.querySelector(`[data-focus="${n}"]`) !== null, name));
    await page.waitForTimeout(600);
    const seen = await focusOnScreen(page, { minFontPx: 16 });
    assert.ok(seen.focused.length > 0 && seen.focused.every((f) => f === name), `${target}: ${seen.focused}`);
    assert.deepEqual(seen.problems, [], target);
  }
  await send(page, { type: 'command', line: 'focus all' });
  await page.evaluate(() => window.playground.presenter.setOn(false));

  // The runtime's own producers are drawn as the application's, one line each, under its card.
  const runtime = await page.evaluate(() => [...window.playground.model.producers.keys()]
    .filter((n) => /^word-count-\d+-StreamThread-\d+-producer\u0000/.test(n)).sort());
  assert.ok(runtime.length > 0, 'the threads have producers');
  // (The attribute writes the engine name's NULs as U+2400, which a CSS selector can say: entities.js.)
  const lines = await page.$$eval('.streams-producers [data-entity^="producer:"]', (els) => els.map((e) => e.dataset.entity.slice(9)).sort());
  assert.deepEqual(lines, runtime.map((n) => n.replaceAll('\u0000', '\u2400')));

  // A crash: word-count-1's tasks end on word-count-2 after the session timeout.
  const reply = await send(page, { type: 'command', line: 'streams crash word-count-1' });
  assert.ok(reply.ok, JSON.stringify(reply.error));
  await send(page, { type: 'speed', speed: 20 });
  await until('the group drops word-count-1', async () => (await holds(page, 'task-owner word-count 0_0 == word-count-2'))
    && (await holds(page, 'task-owner word-count 1_0 == word-count-2')), 60000);
  await until('every chip under word-count-2', async () => {
    const under = await page.$$eval('[data-entity="instance:word-count/word-count-2"] [data-entity^="task:"]', (els) => els.map((e) => e.dataset.entity).sort());
    return under.length === 4 ? under : null;
  }, 10000);
  assert.equal(await page.locator('[data-entity="instance:word-count/word-count-1"] [data-entity^="task:"]').count(), 0);

  // word-count-2 never ran word-count-1's tasks: it restored their stores from the changelog,
  // and the store says how many records it replayed, as the engine counted them.
  const restored = await until('a restore counted', () => page.evaluate(() => window.playground.model.streams.get('word-count').counters.restored?.counts ?? 0));
  await until('the store says so', async () => (await page.locator('.streams-store-table[data-entity="store:word-count/counts"] .store-restored').textContent())
    === `restored ${restored} from the changelog`, 10000);
});

/** A topic's records up to each partition's high watermark, newest first, as the room answers `inspect`. */
async function newestRecords(page, topic) {
  const partitions = await page.evaluate((t) => window.playground.model.topics.get(t).partitions, topic);
  const records = [];
  for (let partition = 0; partition < partitions; partition++) {
    const reply = await send(page, { type: 'inspect', topic, partition });
    for (const r of reply.inspect.records) if (r.offset < reply.inspect.high_watermark) records.push(r);
  }
  return records.sort((a, b) => b.timestamp_ms - a.timestamp_ms || b.offset - a.offset);
}

test('a topic read as a KStream and as a KTable: its records beside the table', async () => {
  const server = await startServer('tests/scenarios/streams/vip-stream-and-table.scenario');
  try {
    const { page, problems } = await open(env.browser, server.url);
    await page.waitForSelector('.stream-vs-table');
    // The pair sits in the table's application, naming the topic both ways.
    const pair = page.locator('[data-entity="app:vip-table"] .stream-vs-table');
    assert.deepEqual(await pair.locator('h4').allTextContents(), ['KStream vip-status', 'KTable vip-status']);
    await until('records arrive', () => page.evaluate(() => (window.playground.model.partitions.get('vip-status/0')?.high_watermark ?? 0) > 3));
    await send(page, { type: 'pause' });
    await page.waitForTimeout(500);
    // The stream: the partitions' records up to their high watermarks, newest first, as the room answers.
    const records = [];
    for (const partition of [0, 1]) {
      const reply = await send(page, { type: 'inspect', topic: 'vip-status', partition });
      for (const r of reply.inspect.records) if (r.offset < reply.inspect.high_watermark) records.push(r);
    }
    records.sort((a, b) => b.timestamp_ms - a.timestamp_ms || b.offset - a.offset);
    const want = records.slice(0, 8).map((r) => `${r.key}${r.value ?? 'null (tombstone)'}`);
    await until('the stream drawn as the room has it', async () => {
      const drawn = await pair.locator('.stream-records li:not(.muted)').allTextContents();
      return JSON.stringify(drawn) === JSON.stringify(want);
    }, 10000);
    // What each application wrote: its sink's topic, the newest records and their count as the room has them.
    for (const [app, topic] of [['vip-stream', 'status-changes'], ['vip-table', 'vip-counts']]) {
      const written = await newestRecords(page, topic);
      // vip-table's counts wait in its record cache until a commit; vip-stream's go out at once.
      if (app === 'vip-stream') assert.ok(written.length > 0, `${app} wrote to ${topic}`);
      const output = page.locator(`[data-entity="app:${app}"] .streams-outputs section`);
      await until(`${app}'s output drawn as the room has it`, async () => {
        const drawn = await output.locator('.stream-records li:not(.muted)').allTextContents();
        return JSON.stringify(drawn) === JSON.stringify(recordsShown(written, 10).shown.map((r) => `${r.key}${r.value ?? 'null (tombstone)'}`));
      }, 10000);
      const count = written.length ? `${written.length} record${written.length === 1 ? '' : 's'}, newest first` : '';
      assert.equal(await output.locator('h4').textContent(), `wrote to ${topic} ${count}`);
    }
    // The table: the store's newest entries, one per key, as the engine's snapshot has them.
    const entries = await page.evaluate(() => window.playground.model.streams.get('vip-table').stores.find((s) => s.name === 'statuses').newest);
    const keys = await pair.locator('.store-entries .store-key').allTextContents();
    assert.deepEqual(keys, entries.slice(0, 10).map((e) => e.key));
    assert.equal(new Set(keys).size, keys.length, 'a table has one row per key');
    assert.deepEqual(problems.errors, []);
    await page.close();
  } finally {
    await server.stop();
  }
});
