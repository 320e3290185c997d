// Logs drawn as they are, checked in the real page against the engine's own numbers (asked with
// `expect` lines and `inspect` over the page's WebSocket, never hard-coded): compaction leaves gaps
// at the removed offsets, retention moves the first cell to the log start offset, and a restarted
// replica's cells shrink (truncation) then grow (catching up) in the replicas view.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, send, until } from './harness.mjs';

const { openRoom } = useServerAndBrowser();


/** The engine's value of an `expect` metric (`records vip/0`), read from the line's "(it is N)". */
export async function measure(page, metric) {
  const reply = await send(page, { type: 'command', line: `expect ${metric} >= 0` });
  assert.ok(reply.ok, JSON.stringify(reply));
  const found = /\(it is (\d+)\)/.exec(reply.output || '');
  assert.ok(found, `no value in ${JSON.stringify(reply.output)}`);
  return Number(found[1]);
}

/** Restarts the room from a scenario text and waits for the page to draw partition `id`. */
export async function load(page, name, source, id) {
  const reply = await send(page, { type: 'load', name, source });
  assert.ok(reply.ok, JSON.stringify(reply));
  await page.waitForSelector(`[data-entity="partition:${id}"]`);
}

/** Offsets of the `record:` cells drawn for partition `id` in the logical view, in order. */
function drawnOffsets(page, id) {
  return page.$$eval(`[data-entity="partition:${id}"] [data-entity^="record:${id}@"]`,
    (cells) => cells.map((c) => Number(c.dataset.entity.split('@')[1])));
}


// Lesson 9's table: five VIP statuses, a tombstone for Hugh, then Zoe more than segment.ms later
// closes the segment; the cleaner (every 15 s) keeps the latest record per key.
const COMPACTION = `seed 9
brokers 3
topic create vip partitions=1 replication=3 cleanup=compact segment=10s
produce vip key=Allison value=Bronze
produce vip key=Rick value=Silver
produce vip key=Rick value=Platinum
produce vip key=Allison value=Silver
produce vip key=Hugh value=Gold
produce vip key=Hugh
at 12s produce vip key=Zoe value=Bronze
`;

test('after compaction a fully visible log draws exactly the records the engine holds, with gaps at the removed offsets', async () => {
  const { page, problems } = await openRoom('compaction');
  await page.waitForSelector('[data-broker="1"]');
  await load(page, 'compaction.scenario', COMPACTION, 'vip/0');
  await send(page, { type: 'speed', speed: 20 });
  await send(page, { type: 'play' });
  const leo = await until('the cleaner to remove records', async () => {
    // The log end first: once it is 7 nothing more is written, so a later count below it can
    // only mean the cleaner ran (asked the other way round, Zoe's record could land in between).
    const end = await measure(page, 'leo vip/0');
    const records = await measure(page, 'records vip/0');
    return end === 7 && records < end ? end : null;
  });
  await send(page, { type: 'pause' });
  const records = await measure(page, 'records vip/0');
  const start = await measure(page, 'log-start vip/0');
  assert.ok(leo - start <= 16, 'the whole log fits the window');
  // The engine's offsets, from its own `inspect` answer.
  const inspect = (await send(page, { type: 'inspect', topic: 'vip', partition: 0 })).inspect;
  const held = inspect.records.map((r) => r.offset);
  assert.equal(held.length, records);
  await until('the page to draw the compacted log', async () => (await drawnOffsets(page, 'vip/0')).length === records);
  assert.deepEqual(await drawnOffsets(page, 'vip/0'), held);
  // Every removed offset is a gap in its place; the tombstone is marked as one.
  const gaps = await page.$$eval('[data-entity="partition:vip/0"] .cell.gap', (cells) => cells.map((c) => Number(c.textContent)));
  const removed = [];
  for (let o = start; o < leo; o++) if (!held.includes(o)) removed.push(o);
  assert.ok(removed.length > 0);
  assert.deepEqual(gaps, removed);
  const tombstones = inspect.records.filter((r) => r.value === null).map((r) => `record:vip/0@${r.offset}`);
  const drawnTombstones = await page.$$eval('[data-entity="partition:vip/0"] .cell.tombstone', (cells) => cells.map((c) => c.dataset.entity));
  assert.deepEqual(drawnTombstones, tombstones);
  assert.deepEqual(problems.errors, []);
  await page.close();
});

