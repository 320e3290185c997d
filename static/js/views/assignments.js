// Assignment lines: an SVG overlay on the stage, one curve from each consumer to each partition it
// holds (in the logical view), in the consumer's colour. Drawn from `consumers[].owned`, so during an
// eager rebalance all lines vanish and come back, and in a cooperative one only the moved ones do.
//
// Geometry is read in `measure` (before any view writes) and only when the pairs changed or the
// layout moved (`invalidate`, called on resize and scroll); `render` writes the paths.

import { svgEl, setAttr } from '../text.js';
import { consumerColor } from '../colors.js';

export class AssignmentsView {
  constructor(svg, stage, model) {
    this.svg = svg;
    this.stage = stage;
    this.model = model;
    /** "consumer\0partition" → path */
    this.paths = new Map();
    this.dirty = true;
    this.pairsKey = '';
    /** Lines measured this frame, or null when nothing needs redrawing. */
    this.lines = null;
  }

  /** Layout moved (resize, scroll, rows added): re-measure on the next render. */
  invalidate() {
    this.dirty = true;
  }

  /** Which consumer holds which partition, and whether it crashed: all that decides the lines. */
  pairs() {
    // The number of partitions too: a new topic adds rows and moves the ones below.
    let key = `${this.model.partitions.size}\u0002`;
    for (const c of this.model.consumers.values()) {
      if (!c.owned.length) continue;
      key += `${c.name}\u0001${c.state}\u0001${c.owned.map(([p]) => p).join('\u0001')}\u0002`;
    }
    return key;
  }

  measure(change) {
    this.lines = null;
    const key = this.pairs();
    if (!this.dirty && key === this.pairsKey && !change.snapshot) return;
    // Measure once more next frame when the pairs changed: this frame's writes (chips, rows)
    // may move the ends. Otherwise the resize observer says when the layout moved.
    this.dirty = key !== this.pairsKey || change.snapshot;
    this.pairsKey = key;
    const m = this.model;
    const base = this.stage.getBoundingClientRect();
    const lines = [];
    const memberRects = new Map();
    for (const c of m.consumers.values()) {
      if (!c.owned.length) continue;
      const from = this.stage.querySelector(`.member[data-consumer="${CSS.escape(c.name)}"]`);
      if (!from) continue;
      const fr = from.getBoundingClientRect();
      if (!fr.width) continue;
      memberRects.set(c.name, fr);
      for (const [pid] of c.owned) {
        const row = this.stage.querySelector(`.partition[data-partition="${CSS.escape(pid)}"]`);
        if (!row) continue;
        // End at the row's right edge (past the LEO label), level with the log's cells.
        const rr = row.getBoundingClientRect();
        // A hidden row (the overview, or a partition not open in the detail) gets no line.
        if (!rr.width) continue;
        const lr = row.querySelector('.log').getBoundingClientRect();
        const list = row.closest('.logical').getBoundingClientRect();
        // Rows scrolled out of their list get no line.
        if (lr.bottom < list.top || lr.top > list.bottom) continue;
        lines.push({ key: `${c.name}\u0000${pid}`, color: consumerColor(m.consumerIndex.get(c.name)),
          x1: fr.left - base.left, y1: fr.top + Math.min(fr.height / 2, 18) - base.top,
          x2: rr.right - base.left, y2: lr.top + lr.height / 2 - base.top, crashed: c.state === 'crashed' });
      }
    }
    this.lines = { lines, width: base.width, height: base.height };
  }

  render() {
    if (!this.lines) return;
    const { lines, width, height } = this.lines;
    this.lines = null;
    setAttr(this.svg, 'viewBox', `0 0 ${Math.round(width)} ${Math.round(height)}`);
    const seen = new Set();
    for (const l of lines) {
      seen.add(l.key);
      let path = this.paths.get(l.key);
      if (!path) {
        path = svgEl('path', { class: 'assignment-line' });
        this.paths.set(l.key, path);
        this.svg.append(path);
      }
      const dx = Math.max(30, (l.x1 - l.x2) / 2);
      setAttr(path, 'd', `M${l.x1.toFixed(1)},${l.y1.toFixed(1)} C${(l.x1 - dx).toFixed(1)},${l.y1.toFixed(1)} ${(l.x2 + dx).toFixed(1)},${l.y2.toFixed(1)} ${l.x2.toFixed(1)},${l.y2.toFixed(1)}`);
      setAttr(path, 'stroke', l.color);
      setAttr(path, 'class', l.crashed ? 'assignment-line crashed' : 'assignment-line');
    }
    for (const [key, path] of this.paths) {
      if (!seen.has(key)) { path.remove(); this.paths.delete(key); }
    }
  }
}
