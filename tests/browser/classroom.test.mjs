// A classroom (`playground serve --share`) in the real page: the presenter's link leads, its token
// leaves the address bar; a student follows read-only (no control can change the room, no key
// either), forks a sandbox that starts where the presenter's room was, and breaks things there;
// the presenter sees who follows and how many sandboxes there are, and shows the class link.
// With Kafka listeners, the projected Kafka line gives the address the class's programs use.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, open, partitionsLedBy, rawConnection, until } from './harness.mjs';

const env = {};
before(async () => {
  env.server = await startServer(undefined, { share: true, kafka: true });
  env.browser = await launch();
});
after(async () => {
  await env.browser?.close();
  await env.server?.stop();
});

const model = (page, fn, arg) => page.evaluate(fn, arg);
/** What must match between a room and its fork: brokers, and every partition's leader and ISR. */
const cluster = (page) => model(page, () => {
  const m = window.playground.model;
  return {
    brokers: m.brokerList().map((b) => ({ id: b.id, alive: b.alive, fenced: b.fenced })),
    partitions: [...m.partitions.values()].map((p) => ({ id: p.id, leader: p.leader, isr: p.isr, replicas: p.replicas }))
      .sort((a, b) => a.id.localeCompare(b.id)),
  };
});
const audience = (page) => page.locator('#audience').textContent();

test('the presenter leads, a student follows read-only, forks a sandbox and breaks it', async () => {
  const { url, token, classUrl } = env.server;

  // The presenter's link: the token is taken and leaves the address bar at once.
  const presenter = await open(env.browser, `${url}?token=${token}`);
  const p = presenter.page;
  await p.waitForSelector('[data-broker="3"] .replica.leader');
  assert.ok(!(await p.evaluate(() => location.href)).includes(token), 'no token in the address bar');
  assert.equal(await p.evaluate(() => sessionStorage.getItem('playground.token')), token);
  await p.waitForFunction(() => window.playground.model.access.role === 'presenter' && window.playground.model.control);
  assert.equal(await p.locator('#play').isDisabled(), false);
  assert.equal(await p.locator('#classroom-bar').isHidden(), true, 'the presenter sees no banner');
  // Pause, so the fork's cluster can be compared exactly.
  await p.locator('#play').click();
  await p.waitForFunction(() => window.playground.model.clock.playing === false);

  // The class link: the students' address and its QR code.
  await p.locator('#class-link-button').click();
  await p.waitForSelector('#class-panel:not([hidden])');
  assert.equal((await p.locator('#class-url').textContent()).trim(), classUrl);
  await p.waitForFunction(() => { const img = document.getElementById('class-qr'); return img.complete && img.naturalWidth > 0; });
  await p.keyboard.press('Escape');
  await p.waitForSelector('#class-panel', { state: 'hidden' });

  // A student opens the students' page: following, every control that changes the room is off.
  const student = await open(env.browser, url);
  const s = student.page;
  await s.waitForSelector('[data-broker="3"] .replica.leader');
  await s.waitForSelector('#following-bar:not([hidden])');
  assert.equal(await s.evaluate(() => window.playground.model.access.role), 'viewer');
  for (const id of ['play', 'step', 'speed-up', 'speed-down', 'add-button', 'lessons-button', 'console-input', 'timeline', 'restart', 'next']) {
    assert.equal(await s.locator(`#${id}`).isDisabled(), true, `#${id} is disabled`);
  }
  assert.match(await s.locator('#play').getAttribute('title'), /only the presenter/);
  assert.equal(await s.locator('#audience').isHidden(), true);
  assert.equal(await s.locator('#class-link-button').isHidden(), true);

  // Keys that would change the room do nothing, and say nothing.
  const clockBefore = await model(s, () => ({ ...window.playground.model.clock }));
  await s.locator('.brand').click();
  for (const key of [' ', 'ArrowRight', '+', '-']) await s.keyboard.press(key);
  await s.waitForTimeout(600);
  assert.deepEqual(await model(s, () => ({ ...window.playground.model.clock })), clockBefore);
  assert.equal(await s.locator('#toast').isHidden(), true, 'no error toast');

  // A broker's menu offers Kill switched off; pressing it anyway kills nothing.
  await s.locator('[data-broker="1"]').first().click();
  const kill = s.locator('#menu [data-action="kill"]');
  assert.equal(await kill.isDisabled(), true);
  await kill.click({ force: true });
  await s.locator('#menu [data-action="details"]').waitFor();
  await s.keyboard.press('Escape');
  // And the server refuses what a tampered page would send.
  const reply = await model(s, () => window.playground.connection.send({ type: 'command', line: 'broker kill 1' }));
  assert.equal(reply.ok, false);
  assert.match(reply.error.message, /Fork/);
  await s.waitForTimeout(300);
  assert.equal(await model(p, () => window.playground.model.brokers.get(1).alive), true);

  // The presenter sees the student.
  await p.waitForFunction(() => /^[1-9]\d* following/.test(document.getElementById('audience').textContent), null, { timeout: 10000 });
  assert.match(await audience(p), /· 0 sandboxes$/);
  const presenterCluster = await cluster(p);
  const presenterNow = await model(p, () => window.playground.model.clock.now_us);

  // Fork: the student lands in a sandbox that starts exactly where the presenter's room is.
  await s.locator('#fork').click();
  await s.waitForURL(/\/r\/demo-sandbox-[0-9a-z]+$/);
  await s.waitForSelector('#sandbox-bar:not([hidden])');
  await s.waitForSelector('[data-broker="3"] .replica.leader');
  assert.match(await s.locator('#sandbox-title').textContent(), /^Your sandbox \(forked from demo\)$/);
  assert.equal(await s.locator('#back-to-following').getAttribute('href'), '/');
  assert.equal(await s.locator('#following-bar').isHidden(), true);
  assert.deepEqual(await cluster(s), presenterCluster, 'the sandbox starts with the presenter\'s cluster');
  assert.equal(await model(s, () => window.playground.model.clock.now_us), presenterNow);
  assert.equal(await s.locator('#play').isDisabled(), false);
  assert.equal(await s.locator('#console-input').isDisabled(), false);

  // In the sandbox the student kills broker 1 from its menu; the presenter's room goes on unharmed.
  const led = await partitionsLedBy(s, 1);
  await s.locator('[data-broker="1"]').first().click();
  await s.locator('#menu [data-action="kill"]').click();
  await s.waitForFunction(() => window.playground.model.brokers.get(1).alive === false);
  assert.ok(led.length > 0);
  assert.equal(await model(p, () => window.playground.model.brokers.get(1).alive), true);

  // The presenter counts one sandbox.
  await p.waitForFunction(() => /· 1 sandbox$/.test(document.getElementById('audience').textContent), null, { timeout: 10000 });

  // Back to following: the presenter's room again, read-only.
  await s.locator('#back-to-following').click();
  await s.waitForURL((u) => u.pathname === '/');
  await s.waitForSelector('#following-bar:not([hidden])');
  assert.equal(await s.locator('#play').isDisabled(), true);

  assert.deepEqual(presenter.problems.errors, []);
  assert.deepEqual(student.problems.errors, []);
  await p.close();
  await s.close();
});

