// Records moving through Kafka Connect, as dots on the flights layer: a source task's read (its
// system's card → the task chip) and a sink task's write (the task chip → its system's card),
// launched when a task's `records` counter (the engine's) grew since the last frame. A source
// task's records going on to their topic are the producer's own `produce` flights (flights.js,
// from the chip's producer port). Few, slow dots, at most one per path at a time; none with
// prefers-reduced-motion (the counters still update).

import { select } from '../entities.js';
import { liveConnectors, liveTasks } from './connect-model.js';
import { landWhenPaused } from './flights.js';

const POOL = 4;
const DOT_PX = 22;
const DURATION_MS = 1100;

export class ConnectFlows {
  constructor(layer, model, { reducedMotion }) {
    this.layer = layer;
    this.model = model;
    this.reducedMotion = reducedMotion;
    /** `NAME-ID` → records last seen */
    this.seen = new Map();
    this.busy = new Set();
    this.planned = [];
    this.pool = [];
    for (let i = 0; i < POOL; i++) {
      const dot = document.createElement('span');
      dot.className = 'flight flight-connect';
      layer.append(dot);
      this.pool.push(dot);
    }
  }

  /** Read the ends of this frame's dots before any view writes. */
  measure(change) {
    this.planned = [];
    if (!(change.snapshot || change.connect)) return;
    const m = this.model;
    const grown = [];
    const present = new Set();
    for (const t of liveTasks(m)) {
      const id = `${t.connector}-${t.id}`;
      present.add(id);
      const before = this.seen.get(id);
      this.seen.set(id, t.records);
      // A snapshot (a seek, a new scenario) is not motion: only growth between frames flies.
      if (!change.snapshot && before !== undefined && t.records > before) grown.push(t);
    }
    for (const id of this.seen.keys()) if (!present.has(id)) this.seen.delete(id);
    // A stopped clock launches nothing: a dot would stand over the text a pause asks to read.
    if (!grown.length || this.reducedMotion() || document.hidden || !m.clock.playing) return;
    const source = new Map(liveConnectors(m).map((c) => [c.name, c.source]));
    for (const t of grown) {
      if (this.planned.length >= this.pool.length) break;
      const chip = rect(select('connect-task', t.connector, t.id));
      for (const sys of t.systems) {
        const box = rect(select('system', sys));
        if (!chip || !box) continue;
        const path = `${t.connector}-${t.id}:${sys}`;
        if (this.busy.has(path)) continue;
        const [from, to] = source.get(t.connector) ? [box, chip] : [chip, box];
        this.planned.push({ a: edge(from, to), b: edge(to, from), path });
        break;
      }
    }
  }

  render(change) {
    for (const p of this.planned) this.launch(p);
    this.planned = [];
    landWhenPaused(change, this.model, this.layer);
  }

  launch({ a, b, path }) {
    const dot = this.pool.pop();
    if (!dot) return;
    this.busy.add(path);
    const half = DOT_PX / 2;
    const at = (x, y) => `translate(${x - half}px, ${y - half}px)`;
    const anim = dot.animate([
      { transform: at(a.x, a.y), opacity: 0 },
      { transform: at(a.x + (b.x - a.x) * 0.15, a.y + (b.y - a.y) * 0.15), opacity: 1, offset: 0.15 },
      { transform: at(a.x + (b.x - a.x) * 0.85, a.y + (b.y - a.y) * 0.85), opacity: 1, offset: 0.85 },
      { transform: at(b.x, b.y), opacity: 0 },
    ], { duration: DURATION_MS, easing: 'ease-in-out', fill: 'backwards' });
    anim.onfinish = anim.oncancel = () => { this.busy.delete(path); this.pool.push(dot); };
  }
}

function rect(selector) {
  const node = document.querySelector(selector);
  if (!node) return null;
  const r = node.getBoundingClientRect();
  return r.width && r.bottom > 0 && r.top < innerHeight ? r : null;
}

/** The middle of `r`'s side that faces `other`, a dot's radius outside it. */
function edge(r, other) {
  const c = { x: r.left + r.width / 2, y: r.top + r.height / 2 };
  const o = { x: other.left + other.width / 2, y: other.top + other.height / 2 };
  const dx = o.x - c.x, dy = o.y - c.y;
  if (Math.abs(dx) / (r.width + other.width) >= Math.abs(dy) / (r.height + other.height)) {
    return { x: c.x + Math.sign(dx || 1) * (r.width / 2 + DOT_PX / 2), y: c.y };
  }
  return { x: c.x, y: c.y + Math.sign(dy || 1) * (r.height / 2 + DOT_PX / 2) };
}
