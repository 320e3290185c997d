// Flights: records moving through the cluster, drawn as dots on a fixed overlay and moved with the
// Web Animations API (compositor-only transforms, no layout per frame).
//   produce:   producer card → the leader's replica chip (dot in the key's colour)
//   replicate: leader's replica chip → follower's replica chip
//   consume:   the partition's log → the consumer (dot in the consumer's colour)
// Each frame's flights are spread over the real time the frame covers, using their `at_us`.
// At most MAX_ACTIVE dots fly at once; with prefers-reduced-motion none do (the state still updates).

import { keyColor, consumerColor } from '../colors.js';

const MAX_ACTIVE = 60;
/** The dots' box in CSS pixels (app.css `.flight`); bigger dots are scaled, not resized. */
const DOT_PX = 16;
const DURATION_MS = { produce: 600, replicate: 450, consume: 550 };
/** Never delay a dot by more than this (frames arrive ~10/s). */
const MAX_DELAY_MS = 200;

export class FlightsView {
  constructor(layer, model, { reducedMotion, rowVisible }) {
    this.rowVisible = rowVisible;
    this.planned = [];
    this.layer = layer;
    this.model = model;
    this.reducedMotion = reducedMotion;
    this.active = 0;
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
    // Rectangles are looked up once per element per render: many dots share endpoints.
    const rects = new Map();
    const rect = (selector) => {
      if (rects.has(selector)) return rects.get(selector);
      const node = document.querySelector(selector);
      let r = null;
      if (node) {
        const b = node.getBoundingClientRect();
        if (b.width > 0 && b.bottom > 0 && b.top < innerHeight) r = b;
      }
      rects.set(selector, r);
      return r;
    };
    const chip = (broker, topic, partition) =>
      `[data-broker="${broker}"] .replica[data-partition="${CSS.escape(`${topic}/${partition}`)}"]`;

    let room = MAX_ACTIVE - this.active;
    for (const f of change.flights) {
      if (room <= 0) { this.dropped++; continue; }
      let from, to, color, kind = f.kind;
      if (kind === 'produce') {
        from = rect(`.producer[data-producer="${CSS.escape(f.producer)}"]`);
        to = rect(chip(f.broker, f.topic, f.partition));
        color = keyColor(f.key ?? null, true);
        if (from && to) from = { left: from.right - 8, top: from.top, width: 0, height: from.height };
      } else if (kind === 'replicate') {
        from = rect(chip(f.from, f.topic, f.partition));
        to = rect(chip(f.to, f.topic, f.partition));
        color = 'var(--replicate)';
      } else if (kind === 'consume') {
        if (!this.rowVisible(`${f.topic}/${f.partition}`)) continue;
        from = rect(`.partition[data-partition="${CSS.escape(`${f.topic}/${f.partition}`)}"] .log`);
        to = rect(`.member[data-consumer="${CSS.escape(f.consumer)}"]`);
        color = consumerColor(m.consumerIndex.get(f.consumer));
        if (from) from = { left: from.right - 6, top: from.top, width: 0, height: from.height };
        if (to) to = { left: to.left + 6, top: to.top, width: 0, height: Math.min(to.height, 36) };
      } else continue;
      if (!from || !to) continue;
      const delay = Math.max(0, Math.min(MAX_DELAY_MS, ((f.at_us - t0) / speed) / 1000));
      room--;
      this.planned.push([kind, centre(from), centre(to), color, delay, f.count || 1]);
    }
  }

  render() {
    for (const p of this.planned) this.launch(...p);
    this.planned = [];
  }

  launch(kind, a, b, color, delay, count) {
    const dot = this.pool.pop();
    if (!dot) return;
    dot.className = `flight flight-${kind}`;
    // Batches show as bigger dots (a batch of 16 records is about twice as wide as one record).
    // Size is a scale of the fixed DOT_PX box, so a launch never changes layout.
    const k = (12 + Math.min(12, 3 * Math.log2(count))) / DOT_PX;
    dot.style.background = color;
    this.active++;
    this.launched++;
    const half = DOT_PX / 2;
    // A slight arc reads better than a straight line and separates dots on the same path.
    const mx = (a.x + b.x) / 2, my = (a.y + b.y) / 2 - Math.min(60, Math.abs(b.x - a.x) * 0.15);
    const anim = dot.animate([
      { transform: `translate(${a.x - half}px, ${a.y - half}px) scale(${0.6 * k})`, opacity: 0 },
      { transform: `translate(${mx - half}px, ${my - half}px) scale(${k})`, opacity: 1, offset: 0.5 },
      { transform: `translate(${b.x - half}px, ${b.y - half}px) scale(${0.8 * k})`, opacity: 0.9 },
    ], { duration: DURATION_MS[kind], delay, easing: 'ease-in-out', fill: 'backwards' });
    anim.onfinish = anim.oncancel = () => {
      this.active--;
      this.pool.push(dot);
    };
  }
}

function centre(r) {
  return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
}
