// The Connect page against the live engine (tests/scenarios/connect/jdbc-to-file.scenario): the
// source table on the left, the sink file on the right, the connectors' cards, the worker's box
// holding the task chips; the sink file's line count on screen is the room's own (`expect lines`);
// `worker crash` draws the worker down and its tasks UNASSIGNED, outside it, as the engine says.
//
// Placement is read through `chipsOn(page, worker)`, the chips drawn in a worker's box, and
// checked against the engine's `task-worker`. In distributed mode (three workers of group
// connect-cluster) a crashed worker's tasks wait UNASSIGNED for scheduled.rebalance.max.delay.ms,
// on no live worker, then move to the workers left; the page is compared with the room at an
// instant inside the delay and after it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, open, send, holds, until } from './harness.mjs';

const { env, openRoom } = useServerAndBrowser({ scenario: 'tests/scenarios/connect/jdbc-to-file.scenario' });

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

// Three distributed workers, a 20 s scheduled.rebalance.max.delay.ms; a JDBC source with three
// tasks and a file sink with two, spread over the workers by the leader's assignor.
const WORKERS = ['w1', 'w2', 'w3'];
const DELAY_MS = 20000;
const DISTRIBUTED = `seed 3
brokers 3
topic create db-a partitions=1 replication=3
topic create db-b partitions=1 replication=3
topic create db-c partitions=1 replication=3
system table a rate=2/s
system table b rate=2/s
system table c rate=2/s
system file out.txt
${WORKERS.map((w) => `worker add ${w} mode=distributed scheduled.rebalance.max.delay.ms=${DELAY_MS}`).join('\n')}
wait 5s
connector create jdbc worker=w1 connector.class=JdbcSource tasks.max=3 table.whitelist=a,b,c topic.prefix=db- poll.interval.ms=1000
connector create export worker=w1 connector.class=FileStreamSink file=out.txt topics=db-a,db-b,db-c tasks.max=2
`;
const DISTRIBUTED_TASKS = ['jdbc-0', 'jdbc-1', 'jdbc-2', 'export-0', 'export-1'];

/** The room's placement: worker name (or `none`) → its tasks, sorted, asked task by task. */
async function placement(page) {
  const out = new Map([...WORKERS, 'none'].map((w) => [w, []]));
  for (const t of DISTRIBUTED_TASKS) {
    let found = null;
    for (const w of out.keys()) if (await holds(page, `task-worker ${t} == ${w}`)) { found = w; break; }
    assert.ok(found, `task-worker ${t}: none of ${[...out.keys()]}`);
    out.get(found).push(t);
  }
  for (const list of out.values()) list.sort();
  return out;
}

