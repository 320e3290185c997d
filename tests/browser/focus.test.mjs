// `focus` on the real page: a lesson that focuses a partition and a group, two brokers and a
// partition, a replicas view, the metrics panel, then `focus all`. At every pause, at 1280×720 in
// presenter mode, something carries `data-focus`, every focused element lies inside the window
// (not cut off by a scrolling column), and its text is at least 16 px; `focus all` clears it.
// A console `focus` line works too, and a bad one is refused where it is wrong.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, send, consoleLine, focusOnScreen, until } from './harness.mjs';

const { openRoom } = useServerAndBrowser();

const LESSON = `title "Focus"
seed 3
brokers 3
topic create orders partitions=3 replication=3
topic create payments partitions=2 replication=2
producer add shop topic=orders rate=20/s keys=user-1..user-50
producer add pay topic=payments rate=5/s
group add billing topics=orders consumers=2
group add audit topics=payments
wait 3s
focus orders/0 billing
say "orders/0 and the group that reads it."
pause
focus broker 1 broker 2 orders/1
say "Two brokers and orders/1."
pause
focus replicas orders/2
say "Every replica of orders/2."
pause
focus payments
say "A topic of two partitions, as logs."
pause
focus orders
say "A topic of three partitions: in presenter mode, its tiles."
pause
focus metrics
say "Kafka's metrics."
pause
focus all
say "The whole cluster."
pause
`;

/** At each pause: the targets the line names, as the page marks them. */
const PAUSES = [
  ['partition:orders/0', 'group:billing'],
  ['broker:1', 'broker:2', 'partition:orders/1'],
  ['replicas:orders/2'],
  ['topic:payments'],
  ['topic:orders'],
  ['metrics'],
  [],
];

/** Waits until the room waits at pause `n` (1-based) and the page has drawn its focus. */
async function atPause(page, n, expected) {
  await until(`pause ${n}`, () => page.evaluate((k) => {
    const l = window.playground.model.lesson;
    return l && l.at_pause && l.pauses_done === k;
  }, n));
  await until(`the focus of pause ${n}`, () => page.evaluate((want) => {
    const marked = new Set([...document.querySelectorAll('[data-focus]')].map((e) => e.dataset.focus));
    return window.playground.model.focus.join(' ') === want.join(' ')
      && want.every((t) => marked.has(t)) && marked.size === new Set(want).size;
  }, expected));
  // The layout settles (panels open, columns fold, boxes scroll) within a few frames.
  await page.waitForTimeout(600);
}

test('focus at every pause, 1280×720 presenter mode: focused elements on screen with text ≥ 16 px; focus all clears it', async () => {
  const { page, problems } = await openRoom('focus');
  await page.waitForSelector('[data-entity="broker:1"]');
  const reply = await send(page, { type: 'load', name: 'focus.scenario', source: LESSON });
  assert.equal(reply.ok, true, JSON.stringify(reply.error));
  // A lesson with pauses switches presenter mode on.
  await page.waitForFunction(() => document.documentElement.dataset.presenter === '1');

  for (const [i, expected] of PAUSES.entries()) {
    await atPause(page, i + 1, expected);
    const seen = await focusOnScreen(page, { minFontPx: 16 });
    if (expected.length) {
      assert.deepEqual([...new Set(seen.focused)].sort(), [...expected].sort(), `pause ${i + 1}`);
      assert.deepEqual(seen.problems, [], `pause ${i + 1}`);
    } else {
      assert.deepEqual(seen.focused, [], 'focus all: nothing marked');
      assert.equal(await page.locator('#stage[data-focusing]').count(), 0, 'focus all: the stage is whole again');
      // The panels the focus opened are closed again, the partitions all shown.
      assert.equal(await page.locator('#metrics-panel').isHidden(), true);
      assert.equal(await page.locator('.replicas-view').count(), 0);
      assert.equal(await page.locator('#logical .partition:visible').count(), 5);
    }
    // What the line names is the engine's: the replicas view shows orders/2's replicas as
    // the room reports them, the broker cards the brokers it has.
    if (expected.includes('replicas:orders/2')) {
      const rows = await page.locator('[data-focus="replicas:orders/2"] .replica-row').count();
      const reply = await send(page, { type: 'replicas', topic: 'orders', partition: 2 });
      assert.equal(rows, reply.replicas.replicas.length);
    }
    if (i + 1 < PAUSES.length) {
      const next = await send(page, { type: 'next' });
      assert.equal(next.ok, true, JSON.stringify(next.error));
    }
  }

  // A typed line focuses too, and the same checks hold.
  await consoleLine(page, 'focus audit payments/1');
  await until('the typed focus', () => page.evaluate(() => document.querySelectorAll('[data-focus]').length === 2));
  await page.waitForTimeout(600);
  const typed = await focusOnScreen(page, { minFontPx: 16 });
  assert.deepEqual(typed.focused.sort(), ['group:audit', 'partition:payments/1']);
  assert.deepEqual(typed.problems, []);

  // A target that does not exist: refused at its column, the focus stays.
  const bad = await send(page, { type: 'command', line: 'focus orders/7' });
  assert.equal(bad.ok, false);
  assert.equal(bad.error.col, 14);
  assert.match(bad.error.message, /topic 'orders' has no partition 7/);
  assert.deepEqual(await page.evaluate(() => window.playground.model.focus), ['group:audit', 'partition:payments/1']);
  assert.deepEqual(problems.errors, []);
});

