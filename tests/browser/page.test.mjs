// The real page in headless Chromium against the real binary: it loads cleanly, draws the demo
// cluster, a click kills a broker and the leader marks move, and user text stays text.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, consoleLine, partitionsLedBy, send, textOnScreen } from './harness.mjs';

const { openRoom } = useServerAndBrowser();

test('the page loads without console errors and draws 3 brokers and the partitions', async () => {
  const { page, problems } = await openRoom('loads');
  await page.waitForSelector('[data-broker="3"]');
  assert.equal(await page.locator('[data-broker]').count() >= 3, true);
  for (const b of [1, 2, 3]) assert.equal(await page.locator(`[data-broker="${b}"]`).count() >= 1, true);
  for (const p of ['orders/0', 'orders/1', 'orders/2']) {
    await page.waitForSelector(`[data-partition="${p}"]`);
  }
  // Every partition has exactly one leader mark in the physical view.
  for (const p of ['orders/0', 'orders/1', 'orders/2']) {
    assert.equal(await page.locator(`[data-broker] .replica.leader[data-partition="${p}"]`).count(), 1, p);
  }
  await page.waitForTimeout(1500);
  assert.deepEqual(problems.errors, []);
  await page.close();
});

test('clicking broker 1 and choosing Kill moves the leader marks of its partitions', async () => {
  const { page, problems } = await openRoom('kill');
  await page.waitForSelector('[data-broker="1"] .replica.leader');
  const led = await partitionsLedBy(page, 1);
  assert.ok(led.length > 0, 'broker 1 leads a partition of the demo');

  await page.locator('[data-broker="1"]').first().click();
  await page.locator('[data-action="kill"]').first().click();
  // Speed up with the keyboard (+ several times) so the 9 s broker session timeout passes quickly.
  await page.locator('body').click({ position: { x: 2, y: 2 } });
  for (let i = 0; i < 6; i++) await page.keyboard.press('+');

  const start = await page.evaluate(() => window.playground.model.clock.now_us);
  await page.waitForFunction((parts) => parts.every((p) => {
    const mark = document.querySelector(`[data-broker] .replica.leader[data-partition="${p}"]`);
    const broker = mark?.closest('[data-broker]')?.dataset.broker;
    return broker === '2' || broker === '3';
  }), led, { timeout: 20000 });
  const end = await page.evaluate(() => window.playground.model.clock.now_us);
  const simulated = (end - start) / 1e6;
  // The controller fences a silent broker after broker.session.timeout.ms = 9 s.
  assert.ok(simulated < 15, `leaders moved after ${simulated} simulated seconds`);
  assert.equal(await page.locator('[data-broker="1"]').first().evaluate((e) => e.className).then((c) => /down|dead/.test(c)), true);
  assert.deepEqual(await partitionsLedBy(page, 1), []);
  assert.deepEqual(problems.errors, []);
  await page.close();
});

test('a record whose key and value are HTML appears as text and runs nothing', async () => {
  const { page, problems } = await openRoom('xss');
  await page.waitForSelector('[data-broker="1"]');
  const evil = '<img src=x onerror=alert(1)>';
  await consoleLine(page, `produce orders key="${evil}" value="${evil}"`);
  // Which partition it went to, asked the way a teacher would.
  let partition;
  for (const p of [0, 1, 2]) {
    await page.waitForTimeout(200);
    const found = await page.evaluate(([p, evil]) => {
      const keys = window.playground.model.keys.get(`orders/${p}`);
      return keys ? [...keys.values()].includes(evil) : false;
    }, [p, evil]);
    if (found) { partition = p; break; }
  }
  if (partition === undefined) {
    await page.waitForFunction((evil) => [...window.playground.model.keys.values()].some((m) => [...m.values()].includes(evil)), evil, { timeout: 10000 });
    partition = await page.evaluate((evil) => {
      for (const [id, m] of window.playground.model.keys) if ([...m.values()].includes(evil)) return Number(id.split('/')[1]);
    }, evil);
  }
  // Open the partition's details: its records table shows the key and value as literal text.
  await page.locator(`[data-partition="orders/${partition}"]`).first().click();
  await page.waitForFunction((evil) => document.querySelector('#details')?.textContent.includes(evil), evil, { timeout: 10000 });
  const cells = await page.locator('#details').getByText(evil, { exact: true }).count();
  assert.ok(cells >= 2, `key and value shown as text (${cells} cells)`);
  await page.waitForTimeout(1000);
  // No element was made from the text, no script ran.
  assert.equal(await page.locator('img[src="x"]').count(), 0);
  assert.deepEqual(problems.dialogs, []);
  assert.deepEqual(problems.errors.filter((e) => !e.includes('Content Security Policy')), []);
  await page.close();
});

