// The stage at any size: a 6-broker, 24-partition cluster fits a 1280×720 projector in the
// overview, with every partition's tile inside the window and nothing moving when a broker dies or
// a caption appears; every drawn entity carries `data-entity`, and those values are exactly the
// entities of the engine (read from a fresh snapshot over a WebSocket of the test's own, not from
// the page's model); a partition's rate falls to 0 once its producer stops.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { useServerAndBrowser, consoleLine, root } from './harness.mjs';

const { openRoom } = useServerAndBrowser();

/** The room's state as the engine reports it: a `snapshot` on a WebSocket opened for the test. */
async function engineSnapshot(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const room = document.body.dataset.room;
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/${encodeURIComponent(room)}`);
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if (msg.type === 'snapshot') { ws.close(); resolve(msg.state); }
    };
    ws.onerror = () => reject(new Error('websocket failed'));
  }));
}

/** Every `data-entity` drawn, grouped by kind: {kind: Set(id)}. */
async function drawnEntities(page) {
  const values = await page.$$eval('[data-entity]', (els) => els.map((e) => e.dataset.entity));
  const kinds = {};
  for (const v of values) {
    const i = v.indexOf(':');
    (kinds[v.slice(0, i)] ||= new Set()).add(v.slice(i + 1));
  }
  return kinds;
}

/** Loads a scenario file into the test's room (as the editor's Run does) and waits for it. */
async function load(page, file) {
  const source = await readFile(path.join(root, file), 'utf8');
  const reply = await page.evaluate((text) => window.playground.connection.send({ type: 'load', name: 'stage.scenario', source: text }), source);
  assert.equal(reply.ok, true, JSON.stringify(reply.error));
}

/** The boxes of a set of elements, by data-entity. */
async function boxes(page, selector) {
  return page.$$eval(selector, (els) => Object.fromEntries(els.map((e) => {
    const r = e.getBoundingClientRect();
    return [e.dataset.entity, [r.left, r.top, r.width, r.height].map((x) => Math.round(x))];
  })));
}

test('6 brokers × 24 partitions: the overview shows every partition inside 1280×720, and nothing moves', async () => {
  const { page, problems } = await openRoom('overview');
  await page.waitForSelector('[data-entity="broker:3"]');
  // 6 brokers, `orders` with 24 partitions at RF 3, a keyed producer at 2,000/s, a group of 4.
  await load(page, 'tests/bench/frames.scenario');
  await page.waitForFunction(() => document.querySelectorAll('#overview [data-entity^="partition:"]').length === 24);
  const state = await engineSnapshot(page);
  assert.equal(state.partitions.length, 24);
  assert.equal(await page.locator('#stage').getAttribute('data-zoom'), 'overview', 'more partitions than the detail shows: overview by default');

  const tiles = await boxes(page, '#overview [data-entity^="partition:"]');
  assert.deepEqual(Object.keys(tiles).sort(), state.partitions.map((p) => `partition:${p.topic}/${p.partition}`).sort());
  for (const [id, [x, y, w, h]] of Object.entries(tiles)) {
    assert.ok(w > 0 && h > 0, `${id} is drawn`);
    assert.ok(x >= 0 && y >= 0 && x + w <= 1280 && y + h <= 720, `${id} at ${[x, y, w, h]} lies inside 1280×720`);
  }

  // A broker dies, a network cut splits the others, a caption appears: no tile and no broker card
  // moves (the cut sides 1,4 / 3,5,6 are not contiguous in id order, which used to reorder cards).
  const cards = await boxes(page, '[data-entity^="broker:"]');
  await consoleLine(page, 'broker kill 2');
  await consoleLine(page, 'network partition 1,4 / 3,5,6');
  // A partition cuts links between brokers (drawn as the links cut), it isolates no one.
  await page.waitForSelector('[data-cut="1-3"]', { state: 'attached' });
  await consoleLine(page, 'say "Broker 2 is gone: its partitions are under-replicated until it comes back, and this caption is long enough to take two lines at 1280 pixels."');
  // The engine's word: broker 2's partitions leave their ISR (replica.lag.time.max.ms after the kill).
  await page.evaluate(() => window.playground.connection.send({ type: 'speed', speed: 10 }));
  await page.waitForFunction(() => document.querySelector('#overview .tile.under-replicated, #overview .tile.under-min-isr, #overview .tile.offline'), null, { timeout: 20000 });
  await page.waitForSelector('#caption:not(.empty)');
  await page.evaluate(() => window.playground.connection.send({ type: 'pause' }));
  await page.waitForTimeout(300);
  assert.deepEqual(await boxes(page, '#overview [data-entity^="partition:"]'), tiles, 'tiles stay put');
  assert.deepEqual(await boxes(page, '[data-entity^="broker:"]'), cards, 'broker cards stay put, in id order');

  // Each tile's ISR count is the engine's.
  const after = await engineSnapshot(page);
  for (const p of after.partitions) {
    const id = `${p.topic}/${p.partition}`;
    const text = await page.locator(`#overview [data-entity="partition:${id}"] .tile-health`).textContent();
    if (p.leader === null) assert.match(text, /offline/, id);
    else assert.ok(text.endsWith(`ISR ${p.isr.length}/${p.replicas.length}`), `${id}: "${text}" vs ISR ${p.isr}`);
  }

  // A click on a tile opens that partition's log in the detail, alone.
  await page.locator('#overview [data-entity="partition:orders/5"]').click();
  assert.equal(await page.locator('#stage').getAttribute('data-zoom'), 'detail');
  await page.waitForSelector('.partition[data-partition="orders/5"]', { state: 'visible' });
  assert.equal(await page.locator('.logical .partition:visible').count(), 1);
  assert.deepEqual(problems.errors, []);
  await page.close();
});

