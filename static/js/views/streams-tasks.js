// A Streams application's instances: one row per instance (its state from KafkaStreams.State),
// its stream threads, and on each thread the chips of its active tasks (`0_1`: sub-topology 0,
// partition 1; the runtime keeps no standby replicas, so none are drawn). A RESTORING task shows
// how far its stores have replayed their changelogs (restored/total) until it
// is RUNNING. When a task's chip reappears on another thread (a rebalance moved it) it slides from
// where it was (FLIP), unless the user prefers reduced motion.

import { el, setText, setClass, setAttr } from '../text.js';
import { entity } from '../entities.js';

/** How long a moved task chip takes to slide to its new thread, in ms. */
const MOVE_MS = 700;

export class StreamsTasks {
  constructor(app, { reducedMotion }) {
    this.app = app;
    this.reducedMotion = reducedMotion;
    this.root = el('div', { class: 'streams-instances' });
    /** instance name → {row, state, threads: Map(name → {line, chips})} */
    this.rows = new Map();
    /** task id → chip; chips move between threads, they are never rebuilt. */
    this.chips = new Map();
  }

  /** @param {object[]} instances [{name, state, crashed, threads: [{name, tasks: [wire StreamsTaskView], held: ?string[]}]}] (streams.js `instancesOf`) */
  render(instances) {
    const before = new Map();
    for (const [id, chip] of this.chips) if (chip.isConnected) before.set(id, chip.getBoundingClientRect());
    const seen = new Set();
    const present = new Set(instances.map((i) => i.name));
    for (const [name, r] of this.rows) if (!present.has(name)) { r.row.remove(); this.rows.delete(name); }
    for (const inst of instances) {
      const r = this.row(inst.name);
      // A crashed process has no KafkaStreams state left to report: say what happened.
      setText(r.state, inst.crashed ? 'crashed' : inst.state);
      setClass(r.row, 'stopped', inst.state === 'NOT_RUNNING');
      const threadNames = new Set(inst.threads.map((t) => t.name));
      for (const [name, t] of r.threads) if (!threadNames.has(name)) { t.line.remove(); r.threads.delete(name); }
      for (const th of inst.threads) {
        const t = this.thread(r, th.name);
        const chips = th.tasks.map((task) => {
          seen.add(task.id);
          return this.updateChip(task.id, task);
        });
        // Keep the DOM order = the engine's order, moving only what changed place.
        chips.forEach((chip, i) => { if (t.chips.children[i] !== chip) t.chips.insertBefore(chip, t.chips.children[i] || null); });
        while (t.chips.children.length > chips.length) t.chips.lastChild.remove();
        // A crashed instance's thread still in the group: the tasks it holds there, which run
        // nowhere until its session times out and a rebalance gives them to another thread.
        const held = th.tasks.length ? null : th.held;
        setText(t.empty, th.tasks.length ? '' : held ? (held.length ? `holds ${held.join(', ')} in the group: running nowhere` : 'still in the group, no tasks') : 'no tasks');
        setClass(t.empty, 'task-held', Boolean(held));
        setAttr(t.empty, 'title', held ? 'Its consumer is still a member of the group until its session times out (session.timeout.ms): the tasks it was assigned are not given to another thread before then' : null);
      }
    }
    for (const [id, chip] of this.chips) if (!seen.has(id)) { chip.remove(); this.chips.delete(id); }
    if (this.reducedMotion()) return;
    for (const [id, old] of before) {
      const chip = this.chips.get(id);
      if (!chip || !chip.isConnected) continue;
      const now = chip.getBoundingClientRect();
      const dx = old.left - now.left;
      const dy = old.top - now.top;
      if (Math.abs(dx) > 2 || Math.abs(dy) > 2) {
        chip.animate([{ transform: `translate(${dx}px, ${dy}px)` }, { transform: 'none' }], { duration: MOVE_MS, easing: 'ease-in-out' });
      }
    }
  }

  row(name) {
    let r = this.rows.get(name);
    if (r) return r;
    const state = el('span', { class: 'status-pill instance-state' });
    const threads = el('div', { class: 'streams-threads' });
    const row = el('div', { class: 'streams-instance', dataset: { entity: entity.instance(this.app, name) } },
      el('div', { class: 'instance-head' }, el('span', { class: 'entity-name', text: name, title: name }), state),
      threads);
    r = { row, state, threadsNode: threads, threads: new Map() };
    this.rows.set(name, r);
    this.root.append(row);
    return r;
  }

  thread(r, name) {
    let t = r.threads.get(name);
    if (t) return t;
    const chips = el('span', { class: 'task-chips' });
    const empty = el('span', { class: 'muted' });
    // `word-count-1-StreamThread-1` → `StreamThread-1`: the instance is the row's name already.
    const short = name.replace(/^.*-(StreamThread-\d+)$/, '$1');
    const line = el('div', { class: 'streams-thread', title: name }, el('span', { class: 'thread-name', text: short }), chips, empty);
    t = { line, chips, empty };
    r.threads.set(name, t);
    r.threadsNode.append(line);
    return t;
  }

  updateChip(id, task) {
    let chip = this.chips.get(id);
    if (!chip) {
      const label = el('b', { text: task.id });
      const progress = el('span', { class: 'restore' });
      chip = el('span', { class: 'task-chip', dataset: { entity: entity.task(this.app, task.id) } }, label, progress);
      chip._progress = progress;
      this.chips.set(id, chip);
    }
    const restoring = task.state === 'RESTORING';
    setClass(chip, 'restoring', restoring);
    setText(chip._progress, restoring ? `restoring ${task.restored ?? 0}/${task.to_restore ?? '?'}` : '');
    setAttr(chip, 'title', `task ${task.id} on ${task.thread}, ${task.state}, processed ${task.processed}${restoring ? `: restored ${task.restored ?? 0} of ${task.to_restore ?? '?'} changelog records` : ''}`);
    return chip;
  }
}
