// A real Kafka client on the page: kcat (librdkafka) produces to the default room's brokers and
// the page draws it as a producer named by its client.id, marked "real client", connected while
// its connection is open, with the acknowledged count the room holds and its records in the log.
// The presenter panel counts the programs connected (client.ids), not their connections.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { useServerAndBrowser, open, holds, until, root, rawConnection } from './harness.mjs';

const run = promisify(execFile);
const { env } = useServerAndBrowser({ kafka: true });
const python = process.env.KAFKA_PYTHON || path.join(root, 'target', 'kafka-python', 'bin', 'python');

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

/**
 * A kafka-python program holding its connections open (tests/python/connected_program.py) until
 * `stop()`: resolves once it says it is ready.
 */
async function heldProgram(bootstrap, role, clientId, topic, group = '') {
  const script = path.join(root, 'tests', 'python', 'connected_program.py');
  const child = spawn(python, ['-u', script, bootstrap, role, clientId, topic, group], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await until(`${clientId} ready (${err.slice(-500)})`, () => out.includes('ready') || child.exitCode !== null, 30000);
  assert.match(out, /^ready/, `${clientId}: ${out} ${err.slice(-2000)}`);
  return { stop: async () => { child.stdin.end(); await Promise.race([exited, new Promise((r) => setTimeout(r, 10000).unref())]); child.kill(); } };
}

test('the presenter panel counts connected programs by client.id, names a few, and their connections', { timeout: 120000 }, async () => {
  const { page, problems } = await open(env.browser, env.server.url);
  await page.waitForSelector('[data-broker="1"]');
  // A lesson with pauses (presenter mode, the panel's lesson line): lesson 20, at its first pause.
  await page.locator('#lessons-button').click();
  await page.locator('#lessons-panel [data-lesson="20-your-own-client"]').click();
  await page.waitForFunction(() => window.playground.model.lesson?.id === '20-your-own-client' && window.playground.model.lesson.at_pause);
  const bootstrap = `127.0.0.1:${env.server.kafkaPort}`;
  const line = page.locator('#lesson-kafka');
  const text = () => line.textContent();
  const where = `Kafka ${bootstrap} (this computer only)`;
  assert.equal(await text(), `${where} · no client connected`);
  assert.ok(await line.evaluate((n) => n.classList.contains('none')), 'amber while nobody is connected');
  // Nobody connected: a small reminder of the address (every lesson shows it, most have no
  // clients); once programs connect, legible from the back of the room.
  const px = (sel) => page.locator(sel).evaluate((n) => parseFloat(getComputedStyle(n).fontSize));
  assert.ok(await px('#lesson-kafka') < await px('#lesson-state'), `${await px('#lesson-kafka')} px`);

  const held = [];
  const sockets = [];
  try {
    // One kafka-python producer writes to the 3 partitions, led by brokers 1, 2 and 3: one
    // program over a connection to each leader (and its bootstrap's).
    held.push(await heldProgram(bootstrap, 'producer', 'ada', 'orders'));
    const one = await until('1 program, ada', async () => (await text()).match(new RegExp(`^${where.replace(/[.()]/g, '\\$&')} · 1 program \\(ada\\) · (\\d+) connections$`)), 15000);
    assert.ok(Number(one[1]) >= 2, await text());
    assert.ok(!(await line.evaluate((n) => n.classList.contains('none'))));
    // At least the size of the lesson's state beside it.
    assert.ok(await px('#lesson-kafka') >= await px('#lesson-state'), `${await px('#lesson-kafka')} px`);
    assert.match(await page.locator('#speed').getAttribute('title'), /^1 Kafka client program is connected \(\d+ connections\): the room stays at 1×/);

    // A second program, a consumer with its own client.id.
    held.push(await heldProgram(bootstrap, 'consumer', 'bob-reader', 'orders', 'class'));
    await until('2 programs, ada and bob-reader', async () => / · 2 programs \(ada, bob-reader\) · \d+ connections$/.test(await text()), 15000);

    // Another computer's program under the same client.id (a class that kept a library's
    // default one) is a program of its own, named once with its count.
    const elsewhere = await rawConnection(env.server.kafkaPort, 'ada', { localAddress: '127.0.0.2' });
    await until('3 programs, ada twice', async () => / · 3 programs \(ada ×2, bob-reader\) · \d+ connections$/.test(await text()), 15000);
    elsewhere.destroy();
    await until('2 programs again', async () => / · 2 programs \(ada, bob-reader\) · \d+ connections$/.test(await text()), 15000);

    // Client ids are the clients' own text: a markup-looking one stays text, a long one is cut
    // by CSS. Four names are shown, alphabetically, then "+N more" (a silent connection is a
    // program of its own).
    const odd = `<img src=x onerror="window.pwned=1">${'x'.repeat(40)}`;
    for (const id of [odd, 'cy', 'dan']) sockets.push(await rawConnection(env.server.kafkaPort, id));
    sockets.push(await rawConnection(env.server.kafkaPort));
    await until('6 programs', async () => (await text()).includes(' · 6 programs ('), 15000);
    // The server keeps 64 characters of a client.id, as the cards show it.
    const shown = odd.slice(0, 64);
    assert.match(await text(), new RegExp(` · 6 programs \\(${shown.replace(/[.()]/g, '\\$&')}, ada, bob-reader, cy, \\+2 more\\) · \\d+ connections$`));
    assert.equal(await line.locator('img').count(), 0, 'no element made from a client id');
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    const cut = await line.locator('.lesson-kafka-id').first().evaluate((n) =>
      ({ cut: n.scrollWidth > n.clientWidth, overflow: getComputedStyle(n).textOverflow, title: n.title }));
    assert.deepEqual(cut, { cut: true, overflow: 'ellipsis', title: shown });
  } finally {
    for (const s of sockets) s.destroy();
    for (const h of held) await h.stop();
  }
  await until('nobody connected again', async () => (await text()) === `${where} · no client connected`, 20000);
  assert.deepEqual(problems.errors, []);
  await page.close();
});
