// The presenter's controls in the real page: Previous (button, PageUp, ←) comes back to exactly
// the state a pause was reached in, the end of a lesson says so, timeline markers seek, the picker
// says how long each lesson plays, repeated retries fold into one line and presenter mode hides
// passing expectations.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, send, until } from './harness.mjs';

const { openRoom } = useServerAndBrowser();

const FAILOVER = '07-leader-failover';

/** What a pause shows, from the page's model: the engine's numbers, the caption, the lesson. */
function shown(page) {
  return page.evaluate(() => {
    const m = window.playground.model;
    const pick = (o, keys) => Object.fromEntries(keys.map((k) => [k, o[k]]));
    return JSON.stringify({
      now: m.clock.now_us,
      playing: m.clock.playing,
      caption: m.caption,
      lesson: m.lesson,
      brokers: m.brokerList().map((b) => pick(b, ['id', 'alive', 'fenced', 'coordinator_of'])),
      partitions: [...m.partitions.values()].map((p) => pick(p, ['id', 'leader', 'leader_epoch', 'isr', 'high_watermark', 'log_end_offset', 'log_start_offset', 'replica_leo'])),
      topics: [...m.topics.values()].map((t) => pick(t, ['name', 'acked', 'rejected', 'lost'])),
      producers: [...m.producers.values()].map((p) => pick(p, ['name', 'acked', 'failed', 'retried', 'buffered', 'in_flight'])),
      groups: [...m.groups.values()].map((g) => ({
        ...pick(g, ['name', 'state', 'generation', 'lag', 'consumed']),
        offsets: g.offsets.map((o) => [o.topic, o.partition, o.committed, o.lag]),
      })),
      consumers: [...m.consumers.values()].map((c) => pick(c, ['name', 'owned', 'consumed', 'phase'])),
    });
  });
}

/** Waits until the room waits at pause `n`. */
function atPause(page, n) {
  return page.waitForFunction((k) => {
    const l = window.playground.model.lesson;
    return l && l.at_pause && l.pauses_done === k && !window.playground.model.clock.playing;
  }, n, { timeout: 30000 });
}

async function loadLesson(page, id) {
  await page.waitForSelector('[data-broker="1"]');
  await page.locator('#lessons-button').click();
  await page.locator(`#lessons-panel [data-lesson="${id}"]`).click();
  await page.waitForFunction((l) => window.playground.model.lesson?.id === l, id);
  await send(page, { type: 'speed', speed: 20 });
}

test('Next, Next, Previous shows exactly what the first Next did; PageUp and ← go back too', async () => {
  const { page, problems } = await openRoom('previous');
  await loadLesson(page, FAILOVER);
  await atPause(page, 1);
  assert.equal(await page.locator('#previous').isDisabled(), true, 'nothing before the first pause');
  await page.locator('#next').click();
  await atPause(page, 2);
  const second = await shown(page);
  await page.locator('#next').click();
  await atPause(page, 3);
  const third = await shown(page);

  await page.waitForSelector('#previous:not([disabled])');
  await page.locator('#previous').click();
  await atPause(page, 2);
  assert.equal(await shown(page), second);

  // A remote's PageDown replays the recorded future to pause 3, exactly; ← comes back again.
  await page.keyboard.press('PageDown');
  await atPause(page, 3);
  assert.equal(await shown(page), third);
  await page.keyboard.press('ArrowLeft');
  await atPause(page, 2);
  assert.equal(await shown(page), second);
  await page.keyboard.press('PageUp');
  await atPause(page, 1);
  assert.equal(await page.locator('#presenter').getAttribute('class').then((c) => c.includes('at-pause')), true);
  assert.deepEqual(problems.errors, []);
});