/** The room's `task-state` of task `t` (`AbstractStatus.State`, as the status API reports it). */
async function roomState(page, t) {
  for (const state of ['UNASSIGNED', 'RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'RESTARTING']) {
    if (await holds(page, `task-state ${t} == ${state}`)) return state;
  }
  throw new Error(`task-state ${t}: no state holds`);
}

/** Paused: every worker's box holds exactly the chips of the tasks the room places on it. */
async function drawnAsPlaced(page, where) {
  const placed = await placement(page);
  await until(`${where}: chips where the room places the tasks`, async () => {
    for (const w of WORKERS) if ((await chipsOn(page, w)).join() !== placed.get(w).join()) return false;
    return true;
  }, 10000);
  return placed;
}

/** Plays `wait D` in the room (it plays D of simulated time, then pauses) and waits for it. */
async function roomWait(page, seconds) {
  const from = await page.evaluate(() => window.playground.model.clock.now_us);
  const reply = await send(page, { type: 'command', line: `wait ${seconds}s` });
  assert.ok(reply.ok, JSON.stringify(reply.error));
  await page.waitForFunction((end) => {
    const c = window.playground.model.clock;
    return c.now_us >= end && !c.playing;
  }, from + seconds * 1e6, { timeout: 30000 });
}

test('Connect distributed: a crashed worker\'s tasks wait on no live worker for the delay, then move', async () => {
  const { page, problems } = await openRoom('connect-distributed');
  await page.waitForSelector('[data-broker="1"]');
  assert.ok((await send(page, { type: 'load', name: 'distributed.scenario', source: DISTRIBUTED })).ok);
  await send(page, { type: 'speed', speed: 20 });
  await send(page, { type: 'play' });
  for (const name of ['system:a', 'system:b', 'system:c', 'system:out.txt', 'connector:jdbc', 'connector:export',
    ...WORKERS.map((w) => `worker:${w}`), ...DISTRIBUTED_TASKS.map((t) => `connect-task:${t}`)]) {
    await page.waitForSelector(`[data-entity="${name}"]`, { timeout: 15000 });
  }
  await until('every task RUNNING on a worker', async () => {
    for (const t of DISTRIBUTED_TASKS) if (!(await holds(page, `task-state ${t} == RUNNING`))) return false;
    return true;
  });
  await send(page, { type: 'pause' });
  const before = await drawnAsPlaced(page, 'before the crash');
  assert.deepEqual(before.get('none'), []);

  // The workers' group is drawn as the engine describes it: protocol type connect, its
  // generation's protocol (`sessioned`: incremental cooperative), not a consumer assignor.
  const group = await page.evaluate(() => window.playground.model.groups.get('connect-cluster'));
  assert.equal(group.protocol_type, 'connect');
  assert.ok(await holds(page, 'state connect-cluster == Stable'));
  assert.match(await page.locator('[data-entity="group:connect-cluster"] .group-meta').first().textContent(),
    new RegExp(`connect · ${group.protocol} · ${group.assignor}`));

  // Crash the worker running the most tasks.
  const victim = WORKERS.reduce((a, b) => (before.get(b).length > before.get(a).length ? b : a));
  const moving = before.get(victim);
  const live = WORKERS.filter((w) => w !== victim);
  assert.ok(moving.length > 0, `${victim} runs ${moving}`);
  const crashed = await send(page, { type: 'command', line: `worker crash ${victim}` });
  assert.ok(crashed.ok, JSON.stringify(crashed.error));
  await until('the crashed worker drawn down', async () =>
    (await page.locator(`[data-entity="worker:${victim}"] .status-pill`).textContent()) === 'down', 10000);
  const atCrash = await drawnAsPlaced(page, 'at the crash');
  assert.deepEqual(atCrash.get('none'), moving);

  // Inside the delay: the coordinator removed the worker at its session timeout (10 s) and the
  // leader's round keeps its tasks unassigned for 20 s. They are on no live worker, in the tray,
  // with the state the room reports (Connect's status store keeps what the dead worker last
  // wrote until another worker starts the task: RUNNING, as `GET /connectors/NAME/status` says).
  await roomWait(page, 18);
  assert.ok(await holds(page, `members connect-cluster == ${live.join(',')}`));
  assert.ok(await holds(page, 'state connect-cluster == Stable'));
  const inside = await drawnAsPlaced(page, 'inside the delay');
  assert.deepEqual(inside.get('none'), moving);
  for (const w of live) assert.deepEqual(inside.get(w), before.get(w), `${w} keeps its own tasks`);
  for (const t of moving) {
    const chip = page.locator(`.connect-tray [data-entity="connect-task:${t}"]`);
    assert.equal(await chip.count(), 1, `${t} in the tray`);
    assert.equal(await chip.locator('.connect-task-state').textContent(), await roomState(page, t), t);
  }

  // After the delay: the leader gives them to the live workers, where the page draws them.
  await send(page, { type: 'play' });
  await until('the leader to give the lost tasks to live workers', async () => {
    for (const t of moving) if (await holds(page, `task-worker ${t} == none`)) return false;
    return true;
  });
  await send(page, { type: 'pause' });
  const after = await drawnAsPlaced(page, 'after the delay');
  assert.deepEqual(after.get('none'), []);
  assert.deepEqual(after.get(victim), []);
  for (const t of moving) {
    assert.ok(live.some((w) => after.get(w).includes(t)), `${t} on a live worker`);
    const drawn = await page.locator(`[data-entity="connect-task:${t}"] .connect-task-state`).textContent();
    assert.equal(drawn, await roomState(page, t), t);
  }
  assert.equal(await page.locator('.connect-tray').count(), 0);
  assert.deepEqual(problems.errors, []);
});

// Lesson 19's and 18's figures on the chips, each read back from the room: a source task's
// offset and flushed offset, the ids it sent twice after its worker crashed, and a JDBC sink task
// whose retries ran out, FAILED on its worker (Kafka keeps a failed task assigned until restarted).
const OFFSETS = `seed 1
brokers 3
topic create db-users partitions=1 replication=3
system table users rate=1/s
system table copy
worker add w1
wait 500ms
connector create jdbc worker=w1 connector.class=JdbcSource table.whitelist=users topic.prefix=db-
connector create export worker=w1 connector.class=JdbcSink topics=db-users table.name.format=copy max.retries=2 retry.backoff.ms=1000
wait 67s
worker crash w1
wait 10s
worker restart w1
wait 2s
system unavailable copy
wait 20s
`;

test('Connect chips: a source task\'s offsets and re-sent ids, a failed sink task on its worker with its retries', async () => {
  const { page, problems } = await openRoom('connect-offsets');
  await page.waitForSelector('[data-broker="1"]');
  assert.ok((await send(page, { type: 'load', name: 'offsets.scenario', source: OFFSETS })).ok);
  // Slow enough to pause between the flush (60.5 s) and the crash (67.5 s).
  await send(page, { type: 'speed', speed: 5 });
  await send(page, { type: 'play' });
  const chip = (t) => page.locator(`[data-entity="connect-task:${t}"]`);
  // After the first flush, before the crash: what the chip says is the room's flushed offset.
  // The connector is created 0.5 simulated s in; until then the room rightly answers
  // 'unknown connector', which is not yet a failure.
  const flushedOnce = async () => {
    const reply = await send(page, { type: 'command', line: 'expect offset-flushes jdbc == 1' });
    if (!reply.ok && /unknown connector/.test(reply.error.message)) return false;
    if (!reply.ok) throw new Error(JSON.stringify(reply.error));
    return reply.output.startsWith('✓');
  };
  await until('the first offset flush', flushedOnce, 30000);
  await send(page, { type: 'pause' });
  const flushed = await until('the flushed offset drawn', async () => {
    const m = (await chip('jdbc-0').locator('.connect-task-offsets').textContent()).match(/^offset id (\d+) · flushed id (\d+)$/);
    return m && (await holds(page, `flushed-offset jdbc users == ${m[2]}`)) ? Number(m[2]) : null;
  }, 10000);
  assert.ok(await holds(page, 'task-worker jdbc-0 == w1'), 'paused before the crash');
  // The next flush is offset.flush.interval.ms after this one (60.5 s): SourceTaskOffsetCommitter's schedule.
  assert.equal(await chip('jdbc-0').locator('.connect-task-flush').textContent(), 'next offset flush 120.5 s · every 60 s');
  assert.match(await chip('jdbc-0').locator('.connect-task-flow').textContent(), /^read \d+ from users$/);
  // The restarted task sent again every id after the flushed one that it had sent before.
  await send(page, { type: 'speed', speed: 20 });
  await send(page, { type: 'play' });
  await until('the sink task FAILED', () => holds(page, 'task-state export-0 == FAILED'), 60000);
  await send(page, { type: 'pause' });
  await until('the re-sent ids drawn', async () => {
    const twice = await chip('jdbc-0').locator('.connect-task-twice').textContent();
    const m = twice.match(/^ids (\d+)–(\d+) sent twice$/);
    if (!m || Number(m[1]) !== flushed + 1) return false;
    const resent = Number(m[2]) - Number(m[1]) + 1;
    const count = (await chip('jdbc-0').locator('.connect-task-resent').textContent()).trim();
    return count === `· re-sent ${resent}` && holds(page, `connector-duplicates jdbc == ${resent}`);
  }, 10000);
  // The failed sink task: in w1's box, FAILED, with the retries it used of max.retries.
  assert.ok(await holds(page, 'task-worker export-0 == w1'));
  assert.deepEqual(await chipsOn(page, 'w1'), ['export-0', 'jdbc-0']);
  assert.equal(await chip('export-0').locator('.connect-task-state').textContent(), 'FAILED');
  assert.ok(await holds(page, 'connector-retries export == 2'));
  assert.equal(await chip('export-0').locator('.connect-task-retries').textContent(), 'retries 2 of 2');
  assert.equal(await page.locator('.connect-tray').count(), 0);
  assert.deepEqual(problems.errors, []);
});
