// A Connect task chip (`connect-task:NAME-ID`): its id, its state as a word and a colour (legible
// from the back of a room: never colour alone), and the records it moved. A source task's chip
// carries its producer's name (`producer:connector-producer-NAME-ID`, Kafka's client id), so the
// records it produces fly from the chip to the partitions (flights.js), and says its source
// offset: how far the running task has read (in the worker's memory) and what the last offset
// flush saved (where a restarted task resumes), plus the records it produced twice after such a
// restart (`re-sent`). A JDBC sink task retrying a failed write says how many retries in a row
// it has used of `max.retries`. The chip names the system it reads or writes (a connector's tasks
// split its tables between them) and when its worker next flushes its source offsets (a source:
// `SourceTaskOffsetCommitter`) or commits its consumer's offsets (a sink), every
// `offset.flush.interval.ms`: the moment a crash's duplicates and a sink's lag are measured
// from. Chips are made once and moved between worker boxes, sliding from
// where they were (FLIP) when placement changes.

import { el, setText, setClass, setAttr, setHidden, formatCount, formatTime } from '../text.js';
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

  /**
   * The chip of a task (wire `connect_tasks` entry), made on first use, updated.
   * @param {object} [worker] the wire worker running it (its `offset_flush_interval_ms`)
   */
  chip(task, connector, worker) {
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
      const resent = el('span', { class: 'connect-task-resent' });
      const systems = el('span', { class: 'connect-task-systems' });
      port.append(systems, resent);
      const flush = el('span', { class: 'connect-task-flush' });
      const offsets = el('span', { class: 'connect-task-offsets' });
      const twice = el('span', { class: 'connect-task-twice' });
      const retries = el('span', { class: 'connect-task-retries' });
      const statusBy = el('span', { class: 'connect-task-status-by' });
      const chip = el('div', {
        class: 'connect-task',
        dataset: { entity: entity['connect-task'](task.connector, task.id) },
      }, el('span', { class: 'connect-task-id', text: id }), state, port, offsets, twice, flush, retries, statusBy);
      c = { chip, state, records, resent, systems, offsets, twice, flush, retries, statusBy, source };
      this.chips.set(id, c);
    }
    setText(c.state, task.state);
    for (const [s, cls] of Object.entries(STATE_CLASS)) setClass(c.chip, cls, task.state === s);
    setText(c.records, formatCount(task.records));
    const names = (task.systems || []).join(', ');
    setText(c.systems, names ? `${c.source ? ' from ' : ' to '}${names}` : '');
    const duplicates = task.duplicates || 0;
    setText(c.resent, duplicates ? ` · re-sent ${formatCount(duplicates)}` : '');
    const offsets = offsetsText(task.offsets || []);
    setText(c.offsets, offsets);
    setHidden(c.offsets, !offsets);
    const twice = sentTwiceText(task.offsets || []);
    setText(c.twice, twice);
    setHidden(c.twice, !twice);
    const flush = flushText(task, c.source, worker);
    setText(c.flush, flush);
    setHidden(c.flush, !flush);
    const retries = task.retries || 0;
    setText(c.retries, retries ? `retries ${retries} of ${task.max_retries}` : '');
    setHidden(c.retries, !retries);
    // A task no worker runs shows the status the status topic holds, and who wrote it: a
    // RUNNING there was written by a worker that has since crashed (the engine's `status_by`).
    const by = task.worker === null || task.worker === undefined ? task.status_by : null;
    setText(c.statusBy, by ? `status written by ${by}` : '');
    setHidden(c.statusBy, !by);
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

/**
 * A source task's offsets as a line: `offset id 80 · flushed id 55` (a table: JDBC's incrementing
 * id; a file: FileStream's byte position). `offset` only while the task runs (the worker's memory);
 * `flushed` once an offset flush wrote one. A task reading several systems names each.
 */
export function offsetsText(offsets) {
  const several = offsets.length > 1;
  return offsets.map((o) => {
    // A row id is a name, written as is; a byte position is a count.
    const at = (n) => (o.kind === 'table' ? `id ${n}` : `byte ${formatCount(n)}`);
    const parts = [];
    if (o.read !== null && o.read !== undefined) parts.push(`offset ${at(o.read)}`);
    parts.push(o.flushed === null || o.flushed === undefined ? 'nothing flushed' : `flushed ${at(o.flushed)}`);
    return `${several ? `${o.system}: ` : ''}${parts.join(' · ')}`;
  }).join('; ');
}

/**
 * When a running task's worker next saves its progress: `next offset flush 60.0 s · every 60 s`
 * (a source's offsets to the offsets store) or `next offset commit 120.0 s · every 60 s` (a sink's
 * consumer offsets to the group). Empty while the task does not run.
 */
export function flushText(task, source, worker) {
  if (task.next_flush_us === null || task.next_flush_us === undefined) return '';
  const every = worker && worker.offset_flush_interval_ms ? ` · every ${formatCount(worker.offset_flush_interval_ms / 1000)} s` : '';
  return `next offset ${source ? 'flush' : 'commit'} ${formatTime(task.next_flush_us)}${every}`;
}

/**
 * The rows this run of a source task produced a second time, from a table's ids: `ids 56–80 sent
 * twice` (what a restart from the flushed offset read again). A file's byte positions name no
 * line a viewer could find, so a file source says only its count (`re-sent`).
 */
export function sentTwiceText(offsets) {
  const several = offsets.length > 1;
  return offsets
    .filter((o) => o.kind === 'table' && Array.isArray(o.resent))
    .map((o) => {
      const [first, last] = o.resent;
      const ids = first === last ? `id ${first}` : `ids ${first}–${last}`;
      return `${several ? `${o.system}: ` : ''}${ids} sent twice`;
    }).join('; ');
}

/** Put `nodes` into `box` in this order, moving only what is out of place. */
export function placeChildren(box, nodes) {
  nodes.forEach((n, i) => { if (box.children[i] !== n) box.insertBefore(n, box.children[i] || null); });
  while (box.children.length > nodes.length) box.lastChild.remove();
}