test('outside presenter mode, at 1280×720 and 1920×1080, focused elements are brought into view', async () => {
  const { page, problems } = await openRoom('focus-normal');
  await page.waitForSelector('[data-entity="broker:1"]');
  await page.evaluate(() => window.playground.presenter.setOn(false));
  for (const [width, height] of [[1280, 720], [1920, 1080]]) {
    await page.setViewportSize({ width, height });
    // The demo's cluster: every target a `focus` line can name, one line at a time.
    for (const [line, targets] of [
      ['focus orders/2 billing-2', ['partition:orders/2', 'consumer:billing-2']],
      ['focus broker 3 checkout', ['broker:3', 'producer:checkout']],
      ['focus replicas orders/1', ['replicas:orders/1']],
      ['focus metrics', ['metrics']],
    ]) {
      const reply = await send(page, { type: 'command', line });
      assert.equal(reply.ok, true, `${line}: ${JSON.stringify(reply.error)}`);
      await until(line, () => page.evaluate((want) => {
        const marked = [...new Set([...document.querySelectorAll('[data-focus]')].map((e) => e.dataset.focus))];
        return marked.sort().join(' ') === [...want].sort().join(' ');
      }, targets));
      await page.waitForTimeout(600);
      const seen = await focusOnScreen(page, { minFontPx: 0 });
      assert.deepEqual(seen.problems, [], `${line} at ${width}×${height}`);
    }
    await send(page, { type: 'command', line: 'focus all' });
    await until('focus all', () => page.evaluate(() => !document.querySelector('[data-focus]')));
  }
  assert.deepEqual(problems.errors, []);
});

// Lessons focus several groups or several whole topics at once. In presenter mode the groups
// column widens to lay the focused cards side by side (a group of many consumers two columns
// wide), and the overview lays focused topics side by side; both must fit at 1280×720 and at
// 1920×1080, with a focused partition next to the groups too.
const CROWDED = `title "Crowded"
seed 5
brokers 3
topic create clicks partitions=3 replication=3
topic create clicks-rr partitions=3 replication=3
topic create orders partitions=4 replication=3
producer add web topic=clicks rate=20/s keys=user-1..user-50
producer add web-rr topic=clicks-rr rate=20/s
producer add shop topic=orders rate=20/s keys=user-1..user-50
group add billing topics=orders consumers=4
group add audit topics=orders consumers=2
group add idle topics=clicks
wait 5s
`;

test('presenter mode: two groups, a group of four, two whole topics focused at once all fit', async () => {
  const { page, problems } = await openRoom('focus-crowded');
  await page.waitForSelector('[data-entity="broker:1"]');
  const reply = await send(page, { type: 'load', name: 'crowded.scenario', source: CROWDED });
  assert.equal(reply.ok, true, JSON.stringify(reply.error));
  await page.evaluate(() => window.playground.presenter.setOn(true));
  await until('four billing members', () => page.evaluate(() => window.playground.model.consumersOf('billing').length === 4));
  /** Tops of the focused elements named, rounded: equal tops are cards side by side. */
  const tops = (names) => page.evaluate((names) => names.map((n) => Math.round(document.querySelector(`[data-focus="${n}"]`).getBoundingClientRect().top)), names);
  for (const [width, height] of [[1280, 720], [1920, 1080]]) {
    await page.setViewportSize({ width, height });
    for (const [line, targets, sideBySide] of [
      ['focus group billing group audit', ['group:billing', 'group:audit'], true],
      ['focus group billing', ['group:billing'], false],
      ['focus group billing group audit topic orders', ['group:billing', 'group:audit', 'topic:orders'], false],
      ['focus topic clicks topic clicks-rr', ['topic:clicks', 'topic:clicks-rr'], true],
      ['focus orders/1 group audit group billing', ['partition:orders/1', 'group:audit', 'group:billing'], false],
    ]) {
      const sent = await send(page, { type: 'command', line });
      assert.equal(sent.ok, true, `${line}: ${JSON.stringify(sent.error)}`);
      await until(line, () => page.evaluate((want) => {
        const marked = [...new Set([...document.querySelectorAll('[data-focus]')].map((e) => e.dataset.focus))];
        return marked.sort().join(' ') === [...want].sort().join(' ');
      }, targets));
      await page.waitForTimeout(600);
      const seen = await focusOnScreen(page, { minFontPx: 16 });
      assert.deepEqual(seen.problems, [], `${line} at ${width}×${height}`);
      if (sideBySide) {
        const [a, b] = await tops(targets);
        assert.equal(a, b, `${line} at ${width}×${height}: side by side`);
      }
    }
    // Every consumer of the group of four is drawn, with the partitions it owns as the engine says.
    const drawn = await page.$$eval('[data-focus="group:billing"] .member', (rows) => rows.map((r) => r.dataset.consumer).sort());
    const engine = await page.evaluate(() => window.playground.model.consumersOf('billing').map((c) => c.name).sort());
    assert.deepEqual(drawn, engine);
  }
  await send(page, { type: 'command', line: 'focus all' });
  await until('focus all', () => page.evaluate(() => !document.querySelector('[data-focus]')));
  assert.deepEqual(problems.errors, []);
});
