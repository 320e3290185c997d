// The stage as a layout host: views are mounted (any view class, any number of times, each on its
// own root) and rendered once per animation frame; panels are added to a slot of the stage (the
// producers, cluster and groups columns, `data-slot` in index.html) without touching the others.
// The next panels (Streams topologies, Connect workers, metrics) call `addPanel` and `mount`.
//
// Rendering has two phases per frame: every view reads layout (`measure`, optional) while the
// layout is still clean from the last frame, then every view writes (`render`). One broken view
// must not freeze the others. Each view's time is kept (`viewTimes`).

import { el } from './text.js';
import { emptyChange, mergeChange } from './model.js';

/** How many `render` measures the performance timeline keeps (the benchmark reads them). */
const MEASURES_KEPT = 2000;

export class Stage {
  constructor(root, model) {
    this.root = root;
    this.model = model;
    /** Mounted views in render order: {name, view}. */
    this.mounted = [];
    this.pending = null;
    this.renders = 0;
    /** Time spent per view (ms total, max, count): `playground.viewTimes` in the console. */
    this.viewTimes = {};
    model.addEventListener('change', (e) => this.schedule(e.detail));
  }

  /**
   * Mount a view (an object with `render(change)` and optionally `measure(change)`) under a name
   * for the timings. Views render in mount order.
   */
  mount(name, view) {
    this.mounted.push({ name, view });
    return view;
  }

  /**
   * A new panel in a slot (`producers`, `cluster`, `groups`): a section with a column title and a
   * body (`id`) for a view's root. Returns {section, heading, body}; CSS places it in its column.
   */
  addPanel(slot, { id, title, subtitle, className = '' }) {
    const host = this.root.querySelector(`[data-slot="${slot}"]`);
    if (!host) throw new Error(`no stage slot ${slot}`);
    const heading = el('h2', { class: 'column-title' }, title, subtitle ? el('span', { class: 'subtitle', text: subtitle }) : null);
    const body = el('div', { id, class: id });
    const section = el('div', { class: `view panel ${className}`.trim(), dataset: { panel: id } }, heading, body);
    host.append(section);
    return { section, heading, body };
  }

  /** Render on the next animation frame with this change (or these flags) merged in. */
  schedule(change) {
    if (this.pending) mergeChange(this.pending, change);
    else {
      this.pending = change;
      requestAnimationFrame(() => this.render());
    }
  }

  /** Redraw without a message from the room (a resize, a zoom, a lesson's progress). */
  redraw(flags = {}) {
    this.schedule(Object.assign(emptyChange(), flags));
  }

  render() {
    const change = this.pending;
    this.pending = null;
    if (!change) return;
    performance.mark('render-start');
    for (const m of this.mounted) if (m.view.measure) this.timed(m, 'measure', change);
    for (const m of this.mounted) this.timed(m, 'render', change);
    performance.measure('render', 'render-start');
    performance.clearMarks('render-start');
    if (++this.renders % 500 === 0) trimMeasures();
  }

  timed({ name, view }, phase, change) {
    const t0 = performance.now();
    try {
      view[phase](change);
    } catch (err) {
      console.error(`playground: ${phase} failed in`, name, err);
      return;
    }
    const key = `${name}.${phase}`;
    const stat = this.viewTimes[key] || (this.viewTimes[key] = { ms: 0, max: 0, n: 0 });
    const dt = performance.now() - t0;
    stat.ms += dt;
    stat.n++;
    if (dt > stat.max) stat.max = dt;
  }
}

/** Keep the last MEASURES_KEPT `render` measures on the timeline (re-recording them after a clear). */
function trimMeasures() {
  const all = performance.getEntriesByName('render', 'measure');
  if (all.length <= MEASURES_KEPT) return;
  const keep = all.slice(-MEASURES_KEPT);
  performance.clearMeasures('render');
  for (const m of keep) performance.measure('render', { start: m.startTime, duration: m.duration });
}