// 1 record/s, a segment every 4 s, retention 8 s checked every second: segments are deleted while
// the log stays shorter than the 16-offset window, so its first cell must be the log start offset.
const RETENTION = `seed 3
brokers 3 retention-check=1s
topic create logs partitions=1 replication=3 retention=8s segment=4s
producer add app topic=logs rate=1/s keys=none
`;

test('after retention deletes a segment the first cell is the log start offset', async () => {
  const { page, problems } = await openRoom('retention');
  await page.waitForSelector('[data-broker="1"]');
  await load(page, 'retention.scenario', RETENTION, 'logs/0');
  await send(page, { type: 'speed', speed: 10 });
  await send(page, { type: 'play' });
  await until('retention to delete a segment', async () => (await measure(page, 'log-start logs/0')) > 0);
  await send(page, { type: 'pause' });
  const start = await measure(page, 'log-start logs/0');
  const leo = await measure(page, 'leo logs/0');
  assert.ok(leo - start <= 16, `the log (${start}..${leo}) fits the window`);
  await until('the page to catch up', async () => (await page.evaluate(() => window.playground.model.partitions.get('logs/0').log_start_offset)) === start);
  const offsets = await until('cells', async () => { const o = await drawnOffsets(page, 'logs/0'); return o.length === leo - start ? o : null; });
  assert.equal(offsets[0], start);
  const label = await page.locator('[data-entity="partition:logs/0"] .log-start-value').textContent();
  assert.match(label, new RegExp(`^${start}\\b`));
  assert.deepEqual(problems.errors, []);
  await page.close();
});

// acks=1 and 200 ms between brokers: the leader holds records its followers have not fetched yet
// when it dies. It restarts with them, truncates them (they are not in the new leader's log), then
// fetches the new leader's records.
const TRUNCATION = `seed 5
brokers 3 latency=200ms
topic create orders partitions=1 replication=3
producer add shop topic=orders rate=20/s keys=user-1..user-50 acks=1
`;

test('a restarted replica\'s cells shrink then grow in the replicas view', async () => {
  const { page, problems } = await openRoom('truncation');
  await page.waitForSelector('[data-broker="1"]');
  await load(page, 'truncation.scenario', TRUNCATION, 'orders/0');
  await send(page, { type: 'play' });
  await page.waitForTimeout(3000);
  const leader = await page.evaluate(() => window.playground.model.partitions.get('orders/0').leader);
  await page.locator('[data-entity="partition:orders/0"] .replicas-toggle').click();
  // The same replica is also a chip on its broker's card (data-entity is the same in every view):
  // this test reads the replicas view's row.
  const row = page.locator(`.replica-row[data-entity="replica:orders/0@${leader}"]`);
  await row.waitFor();
  const cells = () => row.locator('.rcell.present').count();
  // The leader dies with records its followers never fetched; the producer stops writing.
  assert.ok((await send(page, { type: 'command', line: `broker kill ${leader}` })).ok);
  assert.ok((await send(page, { type: 'command', line: 'producer pause shop' })).ok);
  await send(page, { type: 'speed', speed: 5 });
  await until('a new leader', async () => {
    const p = await page.evaluate(() => window.playground.model.partitions.get('orders/0'));
    return p.leader !== null && p.leader !== leader;
  });
  await page.waitForTimeout(1500);
  await send(page, { type: 'pause' });
  // The dead broker's divergent tail is in the window, marked as not in the leader's log.
  const divergent = await row.locator('.rcell.divergent').count();
  assert.ok(divergent > 0, 'the old leader holds records the new leader does not');
  const before = await cells();
  await send(page, { type: 'speed', speed: 0.5 });
  assert.ok((await send(page, { type: 'command', line: `broker restart ${leader}` })).ok);
  await send(page, { type: 'play' });
  const shrunk = await until('the restarted replica to truncate', async () => { const n = await cells(); return n < before ? n : null; });
  assert.equal(await row.locator('.rcell.divergent').count(), 0, 'the divergent records are gone');
  assert.ok((await send(page, { type: 'command', line: 'producer resume shop' })).ok);
  const grown = await until('the restarted replica to catch up', async () => { const n = await cells(); return n > shrunk ? n : null; });
  assert.ok(grown > shrunk);
  // It ends as the engine says: caught up to the leader's log end offset once writes stop.
  assert.ok((await send(page, { type: 'command', line: 'producer pause shop' })).ok);
  await until('the replica\'s LEO to match the engine', async () => (await row.locator('.replica-leo').textContent()) === `LEO ${await measure(page, 'leo orders/0')}`);
  assert.deepEqual(problems.errors, []);
  await page.close();
});