test('a bad console line shows its error inline and changes nothing', async () => {
  const { page, problems } = await openRoom('console');
  await page.waitForSelector('[data-broker="1"]');
  await consoleLine(page, 'broker kil 2');
  await page.waitForFunction(() => /unknown command/.test(document.body.textContent), null, { timeout: 5000 });
  const text = await page.evaluate(() => document.body.textContent);
  assert.match(text, /did you mean 'kill'\?/);
  assert.equal(await page.evaluate(() => window.playground.model.brokers.get(2).alive), true);
  // History: ArrowUp brings the line back for fixing.
  await page.locator('#console-input').fill('');
  await page.locator('#console-input').press('ArrowUp');
  assert.equal(await page.locator('#console-input').inputValue(), 'broker kil 2');
  assert.deepEqual(problems.errors, []);
  await page.close();
});

// The bottom of the page has a fixed height (one log line in presenter mode): the error of a
// refused line (the line with a caret, the message, the hint) must still be drawn inside the
// window, on top, with the console line, cover no control a presenter needs (the timeline, Next),
// and go when the line is edited or Escape is pressed.
for (const [width, height] of [[1280, 720], [1920, 1080]]) {
  for (const presenter of [false, true]) {
    test(`a refused console line's error and hint are inside the ${width}×${height} window${presenter ? ' in presenter mode' : ''}`, async () => {
      const { page, problems } = await openRoom(`console-${width}-${presenter ? 'p' : 'n'}`, { width, height });
      await page.waitForSelector('[data-broker="1"]');
      if (presenter) {
        await page.locator('#presenter-toggle').click();
        await page.waitForFunction(() => document.documentElement.dataset.presenter === '1');
      }
      await consoleLine(page, 'brokr kill 1');
      await page.waitForSelector('#console-error');
      const boxes = await page.evaluate(() => {
        const box = (e) => { const r = e.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, left: r.left, right: r.right }; };
        // What is drawn at a point of the element (nothing on top of it)?
        const onTop = (e) => { const r = e.getBoundingClientRect(); const hit = document.elementFromPoint(r.left + 5, (r.top + r.bottom) / 2); return e.contains(hit); };
        const error = document.getElementById('console-error');
        const hint = document.querySelector('.console-hint');
        const input = document.getElementById('console-input');
        return { error: box(error), hint: box(hint), input: box(input), errorOnTop: onTop(error), hintOnTop: onTop(hint), errorText: error.textContent, hintText: hint.textContent };
      });
      assert.match(boxes.errorText, /unknown command/);
      assert.match(boxes.hintText, /did you mean 'broker'\?/);
      for (const name of ['error', 'hint', 'input']) {
        const b = boxes[name];
        assert.ok(b.top >= 0 && b.left >= 0 && b.bottom <= height + 0.5 && b.right <= width + 0.5,
          `${name} at ${JSON.stringify(b)} is not inside the ${width}×${height} window`);
      }
      assert.ok(boxes.errorOnTop && boxes.hintOnTop, 'nothing covers the error and its hint');
      // It covers none of the controls a presenter needs: the timeline and, in presenter mode,
      // Next, Previous and Restart stay drawn on top and clear of the error's box.
      const covered = await page.evaluate(() => {
        const feedback = document.getElementById('console-feedback').getBoundingClientRect();
        const found = [];
        for (const sel of ['.timeline-bar', '#next', '#previous', '#restart']) {
          const e = document.querySelector(sel);
          if (!e.checkVisibility()) continue;
          const r = e.getBoundingClientRect();
          const y = (r.top + r.bottom) / 2;
          for (const x of [r.left + 4, (r.left + r.right) / 2, r.right - 4]) {
            if (!e.contains(document.elementFromPoint(x, y))) found.push(`${sel} is covered at (${Math.round(x)}, ${Math.round(y)})`);
          }
          if (r.top < feedback.bottom && feedback.top < r.bottom && r.left < feedback.right && feedback.left < r.right) {
            found.push(`${sel} [${Math.round(r.top)}–${Math.round(r.bottom)}] overlaps the error [${Math.round(feedback.top)}–${Math.round(feedback.bottom)}]`);
          }
        }
        return found;
      });
      assert.deepEqual(covered, []);
      // Above the console line, whose input stays where it was.
      assert.ok(boxes.hint.bottom <= boxes.input.top + 1, `the hint ends above the input: ${JSON.stringify(boxes)}`);
      // Not there for good: Escape takes it away.
      await page.locator('#console-input').press('Escape');
      assert.equal(await page.locator('#console-error').count(), 0);
      assert.deepEqual(problems.errors, []);
      await page.close();
    });
  }
}

