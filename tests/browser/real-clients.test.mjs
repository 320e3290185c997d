// A real Kafka client on the page: kcat (librdkafka) produces to the default room's brokers and
// the page draws it as a producer named by its client.id, marked "real client", connected while
// its connection is open, with the acknowledged count the room holds and its records in the log.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { useServerAndBrowser, open, holds, until } from './harness.mjs';

const run = promisify(execFile);
const { env } = useServerAndBrowser({ kafka: true });

test('a record produced by kcat is drawn from a producer card marked "real client", named by its client.id', async () => {
  // The default room (the demo) is the one the listeners serve.
  const { page, problems } = await open(env.browser, env.server.url);
  await page.waitForSelector('[data-broker="1"]');
  const bootstrap = `127.0.0.1:${env.server.kafkaPort}`;
  const keys = ['alice-1', 'alice-2', 'alice-3', 'alice-4', 'alice-5'];
  const input = keys.map((k) => `${k}:hello from ${k}`).join('\n') + '\n';
  const kcat = run('kcat', ['-P', '-b', bootstrap, '-t', 'orders', '-K', ':', '-X', 'client.id=alice-laptop', '-X', 'acks=all'],
    { timeout: 60000 });
  kcat.child.stdin.end(input);
  await kcat;
  const card = page.locator('.producer.card', { has: page.locator('.entity-name', { hasText: 'alice-laptop' }) });
  await card.waitFor();
  assert.equal((await card.locator('.tag.rate').textContent()).trim(), 'real client');
  assert.ok(await card.locator('.tag.rate.real-client').count(), 'the mark has its own style');
  // Acknowledged: the five records kcat sent, as the engine's acknowledgement path counted them.
  await until('the card shows all five acknowledged', async () =>
    (await card.locator('.counts b').nth(2).textContent()).trim() === '5', 15000);
  // kcat has exited: its connection closed, the card says so.
  await until('the card says disconnected', async () =>
    (await card.locator('.status-pill').textContent()).trim() === 'disconnected', 15000);
  assert.deepEqual(problems.errors, []);
  await page.close();
});

test('a real consumer group (kcat -G, librdkafka) is drawn with its members marked "real client", their assignment and the assignor they chose', async () => {
  const { page, problems } = await open(env.browser, env.server.url);
  await page.waitForSelector('[data-broker="1"]');
  const bootstrap = `127.0.0.1:${env.server.kafkaPort}`;
  // librdkafka's balanced consumer: FindCoordinator, JoinGroup (its default assignors:
  // range, roundrobin), SyncGroup with the leader's assignment, heartbeats, fetches.
  const kcat = spawn('kcat', ['-G', 'maria-readers', '-b', bootstrap, '-X', 'client.id=maria-laptop',
    '-o', 'beginning', '-q', 'orders'], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const card = page.locator('.group.card', { hasText: 'maria-readers' });
    await card.waitFor({ timeout: 30000 });
    const member = card.locator('.member.real-member');
    await until('the real member drawn with its client.id', async () =>
      (await member.count()) === 1 && (await member.locator('.entity-name').textContent()) === 'maria-laptop', 30000);
    assert.equal(await member.locator('.tag.real-client').textContent(), 'real client');
    // One member holds every partition of orders, as the coordinator's state says.
    const chips = member.locator('.owned-chip > span:first-child');
    await until('its assignment drawn', async () =>
      (await chips.allTextContents()).sort().join(' ') === 'orders/0 orders/1 orders/2', 30000);
    // Each chip carries the offset the client last asked to fetch (its position as the brokers
    // see it), and it moves on as the demo's producers write and kcat keeps reading.
    const positions = async () => (await member.locator('.owned-pos').allTextContents())
      .map((t) => Number((t.replace(/\u202f/g, '').match(/@(\d+)/) || [])[1]));
    await until('positions drawn', async () => (await positions()).every((n) => Number.isFinite(n)), 30000);
    const first = await positions();
    await until('positions move on', async () => (await positions()).some((n, i) => n > first[i]), 30000);
    assert.ok(await holds(page, 'state maria-readers == Stable'));
    // The assignor is the protocol the coordinator selected: librdkafka's first choice, range.
    assert.match(await card.textContent(), /eager · range/);
  } finally {
    kcat.kill('SIGINT');
  }
  assert.deepEqual(problems.errors, []);
  await page.close();
});
