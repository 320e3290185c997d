// Flights: records moving through the cluster, drawn as dots on a fixed overlay and moved with the
// Web Animations API (compositor-only transforms, no layout per frame).
//   produce:   producer card (or the console, for a one-off `produce` line) → the leader
//   replicate: leader → follower
//   consume:   the partition → the consumer (dot in the consumer's colour)
// In the detail "the leader" is the leader's replica chip and a partition its log row; in the
// overview (chips hidden) it is the partition's tile, and replication is not flown.
//
// Motion a class can follow: few dots (at most MAX_ACTIVE, at most one per path at a time), large
// and slow. A dot leaves from just outside its source's edge facing the target and lands just
// outside the target's facing edge, fading in and out there, so it never sits on a label; the layer
// is below the details drawer, menus and forms (app.css z-index). Each frame's flights are spread
// over the real time the frame covers, using their `at_us`. With prefers-reduced-motion none fly
// (the state still updates).

import { keyColor, consumerColor } from '../colors.js';
import { select } from '../entities.js';

const MAX_ACTIVE = 12;
/** New dots per rendered frame at most: the rest of a busy frame's sample is not drawn. */
const MAX_LAUNCH = 2;
/** The dots' box in CSS pixels (app.css `.flight`); bigger dots are scaled, not resized. */
const DOT_PX = 22;
const DURATION_MS = { produce: 1300, replicate: 1000, consume: 1200 };
/** Never delay a dot by more than this (frames arrive ~10/s). */
const MAX_DELAY_MS = 200;
/** Scrolling boxes a target may be hidden in. */
const SCROLLERS = '.producers, .physical, .logical, .overview, .groups';

export class FlightsView {
  /**
   * @param {{overview: boolean}} zoom which level is shown
   * @param {(id: string) => boolean} rowVisible is a partition's log row on screen (detail)
   */
  constructor(layer, model, { reducedMotion, zoom, rowVisible }) {
    this.layer = layer;
    this.model = model;
    this.reducedMotion = reducedMotion;
    this.zoom = zoom;
    this.rowVisible = rowVisible;
    this.planned = [];
    this.active = 0;
    /** Paths with a dot on them now ("kind from→to"). */
    this.busy = new Set();
    // A fixed pool of dots, created once and never removed: launching a flight only restyles and
    // animates an idle dot, so flights cause no DOM insertions or removals (no relayout).
    /** Idle dots. */
    this.pool = [];
    for (let i = 0; i < MAX_ACTIVE; i++) {
      const dot = document.createElement('span');
      dot.className = 'flight';
      this.layer.append(dot);
      this.pool.push(dot);
    }
    this.launched = 0;
    this.dropped = 0;
  }

  /** Read where every dot starts and ends (before any view writes: no forced layout). */
  measure(change) {
    this.planned = [];
    if (!change.flights.length || this.reducedMotion() || document.hidden) return;
    const m = this.model;
    const speed = m.clock.speed || 1;
    const t0 = change.frameStartUs ?? m.clock.now_us;
    const overview = this.zoom.overview;
    // Rectangles are looked up once per selector per render: many dots share endpoints.
    const rects = new Map();
    const rect = (selector) => {
      if (rects.has(selector)) return rects.get(selector);
      const node = document.querySelector(selector);
      const r = node ? visibleRect(node, rects) : null;
      rects.set(selector, r);
      return r;
    };
    // A tile's port is a blank spot kept for dots (overview.js), a point rather than an edge.
    const tile = (id) => rect(`#overview ${select('partition', id)} .tile-port`);
    const leaderOf = (f) => (overview
      ? tile(`${f.topic}/${f.partition}`)
      : rect(select('replica', `${f.topic}/${f.partition}`, f.broker)));

    let room = Math.min(MAX_LAUNCH, MAX_ACTIVE - this.active);
    for (const f of change.flights) {
      if (room <= 0) { this.dropped++; continue; }
      let from, to, color, path;
      const kind = f.kind;
      if (kind === 'produce') {
        // The console's one-off records leave from the console itself.
        from = f.producer === 'console' ? rect('#console') : rect(select('producer', f.producer));
        to = leaderOf(f);
        color = keyColor(f.key ?? null, true);
        path = `${f.producer}>${f.topic}/${f.partition}`;
      } else if (kind === 'replicate') {
        // The overview has no chips: its tiles tell replication by HW, LEO and ISR, and dots
        // shuttling between every pair of broker cards would only be noise.
        if (overview) continue;
        from = rect(select('replica', `${f.topic}/${f.partition}`, f.from));
        to = rect(select('replica', `${f.topic}/${f.partition}`, f.to));
        color = 'var(--replicate)';
        path = `${f.topic}/${f.partition}@${f.from}>${f.to}`;
      } else if (kind === 'consume') {
        const id = `${f.topic}/${f.partition}`;
        if (overview) from = tile(id);
        else from = this.rowVisible(id) ? rect(`.partition[data-partition="${CSS.escape(id)}"] .log`) : null;
        to = rect(select('consumer', f.consumer));
        color = consumerColor(m.consumerIndex.get(f.consumer));
        path = `${id}>${f.consumer}`;
      } else continue;
      if (!from || !to) continue;
      path = `${kind} ${path}`;
      if (this.busy.has(path)) continue;
      const [a, b] = facingEdges(from, to, overview);
      const delay = Math.max(0, Math.min(MAX_DELAY_MS, ((f.at_us - t0) / speed) / 1000));
      room--;
      this.busy.add(path);
      this.planned.push([kind, a, b, color, delay, f.count || 1, path]);
    }
  }