// Presenter mode at a projector's size: a refused line's error takes the one-line log's place in
// the terminal's fixed height, so the stage above keeps its height and place (it once grew the
// bottom by the error's height, squeezing the stage while the class watched). The message is
// whole on its line and is text: a topic name that looks like markup is shown as typed.
for (const [width, height] of [[1280, 720], [1920, 1080]]) {
  test(`in presenter mode at ${width}×${height} a refused line's error leaves the stage its height`, async () => {
    const { page, problems } = await openRoom(`console-stage-${width}`, { width, height });
    await page.waitForSelector('[data-broker="1"]');
    await page.locator('#presenter-toggle').click();
    await page.waitForFunction(() => document.documentElement.dataset.presenter === '1');
    assert.equal((await send(page, { type: 'pause' })).ok, true);
    await page.waitForTimeout(300);
    const box = (sel) => page.evaluate((s) => {
      const r = document.querySelector(s).getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
    }, sel);
    const stage = await box('.stage');
    const terminal = await box('.terminal');
    const input = await box('#console-input');
    for (const line of ['produce nosuchtopic x', 'produce <img/src=x/onerror=window.__pwned=1> x']) {
      await consoleLine(page, line);
      await page.waitForSelector('#console-error');
      assert.deepEqual(await box('.stage'), stage, `the stage moved or changed its height for "${line}"`);
      assert.deepEqual(await box('#console-input'), input, 'the console line stays where it was');
      const error = await box('#console-error');
      assert.ok(error.top >= terminal.top - 0.5 && error.bottom <= input.top + 0.5,
        `the error ${JSON.stringify(error)} is on the log line's place, in the terminal ${JSON.stringify(terminal)}`);
      // Whole: one line, nothing cut at its end.
      const whole = await page.evaluate(() => {
        const e = document.getElementById('console-error');
        return e.scrollWidth <= e.clientWidth + 1 && e.getClientRects().length === 1;
      });
      assert.ok(whole, `the error of "${line}" is whole on one line`);
    }
    // The last line's topic name, markup as text: shown as typed, no element made, no script run.
    assert.match(await page.locator('#console-error').textContent(), /'<img\/src=x\/onerror=window\.__pwned=1>'/);
    assert.equal(await page.locator('#console-feedback img').count(), 0);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    await page.locator('#console-input').press('Escape');
    assert.equal(await page.locator('#console-error').count(), 0);
    assert.deepEqual(problems.errors, []);
    await page.close();
  });
}

