// The Streams page against the live engine: the word-count application's topology draws its
// nodes (`processor:APP/NAME`), its store (`store:APP/NAME`) and its task chips (`task:APP/ID`);
// a processed record moves through the graph; a crashed instance's tasks move to the other
// instance once the group drops it, as the engine's own `task-owner` says.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, open, send, holds, until } from './harness.mjs';

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
});