test('a room that does not exist: the presenter creates it, a student may not', async () => {
  const { url, token } = env.server;
  const presenter = await open(env.browser, `${url}?token=${token}`);
  const p = presenter.page;
  await p.waitForSelector('[data-broker="1"]');
  // Same tab, no token in the address: the page fills it in from this tab's sessionStorage.
  await p.goto(`${url}r/lab-2`);
  assert.match(await p.locator('h1').textContent(), /no room called lab-2/);
  await p.locator('button[type="submit"]').click();
  await p.waitForURL((u) => u.pathname === '/r/lab-2' && !u.search.includes('token'));
  await p.waitForFunction(() => window.playground?.model.access.role === 'presenter' && window.playground.model.control);
  assert.equal(await p.locator('#play').isDisabled(), false);

  const student = await open(env.browser, `${url}r/lab-3`);
  const s = student.page;
  assert.match(await s.locator('h1').textContent(), /no room called lab-3/);
  await s.locator('button[type="submit"]').click();
  await s.waitForSelector('.missing-message');
  assert.match(await s.locator('.missing-message').textContent(), /Only the presenter creates rooms/);
  assert.equal(await s.locator('button[type="submit"]').count(), 0, 'no Create button to press again');

  // The missing room's page itself is a 404 (Chromium logs that): nothing else may complain.
  assert.deepEqual(presenter.problems.errors.filter((e) => !/status of 404/.test(e)), []);
  await p.close();
  await s.close();
});

test('shared, the presenter\'s Kafka line gives the address the class connects to, and counts a program from it', async () => {
  const { url, token, kafkaHost, kafkaPort } = env.server;
  const presenter = await open(env.browser, `${url}?token=${token}`);
  const p = presenter.page;
  await p.waitForSelector('[data-broker="1"]');
  await p.waitForFunction(() => window.playground.model.access.role === 'presenter' && window.playground.model.control);
  await p.locator('#lessons-button').click();
  await p.locator('#lessons-panel [data-lesson="20-your-own-client"]').click();
  await p.waitForFunction(() => window.playground.model.lesson?.id === '20-your-own-client' && window.playground.model.lesson.at_pause);
  const line = p.locator('#lesson-kafka');
  // `--share` advertises this computer's network address (the brokers' Metadata says the same),
  // so the line names it; only where the machine has none does it fall back to loopback, which
  // then truly reaches this computer only.
  const loopback = /^127\./.test(kafkaHost);
  const where = `Kafka ${kafkaHost}:${kafkaPort}${loopback ? ' (this computer only)' : ''}`;
  await until('the line names the shared address', async () => (await line.textContent()) === `${where} · no client connected`, 15000);
  if (!loopback) {
    assert.match(await line.getAttribute('title'), /^Where real Kafka clients connect/);
    assert.doesNotMatch(await line.getAttribute('title'), /--share/);
  }
  // A program connecting to that address (from it, as a laptop on the network would) counts.
  const socket = await rawConnection(kafkaPort, 'eve-laptop', { host: kafkaHost });
  try {
    await until('1 program, eve-laptop', async () => (await line.textContent()) === `${where} · 1 program (eve-laptop) · 1 connection`, 15000);
  } finally {
    socket.destroy();
  }
  await until('nobody connected again', async () => (await line.textContent()) === `${where} · no client connected`, 15000);
  assert.deepEqual(presenter.problems.errors, []);
  await p.close();
});