// The event log of the normal page (four lines or so, fewer when a caption shows) follows its
// newest entry: its top edge must fall between two entries, never through one (a sliver of an
// older line, sliced by the box), whatever the box's height and however entries wrap.
for (const [width, height] of [[1280, 720], [1920, 1080]]) {
  test(`the event log shows whole lines only at ${width}×${height}`, async () => {
    const { page, problems } = await openRoom(`log-lines-${width}`, { width, height });
    await page.waitForSelector('[data-broker="1"]');
    assert.equal((await send(page, { type: 'pause' })).ok, true);
    const failures = [];
    const words = ['short', 'a narration long enough to wrap onto a second line of the event log at this size, as a lesson\'s sentences do when they explain a rebalance or a leader election'];
    for (let k = 0; k < 8; k++) {
      const text = `${k}: ${words[k % 2]}`;
      // Console lines, narration and captions of either length: each changes the log or its box.
      assert.equal((await send(page, { type: 'command', line: k % 3 === 2 ? 'say ""' : `say "${text}"` })).ok, true);
      await page.waitForFunction((n) => document.querySelectorAll('#event-log .log-entry').length >= n, k + 1);
      // Two frames: the view scrolls at the start of the next one.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const found = await textOnScreen(page);
      for (const f of found.filter((f) => f.startsWith('the event log'))) failures.push(`after line ${k}: ${f}`);
      // And the newest entry's text (its time, subject and words) is in sight, whole.
      const newest = await page.evaluate(() => {
        const log = document.getElementById('event-log').getBoundingClientRect();
        const last = [...document.querySelectorAll('#event-log .log-entry')].at(-1);
        return [...last.children].every((span) => {
          const r = span.getBoundingClientRect();
          return r.top >= log.top - 0.5 && r.bottom <= log.bottom + 0.5;
        });
      });
      if (!newest) failures.push(`after line ${k}: the newest entry is not wholly in sight`);
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(problems.errors, []);
    await page.close();
  });
}

test('menus and forms drive producers, consumers and topics', async () => {
  const { page, problems } = await openRoom('menus');
  await page.waitForSelector('[data-producer="checkout"]');
  const model = (expr) => page.evaluate(expr);

  // Pause the producer from its menu, then resume it.
  await page.locator('[data-producer="checkout"]').first().click();
  await page.locator('#menu [data-action="pause"]').click();
  await page.waitForFunction(() => window.playground.model.producers.get('checkout').running === false);
  await page.locator('[data-producer="checkout"]').first().click();
  await page.locator('#menu [data-action="resume"]').click();
  await page.waitForFunction(() => window.playground.model.producers.get('checkout').running === true);

  // Crash a consumer: it stays a member of its group until its session times out.
  await page.waitForSelector('[data-consumer="billing-2"]');
  await page.locator('[data-consumer="billing-2"]').first().click();
  await page.locator('#menu [data-action="crash"]').click();
  await page.waitForFunction(() => window.playground.model.consumers.get('billing-2').state === 'crashed');
  assert.ok(await model(() => window.playground.model.groups.get('billing').members.some((m) => m.member === 'billing-2')));

  // Create a topic with the form: it appears with its partitions.
  await page.locator('[data-add="topic"]').first().click();
  await page.locator('#form-panel input[name="name"]').fill('payments');
  await page.locator('#form-panel input[name="partitions"]').fill('2');
  await page.locator('#form-panel button[type="submit"]').click();
  await page.waitForSelector('[data-partition="payments/1"]');
  assert.equal(await model(() => window.playground.model.topics.get('payments').partitions), 2);
  assert.deepEqual(problems.errors, []);
  await page.close();
});

test('the keyboard plays, pauses, steps and changes speed', async () => {
  const { page, problems } = await openRoom('keys');
  await page.waitForSelector('[data-broker="1"]');
  await page.locator('body').click({ position: { x: 2, y: 2 } });
  await page.keyboard.press(' ');
  await page.waitForFunction(() => window.playground.model.clock.playing === false);
  const before = await page.evaluate(() => window.playground.model.clock.now_us);
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((t) => window.playground.model.clock.now_us === t + 100000, before);
  await page.keyboard.press('+');
  await page.waitForFunction(() => window.playground.model.clock.speed > 1);
  // Each press steps from the speed the page shows: wait for the room's answer in between.
  await page.keyboard.press('-');
  await page.waitForFunction(() => window.playground.model.clock.speed === 1);
  await page.keyboard.press('-');
  await page.waitForFunction(() => window.playground.model.clock.speed < 1);
  await page.keyboard.press(' ');
  await page.waitForFunction(() => window.playground.model.clock.playing === true);
  assert.deepEqual(problems.errors, []);
  await page.close();
});
