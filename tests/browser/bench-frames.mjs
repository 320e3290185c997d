// Benchmark: how long the page's frames take in headless Chromium with 6 brokers, 24 partitions at
// replication 3 and 2,000 records/s (tests/bench/frames.scenario). Prints p50/p95 of
// - frame time: the interval between animation frames (what a viewer sees; 16.7 ms = 60 fps),
// - render time: the page's own work per frame (its `render` measures on the performance timeline),
// and the number of long animation frames (> 50 ms) Chromium reported.
//
// node tests/browser/bench-frames.mjs [SECONDS] [WIDTHxHEIGHT] [replicas]
// (`replicas`: with orders/0's replicas view open, which asks the room for its logs while open)
// With BENCH_METRICS=1 the metrics panel is open while measuring (its charts redraw every second).

import { startServer, launch, open } from './harness.mjs';

const seconds = Number(process.argv[2] || 10);
const [width, height] = (process.argv[3] || '1920x1080').split('x').map(Number);

function percentile(values, p) {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const server = await startServer('tests/bench/frames.scenario');
const browser = await launch();
try {
  const { page, problems } = await open(browser, server.url, { width, height });
  await page.waitForSelector('[data-broker="6"]');
  if (process.argv[4] === 'replicas') {
    // 24 partitions open in the overview: open orders/0's log in the detail, then its replicas.
    const tile = page.locator('.tile[data-entity="partition:orders/0"]');
    if (await tile.isVisible()) await tile.click();
    await page.locator('[data-entity="partition:orders/0"] .replicas-toggle').click();
  }
  await page.waitForTimeout(4000); // the group forms, the producer reaches its rate
  if (process.env.BENCH_METRICS) await page.locator('#metrics-button').click();
  const result = await page.evaluate(async (ms) => {
    performance.clearMeasures();
    const long = [];
    const observer = new PerformanceObserver((list) => long.push(...list.getEntries().map((e) => e.duration)));
    try { observer.observe({ type: 'long-animation-frame' }); } catch { /* older Chromium */ }
    const intervals = [];
    let last = performance.now();
    const end = last + ms;
    await new Promise((resolve) => {
      const tick = (t) => {
        intervals.push(t - last);
        last = t;
        if (t < end) requestAnimationFrame(tick); else resolve();
      };
      requestAnimationFrame(tick);
    });
    observer.disconnect();
    const renders = performance.getEntriesByName('render', 'measure').map((m) => m.duration);
    return { intervals: intervals.slice(1), renders, long, frames: window.playground?.model?.clock?.now_us };
  }, seconds * 1000);
  const f = (x) => x.toFixed(1);
  console.log(`browser frames at ${width}x${height}, 6 brokers, 24 partitions rf3, 2,000 records/s, ${seconds} s:`);
  console.log(`  frame time p50 ${f(percentile(result.intervals, 50))} ms, p95 ${f(percentile(result.intervals, 95))} ms over ${result.intervals.length} frames (target p95 ≤ 16.7 ms)`);
  console.log(`  render work p50 ${f(percentile(result.renders, 50))} ms, p95 ${f(percentile(result.renders, 95))} ms over ${result.renders.length} renders`);
  console.log(`  long animation frames (> 50 ms): ${result.long.length}`);
  if (problems.errors.length) console.log(`  console errors: ${problems.errors.slice(0, 3).join(' | ')}`);
} finally {
  await browser.close();
  await server.stop();
}
