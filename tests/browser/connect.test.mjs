// The Connect page against the live engine (tests/scenarios/connect/jdbc-to-file.scenario): the
// source table on the left, the sink file on the right, the connectors' cards, the worker's box
// holding the task chips; the sink file's line count on screen is the room's own (`expect lines`);
// `worker crash` draws the worker down and its tasks UNASSIGNED, outside it, as the engine says.
//
// Placement is read through `chipsOn(page, worker)`, the chips drawn in a worker's box, and
// checked against the engine's `task-worker`: a distributed-mode test (tasks moving to another
// worker after scheduled.rebalance.max.delay.ms) is the same loop, `until` every task's
// `task-worker` names the surviving worker and `chipsOn` that worker lists them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, open, send, holds, until } from './harness.mjs';

const { env } = useServerAndBrowser({ scenario: 'tests/scenarios/connect/jdbc-to-file.scenario' });

const TASKS = ['jdbc-0', 'export-0', 'export-1'];

/** The ids (`NAME-ID`) of the task chips drawn in worker `name`'s box, sorted. */
export function chipsOn(page, name) {
  return page.$$eval(`[data-entity="worker:${name}"] [data-entity^="connect-task:"]`,
    (els) => els.map((e) => e.dataset.entity.slice('connect-task:'.length)).sort());
}

/** Each task's state word as drawn on its chip. */
function statesDrawn(page) {
  return page.$$eval('[data-entity^="connect-task:"]', (els) => Object.fromEntries(els.map((e) => [
    e.dataset.entity.slice('connect-task:'.length), e.querySelector('.connect-task-state').textContent])));
}

test('Connect: systems, connectors, tasks on their worker, the sink count, and a worker crash', async () => {
  const { page, problems } = await open(env.browser, env.server.url);
  for (const name of ['system:orders', 'system:orders.txt', 'connector:jdbc', 'connector:export', 'worker:w1',
    ...TASKS.map((t) => `connect-task:${t}`)]) {
    await page.waitForSelector(`[data-entity="${name}"]`, { timeout: 15000 });
    assert.equal(await page.locator(`[data-entity="${name}"]`).count(), 1, name);
  }
  // Sources at the left edge (the producers column), sinks at the right (the groups column).
  assert.equal(await page.locator('[data-slot="producers"] [data-entity="system:orders"]').count(), 1);
  assert.equal(await page.locator('[data-slot="groups"] [data-entity="system:orders.txt"]').count(), 1);
  assert.match(await page.locator('[data-entity="connector:jdbc"]').textContent(), /JdbcSourceConnector/);
  assert.match(await page.locator('[data-entity="connector:export"]').textContent(), /FileStreamSinkConnector.*2 tasks/s);

  // Every task on w1, where the engine runs it, RUNNING on screen.
  for (const t of TASKS) assert.ok(await holds(page, `task-worker ${t} == w1`), t);
  assert.deepEqual(await until('all chips on w1', async () => {
    const on = await chipsOn(page, 'w1');
    return on.length === TASKS.length ? on : null;
  }, 10000), [...TASKS].sort());
  assert.deepEqual(await statesDrawn(page), Object.fromEntries(TASKS.map((t) => [t, 'RUNNING'])));

  // The source task's producer is drawn by its chip (its records fly from there), not as a card.
  assert.equal(await page.locator('[data-entity="connect-task:jdbc-0"] [data-entity="producer:connector-producer-jdbc-0"]').count(), 1);
  assert.equal(await page.locator('#producers > .producer.card').count(), 0);

  // The sink file's line count on screen is the room's: paused, the number drawn is what
  // `expect lines` answers.
  await send(page, { type: 'speed', speed: 5 });
  await until('40 lines written', () => holds(page, 'lines orders.txt >= 40'), 30000);
  await send(page, { type: 'pause' });
  const lines = await until('the drawn count is the engine\'s', async () => {
    const text = await page.locator('[data-entity="system:orders.txt"] .system-size').textContent();
    const n = Number(text.replace(/\D/g, ''));
    return n >= 40 && (await holds(page, `lines orders.txt == ${n}`)) ? n : null;
  }, 10000);
  // Its newest lines are the file's last lines, newest on top.
  const newest = await page.locator('[data-entity="system:orders.txt"] .system-entries li').allTextContents();
  assert.ok(newest.length > 0 && newest.length <= 6, `${newest.length} entries drawn`);
  assert.match(newest[0], /^\{"id":\d+,"name":"orders-\d+"\}$/);
  const rows = Number((await page.locator('[data-entity="system:orders"] .system-size').textContent()).replace(/\D/g, ''));
  assert.ok(await holds(page, `rows orders == ${rows}`), `rows orders == ${rows} (lines ${lines})`);

  // A crash: the worker is drawn down, its tasks UNASSIGNED and outside it, as the engine says.
  const crashed = await send(page, { type: 'command', line: 'worker crash w1' });
  assert.ok(crashed.ok, JSON.stringify(crashed.error));
  for (const t of TASKS) {
    assert.ok(await holds(page, `task-state ${t} == UNASSIGNED`), t);
    assert.ok(await holds(page, `task-worker ${t} == none`), t);
  }
  await until('chips UNASSIGNED', async () => Object.values(await statesDrawn(page)).every((s) => s === 'UNASSIGNED'), 10000);
  assert.deepEqual(await chipsOn(page, 'w1'), []);
  assert.equal(await page.locator('.connect-tray [data-entity^="connect-task:"]').count(), TASKS.length);
  assert.equal(await page.locator('[data-entity="worker:w1"] .status-pill').textContent(), 'down');
  assert.match(await page.locator('[data-entity="connector:jdbc"] .connector-state').textContent(), /UNASSIGNED/);

  // Back: the tasks return to w1 and run.
  await send(page, { type: 'command', line: 'worker restart w1' });
  await until('chips back on w1', async () => (await chipsOn(page, 'w1')).length === TASKS.length, 10000);
  assert.deepEqual(problems.errors, []);
});

test('a user\'s text in a system is drawn as text', async () => {
  const { page } = await open(env.browser, env.server.url);
  await page.waitForSelector('[data-entity="system:orders"]');
  await send(page, { type: 'play' });
  // The table's own rate would push the row out of the newest six before it is looked at.
  assert.ok((await send(page, { type: 'command', line: 'system rate orders 0/s' })).ok);
  const reply = await send(page, { type: 'command', line: 'system insert orders "<img src=x onerror=alert(1)>"' });
  assert.ok(reply.ok, JSON.stringify(reply.error));
  await until('the row drawn', () => page.locator('[data-entity="system:orders"] .system-entries li', { hasText: '<img' }).count());
  assert.equal(await page.locator('[data-entity="system:orders"] img').count(), 0);
});