// Twelve records in one instant: more than a frame samples (wire.rs MAX_PRODUCE_FLIGHTS), so the
// frame alone leaves cells without their key; the page asks the room for the log and draws them.
const BURST = `seed 5
brokers 1
topic create burst partitions=1 replication=1
${Array.from({ length: 12 }, (_, i) => `produce burst ${i % 3 === 0 ? '' : `key=user-${i % 4} `}value=v${i}`).join('\n')}
`;

test('a burst larger than a frame samples still draws every record\'s key, as the engine holds it', async () => {
  const { page, problems } = await openRoom('burst');
  await page.waitForSelector('[data-broker="1"]');
  await load(page, 'burst.scenario', BURST, 'burst/0');
  await send(page, { type: 'play' });
  await until('the twelve records', async () => (await measure(page, 'leo burst/0')) === 12);
  await send(page, { type: 'pause' });
  const held = (await send(page, { type: 'inspect', topic: 'burst', partition: 0 })).inspect.records;
  assert.equal(held.length, 12);
  const cells = '[data-entity="partition:burst/0"] [data-entity^="record:burst/0@"]';
  await until('every key drawn', async () => (await page.$$eval(`${cells}.unknown-key`, (c) => c.length)) === 0, 10000);
  // Records without a key are drawn as such, exactly where the engine has them.
  const drawnNull = await page.$$eval(`${cells}.null-key`, (c) => c.map((x) => Number(x.dataset.entity.split('@')[1])));
  assert.deepEqual(drawnNull, held.filter((r) => r.key === null).map((r) => r.offset));
  assert.ok(drawnNull.length > 0 && drawnNull.length < 12);
  assert.deepEqual(problems.errors, []);
  await page.close();
});

// 3 records/s at 20×: 6 new offsets a frame, too many to read while playing (the cells show key
// colours only); paused, nothing changes, so the offsets are drawn whatever the speed.
const FAST = `seed 1
brokers 3
topic create hot partitions=1 replication=3
producer add p topic=hot rate=3/s keys=k-1..k-5
`;

test('offsets hidden while a fast log plays are drawn once the room is paused, and hidden again when it plays', async () => {
  const { page, problems } = await openRoom('paused-offsets');
  await page.waitForSelector('[data-broker="1"]');
  await load(page, 'fast', FAST, 'hot/0');
  await send(page, { type: 'speed', speed: 20 });
  await send(page, { type: 'play' });
  // The offsets (text) of the record cells drawn for hot/0.
  const offsets = () => page.$$eval('[data-entity="partition:hot/0"] [data-entity^="record:hot/0@"] .cell-offset',
    (labels) => labels.map((l) => l.textContent));
  // Playing fast: some records, no numbers.
  await until('records while playing fast', async () => (await offsets()).length >= 8);
  assert.ok((await offsets()).every((t) => t === ''), `no offsets while playing at 20×: ${await offsets()}`);
  await send(page, { type: 'pause' });
  await page.waitForFunction(() => !window.playground.model.clock.playing);
  // Paused: every record cell shows its own offset, and the numbers can be read (not hidden
  // because the log is too narrow for them).
  await until('offsets drawn while paused', async () => {
    const cells = await page.$$eval('[data-entity="partition:hot/0"] [data-entity^="record:hot/0@"]',
      (els) => els.map((c) => [c.dataset.entity.split('@')[1], c.querySelector('.cell-offset').textContent]));
    return cells.length >= 8 && cells.every(([offset, text]) => text === offset);
  });
  assert.ok(await page.$eval('[data-entity="partition:hot/0"] [data-entity^="record:hot/0@"] .cell-offset',
    (l) => l.checkVisibility({ visibilityProperty: true })), 'the offsets are visible');
  await send(page, { type: 'play' });
  await until('offsets hidden again when playing', async () => (await offsets()).every((t) => t === ''));
  assert.deepEqual(problems.errors, []);
  await page.close();
});