  render(change) {
    for (const p of this.planned) this.launch(...p);
    this.planned = [];
    landWhenPaused(change, this.model, this.layer);
  }

  launch(kind, a, b, color, delay, count, path) {
    const dot = this.pool.pop();
    if (!dot) { this.busy.delete(path); return; }
    dot.className = `flight flight-${kind}`;
    // Batches show as bigger dots (a batch of 16 records or more is 1.3 times as wide as one record).
    // Size is a scale of the fixed DOT_PX box, so a launch never changes layout.
    const k = Math.min(1.3, 1 + 0.075 * Math.log2(count));
    dot.style.setProperty('--fc', color);
    this.active++;
    this.launched++;
    const half = DOT_PX / 2;
    // A gentle arc reads better than a straight line and separates dots on nearby paths.
    const mx = (a.x + b.x) / 2, my = (a.y + b.y) / 2 - Math.min(50, Math.hypot(b.x - a.x, b.y - a.y) * 0.12);
    const at = (x, y, s) => `translate(${x - half}px, ${y - half}px) scale(${s})`;
    const anim = dot.animate([
      { transform: at(a.x, a.y, 0.7 * k), opacity: 0 },
      { transform: at(a.x + (mx - a.x) * 0.3, a.y + (my - a.y) * 0.3, k), opacity: 1, offset: 0.15 },
      { transform: at(mx, my, k), opacity: 1, offset: 0.5 },
      { transform: at(b.x + (mx - b.x) * 0.3, b.y + (my - b.y) * 0.3, k), opacity: 1, offset: 0.85 },
      { transform: at(b.x, b.y, 0.7 * k), opacity: 0 },
    ], { duration: DURATION_MS[kind], delay, easing: 'ease-in-out', fill: 'backwards' });
    anim.onfinish = anim.oncancel = () => {
      this.active--;
      this.busy.delete(path);
      this.pool.push(dot);
    };
  }
}

/**
 * The clock just stopped (Pause, a lesson's pause): every dot still in the air lands now. The
 * engine moved its record already; a dot frozen mid-flight would only cover the text a pause
 * asks the room to read.
 */
export function landWhenPaused(change, model, layer) {
  if (!change || !change.clock || model.clock.playing) return;
  for (const dot of layer.children) for (const a of dot.getAnimations()) a.finish();
}

/** A node's rectangle if it can be seen: non-empty, in the window, not scrolled out of its box. */
function visibleRect(node, cache) {
  const r = node.getBoundingClientRect();
  if (!r.width || r.bottom <= 0 || r.top >= innerHeight) return null;
  const scroller = node.closest(SCROLLERS);
  if (scroller) {
    const key = scroller;
    let box = cache.get(key);
    if (!box) { box = scroller.getBoundingClientRect(); cache.set(key, box); }
    const midY = r.top + r.height / 2;
    if (midY < box.top || midY > box.bottom) return null;
  }
  return r;
}

/**
 * Where a dot leaves `from` and lands on `to`: the middle of the edges that face each other
 * (left/right when the boxes sit side by side, top/bottom when one is above the other), a dot's
 * radius outside each box. A tile's port is a blank spot inside the tile: its centre.
 */
function facingEdges(from, to, overview) {
  if (overview) {
    // Ports are small boxes meant to be landed on; the other end is a card's edge as usual.
    const centre = (r) => ({ x: r.left + r.width / 2, y: r.top + r.height / 2 });
    const fromPort = from.width < DOT_PX, toPort = to.width < DOT_PX;
    const [a, b] = facingEdges(from, to, false);
    return [fromPort ? centre(from) : a, toPort ? centre(to) : b];
  }
  const out = DOT_PX / 2;
  const fc = { x: from.left + from.width / 2, y: from.top + from.height / 2 };
  const tc = { x: to.left + to.width / 2, y: to.top + to.height / 2 };
  const dx = tc.x - fc.x, dy = tc.y - fc.y;
  const sideways = Math.abs(dx) / (from.width + to.width) >= Math.abs(dy) / (from.height + to.height);
  if (sideways) {
    const s = Math.sign(dx) || 1;
    return [{ x: fc.x + s * (from.width / 2 + out), y: fc.y }, { x: tc.x - s * (to.width / 2 + out), y: tc.y }];
  }
  const s = Math.sign(dy) || 1;
  return [{ x: fc.x, y: fc.y + s * (from.height / 2 + out) }, { x: tc.x, y: tc.y - s * (to.height / 2 + out) }];
}
