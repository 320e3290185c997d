// Shared by the browser tests and the frame-time benchmark: start the real `playground` binary on
// a free port, open the page in headless Chromium, and collect what the page complains about.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');

/** The binary under test. */
export const binary = process.env.PLAYGROUND_BIN || path.join(root, 'target', 'release', 'playground');

/** Starts `playground serve --port 0 [--scenario FILE]`; resolves to { url, stop }. */
export async function startServer(scenario) {
  const args = ['serve', '--port', '0'];
  if (scenario) args.push('--scenario', path.resolve(root, scenario));
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const [line] = await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => { throw new Error(`playground exited with ${code}`); }),
  ]);
  // "Kafka Playground: http://127.0.0.1:PORT/ (Ctrl-C to stop)"
  const url = line.match(/http:\/\/\S+\//)?.[0];
  if (!url) throw new Error(`no URL in ${JSON.stringify(line)}`);
  return {
    url,
    stop: async () => { child.kill('SIGINT'); await once(child, 'exit'); },
  };
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

/** The partitions (`orders/0`, …) whose leader mark sits in broker `id`'s card. */
export async function partitionsLedBy(page, id) {
  return page.$$eval(`[data-broker="${id}"] .replica.leader[data-partition]`,
    (els) => els.map((e) => e.dataset.partition).sort());
}

/**
 * One server and one browser for a test file, started before its tests and stopped after.
 * `openRoom(name)` opens the page of room `/r/NAME`: each test uses its own room, so one test's
 * broker kill is not the next one's cluster.
 */
export function useServerAndBrowser() {
  const env = {};
  before(async () => {
    env.server = await startServer();
    env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return { openRoom: (name) => open(env.browser, `${env.server.url}r/${name}`) };
}