test('every drawn entity carries data-entity, and the values are the engine\'s entities', async () => {
  const { page, problems } = await openRoom('entities');
  await page.waitForSelector('[data-entity="owned:orders/0"], [data-entity="owned:orders/1"]');
  await page.evaluate(() => window.playground.connection.send({ type: 'pause' }));
  await page.waitForTimeout(300);
  const state = await engineSnapshot(page);
  await page.waitForTimeout(300);
  // The demo has 3 partitions: the detail is the default; the overview is one click away.
  assert.equal(await page.locator('#stage').getAttribute('data-zoom'), 'detail');
  await page.locator('#zoom-overview').click();
  const drawn = await drawnEntities(page);

  const ids = (xs) => new Set(xs);
  const expected = {
    broker: ids(state.brokers.map((b) => String(b.id))),
    topic: ids(state.topics.map((t) => t.name)),
    partition: ids(state.partitions.map((p) => `${p.topic}/${p.partition}`)),
    replica: ids(state.partitions.flatMap((p) => p.replicas.map((b) => `${p.topic}/${p.partition}@${b}`))),
    producer: ids(state.producers.map((p) => p.name)),
    group: ids(state.groups.map((g) => g.name)),
    consumer: ids(state.consumers.map((c) => c.name)),
    owned: ids(state.consumers.flatMap((c) => c.owned.map(([p]) => p))),
  };
  // Every kind the page names (entities.js), except the log cells (`record:`, drawn by the logs
  // view and tested with it), is checked here.
  // The Streams kinds (app, instance, processor, store, task) are checked against a live Streams
  // application in streams.test.mjs: the demo has none.
  // The Connect kinds (worker, connector, connect-task, system) likewise in connect.test.mjs.
  const STREAMS_KINDS = ['app', 'instance', 'processor', 'store', 'task'];
  const CONNECT_KINDS = ['worker', 'connector', 'connect-task', 'system'];
  const elsewhere = [...STREAMS_KINDS, ...CONNECT_KINDS];
  const kinds = await page.evaluate(async () => (await import('/static/js/entities.js')).ENTITY_KINDS);
  assert.deepEqual(kinds.filter((k) => k !== 'record' && !elsewhere.includes(k)).sort(), Object.keys(expected).sort());
  for (const [kind, want] of Object.entries(expected)) {
    assert.ok(want.size > 0, `the demo has a ${kind}`);
    assert.deepEqual([...(drawn[kind] || [])].sort(), [...want].sort(), kind);
  }
  // Each consumer's chips are the partitions it owns, inside its own card.
  for (const c of state.consumers) {
    const chips = await page.$$eval(`[data-entity="consumer:${c.name}"] [data-entity^="owned:"]`, (els) => els.map((e) => e.dataset.entity.slice(6)));
    assert.deepEqual(chips.sort(), c.owned.map(([p]) => p).sort(), c.name);
  }
  // Each replica chip sits on its broker's card.
  for (const p of state.partitions) {
    for (const b of p.replicas) {
      assert.equal(await page.locator(`[data-entity="broker:${b}"] [data-entity="replica:${p.topic}/${p.partition}@${b}"]`).count(), 1);
    }
  }
  assert.deepEqual(problems.errors, []);
  await page.close();
});

test('a partition\'s rate falls to 0 once its producer stops', async () => {
  const { page, problems } = await openRoom('rates');
  await page.waitForSelector('[data-partition="orders/0"] .partition-rate');
  await page.waitForFunction(() => [...window.playground.model.rates.values()].some((r) => r > 0));
  await consoleLine(page, 'producer pause checkout');
  await page.evaluate(() => window.playground.connection.send({ type: 'speed', speed: 4 }));
  const paused = await page.evaluate(() => window.playground.model.clock.now_us);
  // The engine appends nothing more (its log end offsets stop) and the page says 0 within about
  // a simulated second (the rate counts the records of the last simulated second).
  await page.waitForFunction(() => [...window.playground.model.rates.values()].every((r) => r === 0), null, { timeout: 10000 });
  const zero = await page.evaluate(() => window.playground.model.clock.now_us);
  assert.ok(zero - paused < 3_000_000, `rates reached 0 ${(zero - paused) / 1e6} simulated s after the pause`);
  await page.waitForFunction(() => [...document.querySelectorAll('.partition-rate')].every((e) => e.textContent === ''));
  assert.deepEqual(problems.errors, []);
  await page.close();
});
