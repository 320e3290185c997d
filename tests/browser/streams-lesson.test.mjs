// The word-count lesson (static/lessons/14-…) played as a class sees it, in presenter mode, pause
// by pause (streams.test.mjs checks the same views on a bare word count with typed crashes): the
// topology draws its nodes (`processor:APP/NAME`), its store (`store:APP/NAME`) and its task
// chips (`task:APP/ID`) where the engine runs them; a processed record moves through the graph;
// the lesson's crash of word-count-1 leaves its tasks nowhere until the group drops it (the crashed
// instance says it still holds them in the group), then they are drawn on word-count-2, as the
// engine's own `task-owner` says.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, open, send, holds, until, atPause } from './harness.mjs';

const LESSON = 'static/lessons/14-streams-word-count.scenario';
const { env } = useServerAndBrowser({ scenario: LESSON });
const TASKS = ['0_0', '0_1', '1_0', '1_1'];

/** The task chips drawn under each instance: instance → sorted task entities. */
function chipsByInstance(page) {
  return page.$$eval('[data-entity^="instance:word-count/"]', (rows) => Object.fromEntries(rows.map((r) => [
    r.dataset.entity.replace('instance:word-count/', ''),
    [...r.querySelectorAll('[data-entity^="task:word-count/"]')].map((c) => c.dataset.entity).sort(),
  ])));
}

/** Each task's owner as the engine says it (`task-owner`), as the chips would draw it. */
async function ownersFromEngine(page, instances) {
  const drawn = Object.fromEntries(instances.map((i) => [i, []]));
  for (const t of TASKS) {
    for (const i of instances) {
      if (await holds(page, `task-owner word-count ${t} == ${i}`)) drawn[i].push(`task:word-count/${t}`);
    }
  }
  return drawn;
}

test('word-count lesson: nodes, a moving record, and a crash moving tasks', async () => {
  const { page, problems } = await open(env.browser, env.server.url);
  await page.waitForSelector('[data-broker="1"]', { state: 'attached' });
  await page.waitForFunction(() => window.playground.model.lesson);
  // Presented as in class: the presenter's panel with Next.
  if (await page.evaluate(() => document.documentElement.dataset.presenter !== '1')) await page.locator('#presenter-toggle').click();
  await page.waitForFunction(() => document.documentElement.dataset.presenter === '1');
  await send(page, { type: 'speed', speed: 20 });
  await page.waitForSelector('[data-entity="app:word-count"]', { state: 'attached' });
  await atPause(page, 1);

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

  // Pause 1: the two instances share the four tasks; each chip is where the engine runs it.
  const instances = ['word-count-1', 'word-count-2'];
  const owners = await ownersFromEngine(page, instances);
  assert.deepEqual([...owners['word-count-1'], ...owners['word-count-2']].sort(), TASKS.map((t) => `task:word-count/${t}`));
  // The engine answered from its latest tick; the page draws that tick's frame a moment later.
  await until('every chip under its owner', async () => {
    const chips = await chipsByInstance(page);
    return instances.every((i) => JSON.stringify(chips[i]) === JSON.stringify(owners[i])) ? chips : null;
  }, 10000);

  // A record moves: played on at 2× towards pause 2, a dot appears on the graph, titled with the
  // record it carries.
  await send(page, { type: 'speed', speed: 2 });
  await page.locator('#next').click();
  const dot = await page.waitForSelector('[data-entity="app:word-count"] .streams-dot', { timeout: 20000 });
  assert.match(await dot.getAttribute('title'), /^text-lines\/\d+@\d+: /);
  await send(page, { type: 'speed', speed: 20 });
  await atPause(page, 2);

  // Pause 3: the lesson crashed word-count-1. Its tasks run nowhere until its session times out.
  await page.locator('#next').click();
  await atPause(page, 3);
  assert.ok(await holds(page, 'streams-state word-count word-count-1 == NOT_RUNNING'));
  for (const t of owners['word-count-1']) assert.ok(await holds(page, `task-owner word-count ${t.replace('task:word-count/', '')} == none`), t);
  await until('no chip under the crashed instance', async () => (await chipsByInstance(page))['word-count-1']?.length === 0, 10000);
  // Its thread's consumer is still a member of the group (the coordinator's own list) and holds
  // what the last assignment gave it: the row says so, naming exactly the tasks that run nowhere.
  const crashed = await page.evaluate(() => {
    const m = window.playground.model;
    const app = m.streams.get('word-count');
    const thread = app.instances.find((i) => i.name === 'word-count-1').threads[0];
    const member = m.groups.get(app.group).members.find((x) => x.member === thread.consumer);
    const line = document.querySelector('[data-entity="instance:word-count/word-count-1"] .task-held');
    return { member: member?.assignment ?? null, line: line?.textContent ?? null };
  });
  assert.ok(crashed.member, 'the crashed thread is still a member of the group');
  const held = owners['word-count-1'].map((t) => t.replace('task:word-count/', '')).sort();
  assert.equal(crashed.line, `holds ${held.join(', ')} in the group: running nowhere`);

  // Pause 4: the group dropped word-count-1; word-count-2 runs every task, and draws them.
  await page.locator('#next').click();
  await atPause(page, 4);
  const after = await ownersFromEngine(page, instances);
  assert.deepEqual(after['word-count-2'], TASKS.map((t) => `task:word-count/${t}`));
  await until('every chip under word-count-2', async () => {
    const chips = await chipsByInstance(page);
    return chips['word-count-2']?.length === TASKS.length && chips['word-count-1']?.length === 0 ? chips : null;
  }, 10000);
  assert.deepEqual(problems.errors, []);
  await page.close();
});
