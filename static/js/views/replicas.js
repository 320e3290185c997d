// Replicas view: one partition's replicas' logs stacked, leader on top, each drawn as that broker
// holds it (wire.rs `replicas`: runs of offsets with their leader epoch). What it shows is Kafka's
// replication protocol at work:
// - each replica's log end offset (LEO) and high watermark (HW); a follower catching up fills in
//   cells towards the leader's LEO; one out of the ISR is labelled so, and one whose LEO is before
//   the window says how far behind it is;
// - the leader epoch of each range of records (the partitionLeaderEpoch stored in each batch, which
//   followers compare with the leader's epoch cache to find where their logs diverge, KIP-101/320);
// - records a replica holds that the leader does not (a divergent tail, e.g. after an unclean
//   election or a leader that died before its followers fetched) are outlined, "lost" when they were
//   acknowledged; when the replica truncates them (it removes every record from the first divergent
//   offset, Kafka's `truncateTo`), they fade out in place.
// The view asks the room for the logs a few times a second while it is mounted, never in frames:
// per-replica logs for every partition would not fit a viewer's bandwidth.
// Mountable: `new ReplicasView(container, {...})` draws into `container`; `close()` stops it.

import { el, setText, setClass, setAttr, setHidden, formatCount } from '../text.js';

/** How often the view asks for the replicas' logs (real milliseconds). */
const POLL_MS = 250;
/** How long truncated records stay drawn as fading ghosts (real milliseconds). */
const GHOST_MS = 2500;
/** Distinct tints for leader epochs (app.css `.rcell.e-N`). */
const EPOCH_TINTS = 4;