test('at the end Next is off, the lesson says it is over, and Start again starts it again', async () => {
  const { page, problems } = await openRoom('the-end');
  await page.waitForSelector('[data-broker="1"]');
  const source = 'title "Short"\nbrokers 1\nsay "one"\npause\nwait 1s\nsay "two"\npause\n';
  const reply = await send(page, { type: 'load', name: 'short.scenario', source });
  assert.equal(reply.ok, true, JSON.stringify(reply));
  await send(page, { type: 'speed', speed: 20 });
  await atPause(page, 1);
  assert.equal(await page.locator('html').getAttribute('data-presenter'), '1', 'a lesson with pauses brings presenter mode');
  await page.waitForSelector('#next:not([disabled])');
  assert.notEqual((await page.locator('#lesson-state').textContent()).trim(), 'The lesson is over');
  await page.locator('#next').click();
  await atPause(page, 2);
  await page.waitForFunction(() => window.playground.model.lesson.finished);
  await page.waitForSelector('#presenter.over');
  assert.equal(await page.locator('#next').isDisabled(), true);
  assert.equal((await page.locator('#lesson-state').textContent()).trim(), 'The lesson is over');
  assert.equal((await page.locator('#restart').textContent()).trim(), '↺ Start again');
  // PageDown does nothing at the end.
  await page.keyboard.press('PageDown');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await page.evaluate(() => window.playground.model.clock.playing), false);
  await page.locator('#restart').click();
  await atPause(page, 1);
  assert.equal(await page.evaluate(() => window.playground.model.lesson.finished), false);
  await page.waitForSelector('#presenter:not(.over)');
  assert.deepEqual(problems.errors, []);
});

test('timeline markers name the engine\'s moments, one button per moment; a click seeks there', async () => {
  const { page, problems } = await openRoom('markers');
  await page.waitForSelector('[data-broker="1"]');
  // Broker 1 dies at 2 s (pause 1); the controller fences it at 11 s: orders/0 gets a new leader
  // and every ISR shrinks at that instant; pause 2 at 14 s.
  const source = 'brokers 3\ntopic create orders partitions=3 replication=3\n'
    + 'producer add checkout topic=orders rate=6/s keys=item-1..item-6\n'
    + 'wait 2s\nbroker kill 1\npause\nwait 12s\npause\n';
  assert.equal((await send(page, { type: 'load', name: 'failover.scenario', source })).ok, true);
  await send(page, { type: 'speed', speed: 20 });
  await atPause(page, 1);
  await page.locator('#next').click();
  await atPause(page, 2);
  // The room's markers: one button per instant, a glyph per kind, the events in the title.
  const markers = await page.evaluate(() => [...window.playground.model.markers.values()]);
  const kill = markers.find((m) => m.kind === 'broker-down');
  const election = markers.find((m) => m.kind === 'election');
  assert.ok(kill && election, JSON.stringify(markers));
  // Every instant is in a button's title (instants closer than a button's width share one).
  const titles = await page.locator('.timeline-marker').evaluateAll((bs) => bs.map((b) => b.title).join('\n'));
  for (const m of markers) assert.ok(titles.includes((m.at_us / 1e6).toFixed(1)), `${m.at_us} in ${titles}`);
  const marker = (m) => page.locator(`.timeline-marker[data-at-us="${m.at_us}"]`);
  // The fencing elects a leader and shrinks ISRs at one instant: one button, ★ and ◐.
  assert.equal(await marker(election).getAttribute('data-kinds'), 'election isr');
  assert.equal((await marker(election).textContent()).trim(), '★◐');
  assert.match(await marker(election).getAttribute('title'), /leader elected: orders\/0 leader 1 → 2/);
  assert.equal((await marker(kill).textContent()).trim(), '✕');
  // The kill's marker sits left of the election's, as their instants are.
  assert.ok((await marker(kill).boundingBox()).x < (await marker(election).boundingBox()).x);

  await marker(kill).click();
  await page.waitForFunction((t) => window.playground.model.clock.now_us === t, kill.at_us, { timeout: 10000 });
  // The slider is drawn on the next animation frame after the model moves.
  await page.waitForFunction((t) => Number(document.querySelector('#timeline').value) === t, kill.at_us, { timeout: 5000 });
  assert.equal(Number(await page.locator('#timeline').inputValue()), kill.at_us);
  assert.equal(await page.evaluate(() => window.playground.model.brokers.get(1).alive), false);
  // The election is now the recorded future: still there, drawn faded.
  await page.waitForSelector(`.timeline-marker.future[data-at-us="${election.at_us}"]`);
  await marker(election).click();
  await page.waitForFunction((t) => window.playground.model.clock.now_us === t, election.at_us, { timeout: 10000 });
  assert.equal(await page.evaluate(() => window.playground.model.partitions.get('orders/0').leader), 2);
  assert.deepEqual(problems.errors, []);
});

