// Lesson 20 as a class lives it: the producer and the consumer the lesson's listings show are
// copied from the page exactly as drawn (the `{bootstrap}` already replaced by this server's
// address) and run with kafka-python 3, while the presenter walks the lesson with Next. The
// lesson kills broker 1, leader of orders/0, while the producer writes; its acks=all sends wait
// for the election, then go on. Checked: each listing is the code a student would copy, the
// lesson waits at its pauses while the clock plays for the clients, the producer's card is on
// the page, and the programs' own outputs say every order was acknowledged once and read once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useServerAndBrowser, open, root, holds, until } from './harness.mjs';

const { env } = useServerAndBrowser({ kafka: true });
const python = process.env.KAFKA_PYTHON || path.join(root, 'target', 'kafka-python', 'bin', 'python');
const LESSON = '20-your-own-client';
const ORDERS = 120;

/** Runs `file` with kafka-python's venv, collecting its output lines. */
function runPython(file) {
  const child = spawn(python, ['-u', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const run = { child, lines: [], stderr: '' };
  let partial = '';
  child.stdout.on('data', (d) => {
    const text = partial + d;
    const lines = text.split('\n');
    partial = lines.pop();
    run.lines.push(...lines);
  });
  child.stderr.on('data', (d) => { run.stderr += d; });
  run.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return run;
}

test('lesson 20: the listings run as shown, and a leader killed mid-stream loses and doubles nothing', { timeout: 240000 }, async () => {
  // LESSON_VIEWPORT=1920x1080 walks it at another size (the checks are the same).
  const [width, height] = (process.env.LESSON_VIEWPORT || '1280x720').split('x').map(Number);
  const { page, problems } = await open(env.browser, env.server.url, { width, height });
  await page.waitForSelector('[data-broker="1"]');
  await page.locator('#lessons-button').click();
  await page.locator(`#lessons-panel [data-lesson="${LESSON}"]`).click();
  await page.waitForFunction((id) => window.playground.model.lesson?.id === id, LESSON);
  // With LESSON_SHOTS=DIR each pause is photographed with its narration (for reviewing).
  const shots = process.env.LESSON_SHOTS;
  const index = [];
  // `settled`: what must be on screen before the photograph (the clients act in wall time).
  const atPause = async (k, settled) => {
    await page.waitForFunction((k) => {
      const l = window.playground.model.lesson;
      return l.at_pause && l.pauses_done === k;
    }, k, { timeout: 60000 });
    if (settled) await settled();
    if (!shots) return;
    await page.waitForTimeout(1500);
    mkdirSync(shots, { recursive: true });
    const file = `${LESSON}-live-${width}x${height}-pause-${k}.png`;
    await page.screenshot({ path: path.join(shots, file) });
    const narration = await page.locator('#narration').textContent();
    const listing = await page.locator('.listing').isVisible() ? await page.locator('.listing-code').textContent() : null;
    index.push({ lesson: LESSON, pause: k, narration, listing, file });
    writeFileSync(path.join(shots, `${LESSON}-live-${width}x${height}.json`), JSON.stringify(index, null, 1));
  };
  const next = () => page.locator('#next').click();
  const bootstrap = `127.0.0.1:${env.server.kafkaPort}`;
  const escaped = bootstrap.replace(/\./g, '\\.');
  const dir = mkdtempSync(path.join(tmpdir(), 'lesson20-'));
  const producerLines = () => producer.lines.filter((l) => /^order \d+: partition \d+, offset \d+$/.test(l));
  let producer;
  let consumer;
  try {
    // Pause 1: the narration says where to connect: this server's own listener.
    await atPause(1);
    assert.equal(await page.locator('#lesson-kafka').textContent(), `Kafka ${bootstrap} (this computer only) · no client connected`);
    const said = await page.evaluate(() => window.playground.model.log.map((l) => l.text));
    assert.ok(said.includes(`These 3 brokers speak Kafka's own protocol. Your programs connect to ${bootstrap}.`), said.join('\n'));
    assert.equal(await page.locator('.listing').isVisible(), false, 'no code yet');
    await next();

    // Pause 2: the producer's code, copied from the page as a student would.
    await atPause(2);
    const producerCode = await page.locator('.listing-code').textContent();
    assert.ok(await page.locator('.listing').isVisible());
    assert.match(producerCode, new RegExp(`bootstrap_servers="${bootstrap.replace(/\./g, '\\.')}"`));
    assert.ok(producerCode.split('\n').length <= 10, 'a ten-line producer');
    writeFileSync(path.join(dir, 'producer.py'), producerCode + '\n');
    producer = runPython(path.join(dir, 'producer.py'));
    // The lesson waits at its pause while the clock plays: the producer's sends are answered.
    await until('the producer printed its first acknowledgements', () => producerLines().length >= 4, 30000);
    assert.equal(await page.evaluate(() => window.playground.model.lesson.at_pause), true, 'still at pause 2');
    assert.equal(await page.evaluate(() => window.playground.model.clock.playing), true, 'the clock plays for the client');
    const card = page.locator('.producer.card', { has: page.locator('.entity-name', { hasText: 'ada' }) });
    await card.waitFor();
    assert.equal((await card.locator('.tag.rate').textContent()).trim(), 'real client');
    // The presenter counts one program, ada, however many brokers it connected to (its
    // bootstrap broker, then each partition's leader it writes to).
    // (Its keys item-0 … item-5 land on partitions led by 2+ brokers within seconds.)
    const adaLine = new RegExp(`^Kafka ${escaped} \\(this computer only\\) · 1 program \\(ada\\) · (\\d+) connections?$`);
    await until('the presenter panel counts ada once over 2+ connections', async () => {
      const m = (await page.locator('#lesson-kafka').textContent()).match(adaLine);
      return m && Number(m[1]) >= 2;
    }, 15000);
    await next();

    // Pause 3: the consumer's code.
    await atPause(3);
    const consumerCode = await page.locator('.listing-code').textContent();
    assert.match(consumerCode, /group_id="class"/);
    assert.ok(consumerCode.split('\n').length <= 10, 'a ten-line consumer');
    writeFileSync(path.join(dir, 'consumer.py'), consumerCode + '\n');
    consumer = runPython(path.join(dir, 'consumer.py'));
    await next();

    // Pause 4: the consumer in the group's card, marked as a real client, holding the three
    // partitions its group's leader (itself) assigned it once the rebalance completed.
    const member = page.locator('.group.card', { hasText: 'class' }).locator('.member.real-member');
    await atPause(4, () => until('the consumer drawn in group class with its partitions', async () =>
      (await member.count()) === 1 && (await member.locator('.entity-name').textContent()) === 'ada-reader'
      && (await member.locator('.owned-chip > span:first-child').allTextContents()).sort().join(' ') === 'orders/0 orders/1 orders/2', 30000));
    // Two programs, the producer and the consumer, named by their client.ids. A connection the
    // consumer has just opened (to its coordinator, to a partition's leader) counts as a
    // program of its own until its first request names it (kafka/clients.rs), so the panel
    // may say 3 or 4 for a moment on a loaded machine: wait for it to settle.
    const twoPrograms = new RegExp(`^Kafka ${escaped} \\(this computer only\\) · 2 programs \\(ada, ada-reader\\) · \\d+ connections$`);
    await until('the presenter panel counts the producer and the consumer', async () =>
      twoPrograms.test(await page.locator('#lesson-kafka').textContent()), 10000);
    await next();

    // Pause 5: broker 1 killed while the producer writes.
    await atPause(5);
    assert.ok(await holds(page, 'broker 1 == down'));
    const beforeKill = producerLines().length;
    assert.ok(beforeKill < ORDERS, `the producer was still writing when broker 1 died (${beforeKill} of ${ORDERS})`);
    await next();

    // Pause 6: the controller fenced broker 1 and broker 2 leads orders/0.
    await atPause(6);
    assert.ok(await holds(page, 'leader orders/0 == 2'));
    await next();
    await atPause(7); // the last: the lesson ends here

    // The programs' own words: every order acknowledged once, at increasing offsets per
    // partition, and read back once.
    // (An unref'd timer: a pending one would keep the test process alive after the test.)
    const code = await Promise.race([producer.exited, new Promise((r) => setTimeout(() => r('timeout'), 150000).unref())]);
    assert.equal(code, 0, `the producer ends cleanly: ${producer.stderr.slice(-2000)}`);
    const acked = producerLines().map((l) => l.match(/^order (\d+): partition (\d+), offset (\d+)$/).slice(1).map(Number));
    assert.deepEqual(acked.map(([i]) => i), [...Array(ORDERS).keys()], 'every order acknowledged, in order');
    const last = new Map();
    for (const [i, p, o] of acked) {
      assert.ok(!last.has(p) || o > last.get(p), `order ${i}: offset ${o} after ${last.get(p)} on partition ${p}`);
      last.set(p, o);
    }
    await until('the consumer read every order', () => consumer.lines.length >= ORDERS, 60000);
    await new Promise((r) => setTimeout(r, 2000)); // a duplicate would come now
    const read = consumer.lines.map((l) => l.match(/: order (\d+)$/)?.[1]).map(Number);
    assert.equal(read.length, ORDERS, 'each order read once');
    assert.deepEqual([...read].sort((a, b) => a - b), [...Array(ORDERS).keys()]);
    // The room agrees: 120 records in orders, nothing lost.
    const perPartition = [0, 1, 2].map((p) => acked.filter(([, q]) => q === p).length);
    for (const [p, n] of perPartition.entries()) assert.ok(await holds(page, `records orders/${p} == ${n}`), `orders/${p} holds ${n}`);
    assert.ok(await holds(page, 'lost orders == 0'));
    assert.deepEqual(problems.errors, []);
  } finally {
    producer?.child.kill();
    consumer?.child.kill();
    await page.close();
  }
});