export class ReplicasView {
  constructor(container, { model, connection, topic, partition, reducedMotion }) {
    this.container = container;
    this.model = model;
    this.connection = connection;
    this.topic = topic;
    this.partition = partition;
    this.reducedMotion = reducedMotion;
    this.id = `${topic}/${partition}`;
    this.caption = el('div', { class: 'replicas-caption' });
    this.rowsBox = el('div', { class: 'replica-rows' });
    this.root = el('div', { class: 'replicas-view', dataset: { replicasOf: this.id } }, this.caption, this.rowsBox);
    container.replaceChildren(this.root);
    /** broker → row parts */
    this.rows = new Map();
    /** broker → Map(offset → {epoch, tombstone, divergent, acked}) from the previous reply */
    this.previous = new Map();
    /** ghosts of truncated records: {broker, offset, until, lost} */
    this.ghosts = [];
    this.busy = false;
    this.closed = false;
    this.dirty = true;
    this.onChange = (e) => {
      const c = e.detail;
      if (c.snapshot || c.brokers || (c.partitions && c.partitions.has(this.id))) this.dirty = true;
    };
    model.addEventListener('change', this.onChange);
    this.poll();
    this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  close() {
    this.closed = true;
    clearInterval(this.timer);
    this.model.removeEventListener('change', this.onChange);
    this.root.remove();
  }

  async poll() {
    if (this.busy || this.closed) return;
    // Ask again only when a frame said this partition or a broker changed (or a snapshot came),
    // so an open view costs nothing while the room is paused or the partition is quiet.
    if (!this.dirty) return;
    this.dirty = false;
    this.busy = true;
    let reply;
    try {
      reply = await this.connection.send({ type: 'replicas', topic: this.topic, partition: this.partition });
    } catch (e) {
      reply = { ok: false, error: { message: e.message } };
    } finally {
      this.busy = false;
    }
    if (this.closed) return;
    if (!reply.ok || !reply.replicas) {
      this.dirty = true;
      setText(this.caption, reply.error ? reply.error.message : 'no replicas');
      return;
    }
    this.draw(reply.replicas);
  }

  draw(logs) {
    const start = logs.window_start;
    const width = Math.max(1, logs.window_end - start);
    const now = performance.now();
    setText(this.caption, `${this.id}: each replica's log, offsets ${formatCount(start)}–${formatCount(Math.max(start, logs.window_end - 1))} · leader epoch ${logs.leader_epoch}`);
    const seen = new Set();
    for (const rep of logs.replicas) {
      seen.add(rep.broker);
      const held = cellsOf(rep);
      this.noteTruncation(rep, held, now);
      this.previous.set(rep.broker, held);
      this.drawRow(logs, rep, held, start, width, now);
    }
    // Rows keep the order of the reply (leader first).
    let i = 0;
    for (const rep of logs.replicas) {
      const row = this.rows.get(rep.broker).row;
      if (this.rowsBox.children[i] !== row) this.rowsBox.insertBefore(row, this.rowsBox.children[i] || null);
      i++;
    }
    for (const [broker, parts] of this.rows) {
      if (!seen.has(broker)) { parts.row.remove(); this.rows.delete(broker); }
    }
    this.ghosts = this.ghosts.filter((g) => g.until > now);
  }

  /** Records present before and gone now at or above the new LEO were truncated: keep them as ghosts. */
  noteTruncation(rep, held, now) {
    const before = this.previous.get(rep.broker);
    if (!before) return;
    for (const [offset, c] of before) {
      if (offset >= rep.log_end_offset && !held.has(offset)) {
        this.ghosts.push({ broker: rep.broker, offset, until: now + GHOST_MS, lost: c.divergent && c.acked, epoch: c.epoch });
      }
    }
  }

  row(broker) {
    let parts = this.rows.get(broker);
    if (parts) return parts;
    const name = el('span', { class: 'replica-name' });
    const state = el('span', { class: 'replica-state' });
    const cellBox = el('div', { class: 'rcells' });
    const epochs = el('div', { class: 'repochs' });
    const hw = el('div', { class: 'marker hw-marker' }, el('span', { class: 'marker-label' }));
    const behind = el('span', { class: 'replica-behind' });
    const track = el('div', { class: 'replica-track' }, epochs, el('div', { class: 'rlog' }, cellBox, hw), behind);
    const leo = el('span', { class: 'replica-leo' });
    const row = el('div', { class: 'replica-row', dataset: { entity: `replica:${this.id}@${broker}`, broker: String(broker) } },
      el('div', { class: 'replica-label' }, name, state), track, leo);
    parts = { row, name, state, cellBox, epochs, hw, behind, leo, cells: [], width: 0 };
    this.rows.set(broker, parts);
    return parts;
  }

  drawRow(logs, rep, held, start, width, now) {
    const r = this.row(rep.broker);
    const isLeader = logs.leader === rep.broker;
    setText(r.name, `${isLeader ? '★ ' : ''}broker ${rep.broker}`);
    const status = [];
    if (isLeader) status.push('leader');
    else status.push(rep.in_isr ? 'in sync' : 'out of sync');
    if (!rep.alive) status.push('down');
    setText(r.state, status.join(' · '));
    setClass(r.row, 'leader', isLeader);
    setClass(r.row, 'out-of-sync', !rep.in_isr);
    setClass(r.row, 'down', !rep.alive);
    setText(r.leo, `LEO ${formatCount(rep.log_end_offset)}`);

    if (r.width !== width) {
      r.width = width;
      r.cellBox.style.gridTemplateColumns = `repeat(${width}, minmax(0, 1fr))`;
      r.cells = [];
      r.cellBox.replaceChildren();
      for (let i = 0; i < width; i++) {
        const cell = el('span', { class: 'rcell' }, el('span', { class: 'rcell-offset' }));
        r.cells.push(cell);
        r.cellBox.append(cell);
      }
    }
    const ghosts = new Map(this.ghosts.filter((g) => g.broker === rep.broker && g.until > now).map((g) => [g.offset, g]));
    const segments = new Set(rep.segments);
    for (let i = 0; i < width; i++) {
      const offset = start + i;
      const cell = r.cells[i];
      const c = held.get(offset);
      const ghost = c ? null : ghosts.get(offset);
      let cls = 'rcell';
      let title;
      if (c) {
        cls += ` present e-${c.epoch % EPOCH_TINTS}`;
        if (c.tombstone) cls += ' tombstone';
        if (c.divergent) cls += c.acked ? ' divergent lost' : ' divergent';
        if (offset >= rep.high_watermark) cls += ' uncommitted';
        title = `broker ${rep.broker}, offset ${offset}: written in leader epoch ${c.epoch}${c.tombstone ? ' · tombstone' : ''}${c.divergent ? ` · not in the leader's log: removed when this replica truncates${c.acked ? ' (acknowledged: lost)' : ''}` : ''}`;
      } else if (ghost) {
        cls += ghost.lost ? ' truncated lost' : ' truncated';
        title = `broker ${rep.broker}, offset ${offset}: truncated (it diverged from the leader's log)${ghost.lost ? '; it was acknowledged, so it is lost' : ''}`;
      } else if (offset < rep.log_end_offset && offset >= rep.log_start_offset) {
        cls += ' gap';
        title = `broker ${rep.broker}, offset ${offset}: removed by the log cleaner`;
      } else {
        cls += ' empty';
        title = offset < rep.log_start_offset ? `offset ${offset}: deleted on broker ${rep.broker}` : `offset ${offset}: not on broker ${rep.broker} yet`;
      }
      if (segments.has(offset)) cls += ' segment-start';
      if (cell._cls !== cls) {
        const wasGhost = cell._cls && cell._cls.includes('truncated');
        cell._cls = cls;
        cell.className = cls;
        if (ghost && !wasGhost && !this.reducedMotion()) {
          cell.animate([{ opacity: 1, transform: 'none' }, { opacity: 0.25, transform: 'scaleY(0.4)' }], { duration: GHOST_MS, easing: 'ease-in', fill: 'forwards' });
        } else if (!ghost && wasGhost) cell.getAnimations().forEach((a) => a.cancel());
      }
      setAttr(cell, 'data-offset', c ? offset : null);
      setAttr(cell, 'title', title);
      // 32 cells are too narrow for every number: every fourth offset is labelled (a ruler), and
      // every cell says its offset on hover.
      setText(cell.firstChild, (c || ghost) && offset % 4 === 0 ? String(offset) : '');
    }

    // Leader epochs: one label over the first cell of each run in a new epoch.
    const labels = [];
    let last = null;
    for (const [from, , epoch] of rep.runs) {
      if (epoch !== last) labels.push([Math.max(from, start), epoch]);
      last = epoch;
    }
    const key = labels.map((l) => l.join(':')).join(',');
    if (r.epochs._key !== key) {
      r.epochs._key = key;
      r.epochs.replaceChildren(...labels.map(([from, epoch]) => {
        const tag = el('span', { class: `repoch e-${epoch % EPOCH_TINTS}`, text: `epoch ${epoch}`, title: `records from offset ${from} were written in leader epoch ${epoch}` });
        tag.style.left = `${((from - start) / width) * 100}%`;
        return tag;
      }));
    }

    // High watermark as this replica knows it (a follower learns it from its fetch responses).
    const hwAt = Math.max(0, Math.min(width, rep.high_watermark - start));
    setHidden(r.hw, rep.high_watermark < start);
    r.hw.style.left = `${(hwAt / width) * 100}%`;
    setClass(r.hw, 'at-end', hwAt > width - 3);
    setClass(r.hw, 'at-start', hwAt < 3 && hwAt <= width - 3);
    setText(r.hw.firstChild, `HW ${formatCount(rep.high_watermark)}`);
    const behindBy = logs.window_end - rep.log_end_offset;
    setText(r.behind, rep.log_end_offset < start ? `◀ LEO ${formatCount(rep.log_end_offset)}: ${formatCount(behindBy)} behind` : '');
    setHidden(r.behind, rep.log_end_offset >= start);
  }
}

/** A replica's records in the window: offset → {epoch, tombstone, divergent, acked}. */
function cellsOf(rep) {
  const tomb = new Set(rep.tombstones);
  const div = new Map(rep.divergent.map(([o, acked]) => [o, acked]));
  const out = new Map();
  for (const [from, end, epoch] of rep.runs) {
    for (let o = from; o < end; o++) {
      out.set(o, { epoch, tombstone: tomb.has(o), divergent: div.has(o), acked: div.get(o) === true });
    }
  }
  return out;
}
