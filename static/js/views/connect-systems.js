// Kafka Connect's external systems at the edges of the stage: the systems sources read in the
// producers column (left), those sinks write in the groups column (right), one card each
// (`system:NAME`): a database table or a file, how many rows or lines it holds, its own rate,
// the most a sink can write to it a second (`write-rate`, its capacity), whether connectors cannot reach it (`unavailable`), and its newest entries, newest on top, so it visibly fills up
// as rows arrive. Entries are the engine's (at most six, cut to 64 characters by the server) and
// go in as text.

import { el, setText, setClass, setHidden, setAttr, formatCount, formatRate } from '../text.js';
import { entity } from '../entities.js';
import { systemSide } from './connect-model.js';
import { placeChildren } from './connect-tasks.js';

export class SystemsView {
  /**
   * @param {{section: HTMLElement, body: HTMLElement}} panel from `stage.addPanel`
   * @param {'source'|'sink'} side which systems this panel draws
   */
  constructor(panel, model, side) {
    this.panel = panel;
    this.model = model;
    this.side = side;
    /** system name → card parts */
    this.cards = new Map();
    setHidden(panel.section, true);
  }

  render(change) {
    if (!(change.snapshot || change.connect)) return;
    const mine = [...this.model.connectSystems.values()].filter((s) => systemSide(this.model, s.name) === this.side);
    setHidden(this.panel.section, mine.length === 0);
    const names = new Set(mine.map((s) => s.name));
    for (const [name, c] of this.cards) if (!names.has(name)) { c.card.remove(); this.cards.delete(name); }
    placeChildren(this.panel.body, mine.map((s) => this.update(s)));
  }

  update(s) {
    let c = this.cards.get(s.name);
    if (!c) {
      const size = el('b', { class: 'system-size' });
      const unit = el('span');
      const rate = el('span', { class: 'tag rate' });
      const capacity = el('span', { class: 'tag rate system-capacity' });
      const state = el('span', { class: 'status-pill' });
      const entries = el('ol', { class: 'system-entries', attrs: { 'aria-label': 'newest first' } });
      const card = el('div', {
        class: `system card ${s.kind}`,
        dataset: { entity: entity.system(s.name) },
      },
      el('div', { class: 'card-head' },
        el('span', { class: 'entity-name', text: s.name, title: s.name }),
        el('span', { class: 'tag', text: s.kind === 'table' ? 'DB table' : 'file' })),
      el('div', { class: 'system-count' }, size, unit, rate, capacity),
      state,
      entries);
      c = { card, size, unit, rate, capacity, state, entries, shown: [] };
      this.cards.set(s.name, c);
    }
    setText(c.size, formatCount(s.size));
    setText(c.unit, s.kind === 'table' ? (s.size === 1 ? ' row' : ' rows') : (s.size === 1 ? ' line' : ' lines'));
    setHidden(c.rate, s.per_hour === null || s.per_hour === undefined);
    if (s.per_hour !== null && s.per_hour !== undefined) setText(c.rate, `+${formatRate(s.per_hour / 3600)}`);
    const cap = s.write_per_hour;
    setHidden(c.capacity, cap === null || cap === undefined);
    if (cap !== null && cap !== undefined) {
      setText(c.capacity, `writes ≤ ${formatRate(cap / 3600)}`);
      setAttr(c.capacity, 'title', `takes at most ${formatRate(cap / 3600)} writes: a sink writing faster waits`);
    }
    // Only the exception is said: connectors cannot reach it (reads return nothing, writes fail).
    setHidden(c.state, !s.unavailable);
    setText(c.state, 'unavailable');
    setClass(c.card, 'unavailable', s.unavailable);
    setAttr(c.card, 'aria-label', `${s.kind} ${s.name}: ${s.size} ${s.kind === 'table' ? 'rows' : 'lines'}${s.unavailable ? ', unavailable' : ''}`);
    const newest = s.newest || [];
    if (newest.join('\n') !== c.shown.join('\n')) {
      c.entries.replaceChildren(...newest.map((text) => el('li', { text, title: text })));
      c.shown = newest.slice();
    }
    return c.card;
  }
}