test('the picker says how long each lesson plays, as the server ran it', async () => {
  const { page, problems } = await openRoom('durations');
  await page.waitForSelector('[data-broker="1"]');
  const reply = await send(page, { type: 'lessons' });
  await page.locator('#lessons-button').click();
  await page.waitForSelector('#lessons-panel [data-lesson]');
  for (const lesson of reply.lessons) {
    assert.equal(typeof lesson.duration_us, 'number', lesson.id);
    const s = Math.ceil(lesson.duration_us / 1e6);
    const words = s < 60 ? `${s} s` : (s % 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s / 60} min`);
    const text = await page.locator(`#lessons-panel [data-lesson="${lesson.id}"] .lesson-item-duration`).textContent();
    assert.equal(text, words, lesson.id);
  }
  assert.deepEqual(problems.errors, []);
});

test('retries fold into one line that counts; presenter mode hides passing expectations only', async () => {
  const { page, problems } = await openRoom('folding');
  await page.waitForSelector('[data-broker="1"]');
  // Both followers die; once they are fenced (9 s) the leader alone is below min.insync.replicas
  // and refuses every request (NOT_ENOUGH_REPLICAS): the producer retries again and again.
  const source = 'brokers 3\ntopic create pay partitions=1 replication=3 min-insync=2\n'
    + 'broker kill 2\nbroker kill 3\nwait 12s\n'
    + 'producer add bank topic=pay rate=20/s acks=all\nexpect broker 1 == up\nexpect broker 1 == down\n'
    + 'say "refused"\nwait 6s\nsay "still retrying"\npause\n';
  assert.equal((await send(page, { type: 'load', name: 'fold.scenario', source })).ok, true);
  await send(page, { type: 'speed', speed: 10 });
  await atPause(page, 1);
  const key = 'produce:bank:retried:NOT_ENOUGH_REPLICAS';
  const lines = page.locator(`#event-log li[data-fold="${key}"]`);
  assert.equal(await lines.count(), 1, 'one line for the whole run of retries');
  const text = await lines.textContent();
  assert.match(text, /producer bank: retrying on NOT_ENOUGH_REPLICAS ×\d+ over \d+\.\d s \(\d+ records\)/);
  // It counts every record the producer retried (the engine's own counter).
  const retried = await page.evaluate(() => window.playground.model.producers.get('bank').retried);
  assert.equal(Number(text.match(/\((\d+) records\)/)[1]), retried);
  assert.ok(Number(await lines.getAttribute('data-count')) > 1);

  // Presenter mode (on since the file has a pause): the passing expectation is hidden, the failure shows.
  assert.equal(await page.locator('html').getAttribute('data-presenter'), '1');
  assert.equal(await page.locator('#event-log li[data-kind="expect-passed"]').isVisible(), false);
  assert.equal(await page.locator('#event-log li[data-kind="expect-failed"]').count(), 1);
  await page.locator('#presenter-toggle').click();
  assert.equal(await page.locator('html').getAttribute('data-presenter'), null);
  await until('the passing expectation to show', () => page.locator('#event-log li[data-kind="expect-passed"]').count());
  const passed = page.locator('#event-log li[data-kind="expect-passed"]');
  await passed.scrollIntoViewIfNeeded();
  assert.equal(await passed.isVisible(), true);
  assert.deepEqual(problems.errors, []);
});
