// Shared by the browser tests and the frame-time benchmark: start the real `playground` binary on
// a free port, open the page in headless Chromium, and collect what the page complains about.

import { spawn } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');

/** The binary under test: $PLAYGROUND_BIN, or the workspace's release build. */
export const binary = process.env.PLAYGROUND_BIN || path.join(root, 'target', 'release', 'playground');

/**
 * Starts `playground serve --port 0 --no-save --no-kafka [--scenario FILE] [--share]` (`--no-save`:
 * a test never writes rooms into the home directory; `--no-kafka`: test servers running side by
 * side never contend for Kafka's port 9092); resolves to { url, stop } and, with `share`,
 * { token, classUrl } read from the lines it prints.
 */
export async function startServer(scenario, { share = false, kafka = false } = {}) {
  // `kafka`: the default room's brokers listen for Kafka clients on free ports instead.
  const args = ['serve', '--port', '0', '--no-save', ...(kafka ? ['--kafka-port', '0'] : ['--no-kafka'])];
  if (scenario) args.push('--scenario', path.resolve(root, scenario));
  if (share) args.push('--share');
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const printed = [];
  const wanted = (share ? 3 : 1) + (kafka ? 1 : 0);
  await Promise.race([
    new Promise((resolve) => {
      lines.on('line', (line) => { printed.push(line); if (printed.length === wanted) resolve(); });
    }),
    once(child, 'exit').then(([code]) => { throw new Error(`playground exited with ${code}`); }),
  ]);
  // "Kafka Playground: http://127.0.0.1:PORT/ (Ctrl-C to stop)"
  const url = printed[0].match(/http:\/\/\S+\//)?.[0];
  if (!url) throw new Error(`no URL in ${JSON.stringify(printed[0])}`);
  const server = {
    url,
    stop: async () => { child.kill('SIGINT'); await once(child, 'exit'); },
  };
  if (kafka) {
    // "Kafka bootstrap: 127.0.0.1:PORT" (with `share`, this computer's network address)
    const bootstrap = printed.find((l) => l.startsWith('Kafka bootstrap'))?.match(/: (\S+):(\d+)$/);
    server.kafkaHost = bootstrap?.[1];
    server.kafkaPort = Number(bootstrap?.[2]);
    if (!server.kafkaPort) throw new Error(`no Kafka bootstrap in ${JSON.stringify(printed)}`);
  }
  if (share) {
    // "Students open:  http://LAN:PORT/" and "Presenter (keep this link private): http://LAN:PORT/?token=T"
    server.classUrl = printed.find((l) => l.startsWith('Students open'))?.match(/http:\/\/\S+/)?.[0];
    server.token = printed.map((l) => l.match(/[?&]token=([0-9a-zA-Z]+)/)?.[1]).find(Boolean);
    if (!server.token || !server.classUrl) throw new Error(`no presenter token in ${JSON.stringify(printed)}`);
  }
  return server;
}

/**
 * Creates room `name` (opening a page never creates one), as the presenter when `token` is given.
 * A room that already exists is fine.
 */
export async function createRoom(url, name, token) {
  const form = new URLSearchParams({ name });
  if (token) form.set('token', token);
  const res = await fetch(`${url}api/rooms`, { method: 'POST', body: form, redirect: 'manual' });
  if (res.status !== 303 && res.status !== 409) {
    throw new Error(`creating room ${name}: ${res.status} ${await res.text()}`);
  }
}

/** Headless Chromium (Debian's, or $CHROMIUM). */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/** A page at `url` that records console errors, uncaught exceptions and dialogs (alert()). */
export async function open(browser, url, viewport = { width: 1280, height: 720 }) {
  const page = await browser.newPage({ viewport });
  const problems = { errors: [], dialogs: [] };
  page.on('console', (m) => { if (m.type() === 'error') problems.errors.push(m.text()); });
  page.on('pageerror', (e) => problems.errors.push(String(e)));
  page.on('dialog', async (d) => { problems.dialogs.push(d.message()); await d.dismiss(); });
  await page.goto(url, { waitUntil: 'load' });
  return { page, problems };
}

/** Types a console line and waits for the server's reply to show (error or not). */
export async function consoleLine(page, line) {
  const input = page.locator('#console-input');
  await input.fill(line);
  await input.press('Enter');
}

/** Sends a client message over the page's own WebSocket; resolves to the room's reply. */
export function send(page, body) {
  return page.evaluate((b) => window.playground.connection.send(b), body);
}

/** Asks the room an `expect` line over the page's WebSocket: true when it holds. */
export async function holds(page, expectation) {
  const reply = await send(page, { type: 'command', line: `expect ${expectation}` });
  if (!reply.ok) throw new Error(`expect ${expectation}: ${JSON.stringify(reply.error)}`);
  return reply.output.startsWith('✓');
}

/** Polls `check` until it returns something truthy (returned), or fails after `timeoutMs`. */
export async function until(what, check, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** The partitions (`orders/0`, …) whose leader mark sits in broker `id`'s card. */
export async function partitionsLedBy(page, id) {
  return page.$$eval(`[data-broker="${id}"] .replica.leader[data-partition]`,
    (els) => els.map((e) => e.dataset.partition).sort());
}

/**
 * One server and one browser for a test file, started before its tests and stopped after.
 * `openRoom(name)` creates room NAME and opens its page `/r/NAME`: each test uses its own room, so
 * one test's broker kill is not the next one's cluster. `env` holds the server and the browser.
 */
export function useServerAndBrowser(options = {}) {
  const env = {};
  before(async () => {
    env.server = await startServer(options.scenario, options);
    env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return {
    env,
    openRoom: async (name, viewport) => {
      await createRoom(env.server.url, name, env.server.token);
      return open(env.browser, `${env.server.url}r/${name}`, viewport);
    },
  };
}

/**
 * What a scenario's `focus` put on screen, checked as a person at the back of the room would:
 * the elements carrying `data-focus`, each drawn, lying inside the viewport and not cut off by a
 * box that scrolls or clips it, and every text inside them (their own text nodes, visible ones)
 * with a computed font size of at least `minFontPx` (pass 0 to skip that check, e.g. outside
 * presenter mode). Resolves to {focused: ['partition:orders/0', …], problems: ['…', …]}: the
 * caller asserts that `focused` is not empty and `problems` is. For a test that stops at every
 * pause of a lesson.
 */
export async function focusOnScreen(page, { minFontPx = 16 } = {}) {
  return page.evaluate((minPx) => {
    const problems = [];
    const focused = [];
    const width = innerWidth;
    const height = innerHeight;
    const fmt = (r) => `[${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}×${Math.round(r.height)}]`;
    for (const e of document.querySelectorAll('[data-focus]')) {
      const name = e.getAttribute('data-focus');
      focused.push(name);
      if (!e.checkVisibility({ opacityProperty: true, visibilityProperty: true })) {
        problems.push(`${name} is not drawn`);
        continue;
      }
      const r = e.getBoundingClientRect();
      if (r.width <= 0 || r.height <= 0) problems.push(`${name} has no size`);
      if (r.left < -0.5 || r.top < -0.5 || r.right > width + 0.5 || r.bottom > height + 0.5) {
        problems.push(`${name} at ${fmt(r)} is not inside the ${width}×${height} viewport`);
      }
      // Boxes between it and the page that clip (scrolling columns, clipped panels).
      for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
        const s = getComputedStyle(a);
        if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
        const c = a.getBoundingClientRect();
        if (r.top < c.top - 0.5 || r.bottom > c.bottom + 0.5 || r.left < c.left - 0.5 || r.right > c.right + 0.5) {
          problems.push(`${name} at ${fmt(r)} is cut off by ${a.tagName.toLowerCase()}${a.id ? `#${a.id}` : ''}.${[...a.classList].join('.')} at ${fmt(c)}`);
          break;
        }
      }
      if (!minPx) continue;
      const small = new Set();
      for (const t of [e, ...e.querySelectorAll('*')]) {
        const text = [...t.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('').trim();
        if (!text || !t.checkVisibility()) continue;
        const px = parseFloat(getComputedStyle(t).fontSize);
        if (px < minPx - 0.01) small.add(`"${text.slice(0, 24)}" ${px.toFixed(1)}px`);
      }
      if (small.size) problems.push(`${name}: text under ${minPx}px: ${[...small].slice(0, 6).join(', ')}${small.size > 6 ? ` and ${small.size - 6} more` : ''}`);
    }
    return { focused, problems };
  }, minFontPx);
}

/**
 * What a class reads, checked whole: resolves to a list of problems (empty when all is well).
 * - The narration (#narration, presenter mode) or the caption (#caption) is not cut: a clamped
 *   box whose text is taller than the box ends in "…".
 * - No figure of the partition logs (offsets, HW, LEO, commit labels) is cut by a box that clips
 *   it sideways ("lag 46" read as "lag 4"): every drawn element of the logical view whose own text
 *   has a digit lies, left to right, inside each ancestor
 *   that clips (ellipsis boxes excepted: they mark the cut). Rows scrolled out of view do not
 *   count: only elements vertically inside their clipping box are checked.
 * - Commit labels cover no "replicas" button, and never part a number from its word: "lag 46",
 *   "committed @24" (or "coop @24") each lie on one line of the label.
 * - The event log shows no sliced line: the text of every entry that shows in its box shows whole.
 */
export async function textOnScreen(page) {
  return page.evaluate(() => {
    const problems = [];
    const fmt = (r) => `[${Math.round(r.left)}–${Math.round(r.right)}, ${Math.round(r.top)}–${Math.round(r.bottom)}]`;
    const shown = (e) => e.checkVisibility({ opacityProperty: true, visibilityProperty: true });
    for (const id of ['narration', 'caption']) {
      const e = document.getElementById(id);
      if (!e || !shown(e) || !e.textContent) continue;
      if (e.scrollHeight > e.clientHeight + 1) {
        problems.push(`#${id} is cut: its text needs ${e.scrollHeight}px, the box is ${e.clientHeight}px ("…${e.textContent.slice(-40)}")`);
      }
    }
    for (const e of document.querySelectorAll('.stage .logical *')) {
      const own = [...e.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('');
      if (!/\d/.test(own) || !shown(e)) continue;
      const r = e.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
        const s = getComputedStyle(a);
        if (s.overflowX === 'visible') continue;
        const c = a.getBoundingClientRect();
        const ellipsis = (x) => x.textOverflow === 'ellipsis';
        if (r.bottom <= c.top + 1 || r.top >= c.bottom - 1) break; // scrolled out of view: not read
        if ((r.left < c.left - 0.5 || r.right > c.right + 0.5) && !ellipsis(s) && !ellipsis(getComputedStyle(e))) {
          problems.push(`"${own.trim().slice(0, 40)}" at ${fmt(r)} is cut by ${a.tagName.toLowerCase()}.${[...a.classList].join('.')} at ${fmt(c)}`);
          break;
        }
      }
    }
    const buttons = [...document.querySelectorAll('.replicas-toggle')].filter(shown).map((b) => b.getBoundingClientRect());
    for (const l of document.querySelectorAll('.commit-label')) {
      if (!shown(l)) continue;
      const r = l.getBoundingClientRect();
      for (const b of buttons) {
        if (r.left < b.right - 0.5 && b.left < r.right - 0.5 && r.top < b.bottom - 0.5 && b.top < r.bottom - 0.5) {
          problems.push(`"${l.textContent}" at ${fmt(r)} covers a replicas button at ${fmt(b)}`);
        }
      }
    }
    for (const l of document.querySelectorAll('.commit-label')) {
      if (!shown(l)) continue;
      // The label's visible text, each character with its text node and offset (a piece hidden
      // by CSS, e.g. the verb a narrow lane drops, is not read).
      const chars = [];
      const walk = document.createTreeWalker(l, NodeFilter.SHOW_TEXT);
      for (let n = walk.nextNode(); n; n = walk.nextNode()) {
        if (!n.parentElement.checkVisibility()) continue;
        for (let i = 0; i < n.data.length; i++) chars.push({ n, i, c: n.data[i] });
      }
      const text = chars.map((x) => x.c).join('');
      // A number and the word before it ("lag 46", "committed @24", "coop @24"), \s with NBSP.
      for (const m of text.matchAll(/\S+\s+@?[\d,]+/g)) {
        const range = document.createRange();
        range.setStart(chars[m.index].n, chars[m.index].i);
        const end = chars[m.index + m[0].length - 1];
        range.setEnd(end.n, end.i + 1);
        // One line: every fragment's middle within the first one's top and bottom.
        const rects = [...range.getClientRects()].filter((r) => r.width > 0);
        const first = rects[0];
        if (rects.some((r) => (r.top + r.bottom) / 2 < first.top || (r.top + r.bottom) / 2 > first.bottom)) {
          problems.push(`the label "${text}" parts "${m[0]}" across lines`);
        }
      }
    }
    const log = document.getElementById('event-log');
    if (log && shown(log)) {
      const c = log.getBoundingClientRect();
      // The text of each entry (its time, subject and words), not the entry's box: an entry's
      // blank edge may pass under the box's edge.
      for (const text of log.querySelectorAll('.log-entry > span')) {
        if (!shown(text)) continue;
        const r = text.getBoundingClientRect();
        if (r.bottom <= c.top + 0.5 || r.top >= c.bottom - 0.5) continue;
        if (r.top < c.top - 0.5 || r.bottom > c.bottom + 0.5) {
          problems.push(`the event log's line "${text.parentElement.textContent.slice(0, 50)}" (${text.className} at ${fmt(r)}) is sliced by the log's box ${fmt(c)}`);
        }
      }
    }
    return problems;
  });
}

/**
 * A raw Kafka connection to `host:port` that sends one ApiVersions v0 request with `clientId`
 * (none: a silent connection). `localAddress` (say 127.0.0.2, loopback too on Linux) stands for
 * a second computer.
 */
export async function rawConnection(port, clientId, { host = '127.0.0.1', localAddress } = {}) {
  const socket = net.connect({ port, host, localAddress });
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  if (clientId !== undefined) {
    const id = Buffer.from(clientId, 'utf8');
    const body = Buffer.alloc(10 + id.length);
    body.writeInt16BE(18, 0); // ApiVersions
    body.writeInt16BE(0, 2); // v0: request header v1, client_id a nullable string
    body.writeInt32BE(1, 4); // correlation id
    body.writeInt16BE(id.length, 8);
    id.copy(body, 10);
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length, 0);
    socket.write(Buffer.concat([size, body]));
    await new Promise((resolve) => socket.once('data', resolve));
  }
  return socket;
}

/** Waits until the room's lesson stops at pause `k` (its own count), for up to a minute. */
export function atPause(page, k) {
  return page.waitForFunction((k) => {
    const l = window.playground.model.lesson;
    return l && l.at_pause && l.pauses_done === k;
  }, k, { timeout: 60000 });
}
