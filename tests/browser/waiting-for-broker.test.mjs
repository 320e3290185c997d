// A client whose leader's process died says so: its connection broke, and until the broker
// accepts a new one or the metadata names another leader, the producer's batches for that
// leader's partitions wait in the accumulator and the consumer fetches nothing from it
// (engine/src/connection.rs, Kafka's NetworkClient and its reconnect backoff). The cards show
// the snapshot's `waiting_for`, and the line goes once the controller has moved leadership.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, send, until } from './harness.mjs';

const { openRoom } = useServerAndBrowser();

/** The waiting lines drawn on the producer card and the consumer rows, by client name. */
const waitingLines = (page) => page.evaluate(() => {
  const out = {};
  for (const n of document.querySelectorAll('[data-producer] .client-waiting, [data-consumer] .client-waiting')) {
    if (!n.checkVisibility() || !n.textContent) continue;
    const owner = n.closest('[data-producer], [data-consumer]');
    out[owner.dataset.producer ?? owner.dataset.consumer] = n.textContent;
  }
  return out;
});

test('clients say which dead leader they wait for, until leadership moves', async () => {
  const { page, problems } = await openRoom('waiting');
  await page.waitForSelector('[data-producer="checkout"]');
  await page.waitForSelector('[data-consumer="billing-1"]');
  // Killed once the group has assigned (broker 1 is also its coordinator: killed earlier, the
  // consumers would own nothing to fetch).
  await until('the group to assign', () => page.evaluate(() => {
    const cs = [...window.playground.model.consumers.values()];
    return cs.length === 2 && cs.every((c) => c.owned.length > 0);
  }));
  assert.deepEqual(await waitingLines(page), {}, 'nobody waits while every broker is up');
  assert.equal((await send(page, { type: 'command', line: 'broker kill 1' })).ok, true);

  // The demo's keyed producer writes to every partition, one of them led by broker 1; the
  // consumer that owns a partition led there waits too. What the page draws is the engine's list.
  const lines = await until('the waiting lines', async () => {
    const l = await waitingLines(page);
    return l.checkout && Object.keys(l).length >= 2 ? l : null;
  });
  assert.equal(lines.checkout, 'waiting for broker 1 · reconnecting');
  const model = await page.evaluate(() => ({
    producer: window.playground.model.producers.get('checkout').waiting_for,
    consumers: Object.fromEntries([...window.playground.model.consumers.values()].map((c) => [c.name, c.waiting_for])),
  }));
  assert.deepEqual(model.producer, [1]);
  for (const [name, text] of Object.entries(lines)) {
    if (name === 'checkout') continue;
    assert.deepEqual(model.consumers[name], [1], `${name} draws "${text}"`);
    assert.match(text, /waiting for broker 1 · reconnecting/);
  }

  // The controller fences broker 1 when its session expires and elects new leaders; the
  // clients' next metadata names them, and nobody waits any more.
  assert.equal((await send(page, { type: 'speed', speed: 5 })).ok, true);
  await until('leadership to leave broker 1', async () => {
    const leaders = await page.evaluate(() => [...window.playground.model.partitions.values()].map((p) => p.leader));
    return leaders.length > 0 && leaders.every((l) => l !== 1);
  }, 60000);
  await until('the waiting lines to go', async () => Object.keys(await waitingLines(page)).length === 0, 30000);
  assert.deepEqual(problems.errors, []);
});
