// A Connect task chip (`connect-task:NAME-ID`): its id, its state as a word and a colour (legible
// from the back of a room: never colour alone), and the records it moved. A source task's chip
// carries its producer's name (`producer:connector-producer-NAME-ID`, Kafka's client id), so the
// records it produces fly from the chip to the partitions (flights.js). Chips are made once and
// moved between worker boxes, sliding from where they were (FLIP) when placement changes.

import { el, setText, setClass, setAttr, formatCount } from '../text.js';
import { entity } from '../entities.js';
import { taskProducerId } from './connect-model.js';

/** How long a chip takes to slide to its new worker, in ms. */
const MOVE_MS = 700;
/** The CSS class of each `AbstractStatus.State`. */
const STATE_CLASS = {
  RUNNING: 'running', PAUSED: 'paused', FAILED: 'failed', UNASSIGNED: 'unassigned', STOPPED: 'stopped', RESTARTING: 'restarting',
};

export class TaskChips {
  constructor({ reducedMotion }) {
    this.reducedMotion = reducedMotion;
    /** `NAME-ID` → {chip, state, records, port} */
    this.chips = new Map();
    /** Where each chip was before this render (for sliding). */
    this.before = new Map();
  }

  /** Call before moving chips: remember where each one is. */
  remember() {
    this.before.clear();
    for (const [id, c] of this.chips) if (c.chip.isConnected) this.before.set(id, c.chip.getBoundingClientRect());
  }

  /** The chip of a task (wire `connect_tasks` entry), made on first use, updated. */
  chip(task, connector) {
    const id = `${task.connector}-${task.id}`;
    let c = this.chips.get(id);
    if (!c) {
      const state = el('span', { class: 'connect-task-state' });
      const records = el('b');
      const source = connector.source;
      // The source task's producer: where its produce flights leave from.
      const port = el('span', {
        class: 'connect-task-flow',
        dataset: source ? { entity: entity.producer(taskProducerId(task)) } : {},
      }, source ? 'read ' : 'written ', records);
      const chip = el('div', {
        class: 'connect-task',
        dataset: { entity: entity['connect-task'](task.connector, task.id) },
      }, el('span', { class: 'connect-task-id', text: id }), state, port);
      c = { chip, state, records };
      this.chips.set(id, c);
    }
    setText(c.state, task.state);
    for (const [s, cls] of Object.entries(STATE_CLASS)) setClass(c.chip, cls, task.state === s);
    setText(c.records, formatCount(task.records));
    const where = task.worker === null || task.worker === undefined ? 'no worker' : `on ${task.worker}`;
    setAttr(c.chip, 'title', `${id}: ${task.state}, ${where}${task.trace ? `\n${task.trace}` : ''}`);
    setAttr(c.chip, 'aria-label', `Task ${id}, ${task.state}, ${where}`);
    return c.chip;
  }

  /** Drop the chips of tasks not in `present` (ids). */
  prune(present) {
    for (const [id, c] of this.chips) if (!present.has(id)) { c.chip.remove(); this.chips.delete(id); }
  }

  /** Slide the chips that changed place since `remember`. */
  slide() {
    if (this.reducedMotion()) return;
    for (const [id, old] of this.before) {
      const c = this.chips.get(id);
      if (!c || !c.chip.isConnected) continue;
      const now = c.chip.getBoundingClientRect();
      const dx = old.left - now.left;
      const dy = old.top - now.top;
      if (Math.abs(dx) > 2 || Math.abs(dy) > 2) {
        c.chip.animate([{ transform: `translate(${dx}px, ${dy}px)` }, { transform: 'none' }], { duration: MOVE_MS, easing: 'ease-in-out' });
      }
    }
  }
}

/** Put `nodes` into `box` in this order, moving only what is out of place. */
export function placeChildren(box, nodes) {
  nodes.forEach((n, i) => { if (box.children[i] !== n) box.insertBefore(n, box.children[i] || null); });
  while (box.children.length > nodes.length) box.lastChild.remove();
}
