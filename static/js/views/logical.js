// Logical view: each topic with its partitions, each partition a log of offset cells (the last
// CELLS offsets), coloured by record key. The log is drawn as the leader holds it (wire.rs, "Log
// shapes"): offsets the log cleaner removed stay as empty gaps (Kafka never reuses an offset),
// tombstones (null values) are struck through, segment boundaries are bars, and the log start offset
// is always shown at the left edge ("start 51 …" when the window is elsewhere), so deleted segments
// visibly vanish. Markers: high watermark (HW: what consumers may read; cells past it are hatched, not
// yet replicated to the whole ISR), log end offset (LEO), and per group its committed offset with
// its lag (filled) and the owning member's position (outlined), in that member's colour. A row's "replicas" button opens the
// replicas view (every replica's log stacked, leader on top) under it. A `records` focus lists
// the topic's newest records, key and value as the leaders hold them up to the high watermark,
// under its rows (`showRecords`): the cells give a value only on hover.

import { el, setHidden, setText, setClass, setAttr, setStyle, formatCount, formatRate, formatSet } from '../text.js';
import { keyClasses, consumerColor } from '../colors.js';
import { ReplicasView } from './replicas.js';
import { TopicTail } from './streams-records.js';
import { partitionId, splitPartition } from '../model.js';
import { entity } from '../entities.js';

/** Offsets drawn per partition: the wire's log window (wire.rs LOG_WINDOW, `recent` carries 16 keys). */
export const CELLS = 16;
/** Slide the log when a frame appends at most this many records to a partition. */
const SLIDE_MAX = 3;
/** Records a `records` focus lists under its topic (the newest) when they are short; three when
 * one is long (streams-records.js). */
const RECORD_ROWS = 10;

export class LogicalView {
  constructor(root, model, { reducedMotion, connection }) {
    this.root = root;
    this.model = model;
    this.connection = connection;
    this.reducedMotion = reducedMotion;
    /** topic name → {section, meta, acked, rejected, lost, rows} */
    this.topics = new Map();
    /** partition id → row parts */
    this.rows = new Map();
    this.empty = el('p', { class: 'empty-note', text: 'No topics yet. Create one with + or type: topic create orders partitions=3 replication=3' });
    /** The partitions shown (the zoom's open ones), or null for all. */
    this.filter = null;
    this.root.append(this.empty);
    // Rows scrolled out of the list are not updated (a big cluster has dozens); they are brought
    // up to date when they scroll into view.
    /** partition ids whose rows are (nearly) on screen */
    this.visible = new Set();
    /** partition ids that changed while off screen */
    this.stale = new Set();
    /** Was the clock playing at the last render? (Offsets are drawn whenever it is paused.) */
    this.wasPlaying = undefined;
    this.observer = new IntersectionObserver((entries) => {
      for (const e of entries) {
        const id = e.target.dataset.partition;
        if (e.isIntersecting) {
          this.visible.add(id);
          // Stale, or drawn before it was seen with keys it still lacks (askKeys asks only for rows on screen).
          if (this.stale.delete(id) || this.rows.get(id)?.unsampled) this.updateRow(id);
        } else this.visible.delete(id);
      }
    }, { root: this.root, rootMargin: '120px 0px' });
  }

  /**
   * Show only these partitions' rows (the zoom's open partitions), or every row (null). Hidden
   * rows leave the observer's view, so they cost nothing until shown again.
   */
  showOnly(ids) {
    for (const [id, r] of this.rows) setHidden(r.row, ids !== null && !ids.has(id));
    for (const [name, t] of this.topics) {
      setHidden(t.section, ids !== null && ![...ids].some((id) => id.slice(0, id.lastIndexOf('/')) === name));
    }
    this.filter = ids;
  }

  /** Is a partition's row on screen (for flights and lines)? */
  isVisible(id) {
    return this.visible.has(id);
  }

  render(change) {
    const m = this.model;
    if (change.snapshot) { this.prune(); this.snapshots = (this.snapshots || 0) + 1; }
    else if (change.removedTopics) this.prune();
    if (change.snapshot || change.topics) this.syncTopics();
    const groupsChanged = change.snapshot || change.groups || change.consumers;
    const ids = groupsChanged ? m.partitions.keys() : change.partitions;
    // Paused: the logs on screen that lack keys ask for them now (askKeys). Paused or played:
    // whether offsets are drawn depends on it (updateRow), so every row is redrawn once.
    const pausedNow = change.clock && !m.clock.playing;
    const playingFlipped = change.clock && this.wasPlaying !== undefined && this.wasPlaying !== m.clock.playing;
    this.wasPlaying = m.clock.playing;
    const redraw = playingFlipped ? [...this.rows.keys()] : pausedNow ? [...this.rows.keys()].filter((x) => this.rows.get(x).unsampled) : [];
    for (const id of redraw) this.updateRow(id);
    // An offline row says whether a live replica is only out of sync: a broker's return changes
    // that without changing the partition.
    if (change.brokers && !change.snapshot) {
      for (const [id, r] of this.rows) if (r.row.classList.contains('offline')) this.updateRow(id);
    }
    // A listed topic reads its records again when its high watermarks moved (TopicTail asks
    // only then, at most once a second).
    if (change.snapshot || change.partitions?.size) {
      for (const parts of this.topics.values()) parts.records?.tail.refresh();
    }
    for (const id of ids) {
      // A new row is drawn once before the observer has seen it.
      const r = this.rows.get(id);
      if (r && r.lastLeo !== null && !this.visible.has(id)) this.stale.add(id);
      else this.updateRow(id);
    }
  }

  /**
   * After a snapshot: drop topics and partitions that no longer exist (another scenario loaded, a
   * rewind to before they were created), and forget each row's last LEO so a log that jumped
   * (backwards after a rewind) is redrawn without the append animation.
   */
  prune() {
    const m = this.model;
    for (const [name, parts] of this.topics) {
      if (!m.topics.has(name)) { parts.section.remove(); this.topics.delete(name); }
    }
    for (const [id, r] of this.rows) {
      if (m.partitions.has(id) && this.topics.has(id.slice(0, id.lastIndexOf('/')))) { r.lastLeo = null; continue; }
      this.observer.unobserve(r.row);
      if (r.replicas) r.replicas.close();
      r.box.remove();
      this.rows.delete(id);
      this.visible.delete(id);
      this.stale.delete(id);
    }
    this.order = null;
  }

  syncTopics() {
    const m = this.model;
    setHidden(this.empty, m.topics.size > 0);
    const names = [...m.topics.keys()].sort();
    const order = names.join('\u0000');
    for (const name of names) {
      const t = m.topics.get(name);
      let parts = this.topics.get(name);
      if (!parts) {
        parts = this.makeTopic(name);
        this.topics.set(name, parts);
      }
      // Keep sections in name order; moving a section restyles it, so only when the set changed.
      if (this.order !== order) this.root.append(parts.section);
      const flags = [`${t.partitions} partitions`, `RF ${t.replication}`, `min.insync ${t.min_insync}`];
      if (t.unclean_election) flags.push('unclean election');
      if (t.compact) flags.push('compacted');
      if (t.retention_ms !== null && t.retention_ms !== undefined) flags.push(`retention ${formatRetention(t.retention_ms)}`);
      setText(parts.meta, flags.join(' · '));
      setText(parts.acked, formatCount(t.acked));
      setText(parts.rejected, formatCount(t.rejected));
      setText(parts.lost, formatCount(t.lost));
      setClass(parts.rejectedBox, 'bad', t.rejected > 0);
      setClass(parts.lostBox, 'bad', t.lost > 0);
      for (let i = 0; i < t.partitions; i++) {
        const id = partitionId(name, i);
        if (this.rows.has(id)) continue;
        const row = this.makeRow(id);
        this.rows.set(id, row);
        parts.rows.append(row.box);
        this.observer.observe(row.row);
      }
    }
    this.order = order;
    // New topics and rows stay hidden while only some partitions are open.
    if (this.filter) this.showOnly(this.filter);
  }

  /**
   * Lists `topic`'s newest records under its rows (`on`), or removes the list: a `records` focus
   * (views/focus.js). The list is marked `data-records-of` for the focus to find.
   */
  showRecords(topic, on) {
    const parts = this.topics.get(topic);
    if (!parts || Boolean(parts.records) === on) return;
    if (!on) {
      parts.records.root.remove();
      parts.records = null;
      return;
    }
    const tail = new TopicTail(topic, RECORD_ROWS, this.model, this.connection);
    const root = el('div', { class: 'topic-records', dataset: { recordsOf: topic } },
      el('p', { class: 'topic-records-head' }, tail.count),
      tail.list);
    parts.section.append(root);
    parts.records = { root, tail };
    tail.refresh();
  }

  makeTopic(name) {
    const meta = el('span', { class: 'topic-meta' });
    const acked = el('b');
    const rejected = el('b');
    const lost = el('b');
    // The engine's `rejected` (`expect rejected T`) counts, in the same place and by the same
    // records, what producer cards count as failed (Cluster::reject): the topic's is the sum over
    // every producer writing to it. One word for one thing on the page, the producers' word: a
    // batch given up at delivery.timeout.ms may have been refused by no broker. A refusal that is
    // retried, such as NOT_ENOUGH_REPLICAS, is not counted here (a producer's retried).
    const rejectedBox = el('span', {
      class: 'stat',
      title: 'Records its producers gave up on and reported to their application as failed (delivery.timeout.ms or retries ran out, or an error that is never retried): the sum of its producers\' failed, `expect rejected`. A refusal that is retried, such as NOT_ENOUGH_REPLICAS, counts as retried until then',
    }, 'failed ', rejected);
    const lostBox = el('span', { class: 'stat lost', title: 'Acknowledged records no longer in the log' }, 'lost ', lost);
    const rows = el('div', { class: 'partition-rows' });
    const section = el('section', { class: 'topic', dataset: { topic: name, entity: entity.topic(name) } },
      el('div', { class: 'topic-head' },
        el('span', { class: 'topic-name', text: name }), meta,
        el('span', { class: 'topic-stats' }, el('span', { class: 'stat', title: 'Records acknowledged to producers' }, 'acked ', acked), rejectedBox, lostBox)),
      rows);
    return { section, meta, acked, rejected, lost, rejectedBox, lostBox, rows, records: null };
  }

  makeRow(id) {
    const name = el('span', { class: 'partition-name', text: id });
    const leader = el('span', { class: 'partition-leader' });
    // Why an offline partition has no leader, when a replica is alive but out of sync.
    const leaderWhy = el('span', { class: 'partition-leader-why' });
    const isr = el('span', { class: 'partition-isr' });
    const rate = el('span', { class: 'partition-rate', title: 'Records appended in the last simulated second' });
    const cells = [];
    const cellBox = el('div', { class: 'cells' });
    for (let i = 0; i < CELLS; i++) {
      const label = el('span', { class: 'cell-offset' });
      const cell = el('span', { class: 'cell empty' }, label);
      cells.push({ cell, label });
      cellBox.append(cell);
    }
    const hw = el('div', { class: 'marker hw-marker', title: 'High watermark: consumers read up to here' }, el('span', { class: 'marker-label', text: 'HW' }));
    // The log start offset, always: at the left edge of the cells, with an elision mark when
    // the window shows later offsets.
    const logStartValue = el('span', { class: 'log-start-value' });
    const logStart = el('span', { class: 'log-start' }, el('span', { class: 'log-start-caption', text: 'start' }), logStartValue);
    const commits = el('div', { class: 'commits' });
    const log = el('div', { class: 'log' }, logStart, el('div', { class: 'cells-clip' }, cellBox), hw);
    const leo = el('span', { class: 'leo-label', title: 'Log end offset: the next offset to be written' });
    const replicasButton = el('button', {
      type: 'button', class: 'btn btn-mini replicas-toggle',
      title: 'Show every replica\'s log, leader on top',
      attrs: { 'aria-expanded': 'false' },
      on: { click: (e) => { e.stopPropagation(); this.toggleReplicas(id); }, keydown: (e) => e.stopPropagation() },
    }, 'replicas');
    const row = el('div', {
      on: { mouseover: (e) => this.cellTitle(id, e.target) },
      class: 'partition',
      dataset: { partition: id, click: 'partition', entity: `partition:${id}` },
      attrs: { tabindex: '0', role: 'button', 'aria-label': `Partition ${id}` },
    },
      el('div', { class: 'partition-label' }, el('div', { class: 'partition-title' }, name, rate), leader, leaderWhy, el('div', { class: 'partition-isr-line' }, isr, replicasButton)),
      el('div', { class: 'partition-track' }, log, commits),
      leo);
    const replicaBox = el('div', { class: 'replicas-box', hidden: '' });
    const box = el('div', { class: 'partition-box' }, row, replicaBox);
    return { box, row, leader, leaderWhy, isr, rate, cells, cellBox, hw, logStart, logStartValue, commits, leo, replicasButton, replicaBox, replicas: null, commitMarks: new Map(), lastLeo: null };
  }

  updateRow(id) {
    const m = this.model;
    const p = m.partitions.get(id);
    const r = this.rows.get(id);
    if (!p || !r) return;

    // Leader and ISR as text too, with the leader mark.
    if (p.leader === null || p.leader === undefined) {
      // Offline. When a live replica is only out of sync, say what keeps it from leading: the
      // topic forbids unclean election (Kafka's default), so the controller waits for an
      // in-sync replica rather than lose acknowledged records.
      const topic = m.topics.get(p.topic);
      const outOfSync = (p.replicas || []).filter((b) => m.brokers.get(b)?.alive && !p.isr.includes(b));
      const held = topic && !topic.unclean_election && outOfSync.length > 0;
      setText(r.leader, 'no leader');
      setText(r.leaderWhy, held ? 'unclean election off' : '');
      setAttr(r.leaderWhy, 'title', held
        ? `No in-sync replica is alive. Broker ${outOfSync.join(', ')} holds a replica but is out of sync, and unclean.leader.election.enable=false: the partition stays offline until an in-sync replica returns, rather than lose acknowledged records`
        : null);
      setClass(r.leader, 'none', true);
    } else {
      setText(r.leader, `★ leader ${p.leader}`);
      setText(r.leaderWhy, '');
      setAttr(r.leaderWhy, 'title', null);
      setClass(r.leader, 'none', false);
    }
    setText(r.isr, `ISR ${formatSet(p.isr)}`);
    const t = m.topics.get(p.topic);
    setClass(r.isr, 'under-min', t && p.isr.length < t.min_insync);
    setClass(r.row, 'offline', p.leader === null || p.leader === undefined);
    const rate = m.rates.get(id) || 0;
    setText(r.rate, rate >= 0.05 ? formatRate(rate) : '');

    // The window of offsets drawn: the last CELLS before the LEO, never before the log start.
    const leo = p.log_end_offset;
    const start = Math.max(p.log_start_offset, leo - CELLS);
    // Offset numbers in the cells: only while they are readable (short, and not changing every
    // frame). At high rates the cells just show key colours and the HW/LEO labels carry the numbers.
    // Paused, nothing changes, whatever the rate was: the numbers show (a teacher pauses to
    // point at offsets).
    const perFrame = (m.rates.get(id) || 0) * (m.clock.speed || 1) / 10;
    const showOffsets = leo < 10000 && (perFrame <= 4 || !m.clock.playing);
    // How many digits the widest offset drawn has: a log too narrow for them hides the numbers
    // (app.css, container queries on .cells) rather than clipping "13" to a "1".
    const digits = String(Math.max(0, leo - 1)).length;
    if (r.cellBox.dataset.digits !== String(digits)) r.cellBox.dataset.digits = String(digits);
    // One className write per changed cell (colour, hatching and emptiness are all classes):
    // at 2,000 records/s every cell of every partition changes every frame. The lists are short
    // (usually empty): offsets the cleaner removed, tombstones, segment bases in the window.
    const gaps = p.gaps || [];
    const tombstones = p.tombstones || [];
    const segments = p.segments || [];
    let unsampled = false;
    for (let i = 0; i < CELLS; i++) {
      const { cell, label } = r.cells[i];
      const offset = start + i;
      let cls;
      let text = '';
      let entity = null;
      if (offset >= leo) cls = 'cell empty';
      else if (gaps.includes(offset)) {
        cls = 'cell gap';
        if (showOffsets) text = String(offset);
      } else {
        const { known, key } = m.keyAt(id, offset);
        unsampled ||= !known;
        cls = `cell ${keyClasses(key, known)}`;
        if (tombstones.includes(offset)) cls += ' tombstone';
        if (offset >= p.high_watermark) cls += ' uncommitted';
        if (showOffsets) text = String(offset);
        entity = `record:${id}@${offset}`;
      }
      if (segments.includes(offset) && offset < leo) cls += ' segment-start';
      if (cell._cls !== cls) { cell._cls = cls; cell.className = cls; }
      setAttr(cell, 'data-entity', entity);
      setText(label, text);
    }
    r.windowStart = start;
    r.unsampled = unsampled;
    // At classroom rates, or paused (a rate measured just after a snapshot can look high).
    if (unsampled && (perFrame <= 4 || !m.clock.playing)) this.askKeys(id, p, r);

    // Appending: slide the log left by the number of new cells, so records visibly enter on the
    // right. Only at classroom rates: a log that gains many records every frame just updates, a
    // constantly sliding conveyor would be noise.
    if (r.lastLeo !== null && leo > r.lastLeo && !this.reducedMotion()) {
      const added = leo - r.lastLeo;
      const full = leo >= CELLS;
      if (full && added <= SLIDE_MAX) {
        if (r.slide) r.slide.finish();
        r.slide = r.cellBox.animate([{ transform: `translateX(${(added / CELLS) * 100}%)` }, { transform: 'translateX(0)' }],
          { duration: 320, easing: 'cubic-bezier(.2,.7,.3,1)' });
        r.slide.onfinish = () => { r.slide = null; };
      } else if (!full) {
        for (let o = r.lastLeo; o < leo; o++) {
          const c = r.cells[o - start];
          if (c) c.cell.animate([{ transform: 'scale(0.2)', opacity: 0 }, { transform: 'none', opacity: 1 }], { duration: 300, easing: 'ease-out' });
        }
      }
    }
    r.lastLeo = leo;

    // Markers sit on cell boundaries: boundary i is before cell i. CELLS is the right end.
    const at = (offset) => `${(Math.max(0, Math.min(CELLS, offset - start)) / CELLS) * 100}%`;
    setStyle(r.hw, 'left', at(p.high_watermark));
    // A high watermark left of the drawn cells (a leader whose HW cannot advance while its ISR
    // is under min.insync, KAFKA-15583) is not at the first cell: no bar is drawn there, and
    // the label points left and says how far below the LEO it is (the gap a class subtracts
    // from the LEO label beside it; the distance to the first drawn cell is in the title).
    const behind = start - p.high_watermark;
    setClass(r.hw, 'before-window', behind > 0);
    setAttr(r.hw, 'title', behind > 0
      ? `High watermark ${p.high_watermark}: ${leo - p.high_watermark} offsets below the log end offset ${leo}, ${behind} before the first drawn cell; consumers read offsets below it`
      : `High watermark ${p.high_watermark}: consumers read offsets below it`);
    setText(r.hw.firstChild, behind > 0
      ? `◀ HW ${formatCount(p.high_watermark)} · ${formatCount(leo - p.high_watermark)} below LEO`
      : `HW ${formatCount(p.high_watermark)}`);
    // The HW label stays inside the log at either end, so it never covers the log start.
    setClass(r.hw, 'at-end', p.high_watermark >= leo && leo - start > 2);
    setClass(r.hw, 'at-start', p.high_watermark - start <= 2 && !(p.high_watermark >= leo && leo - start > 2));
    const elided = start > p.log_start_offset;
    setText(r.logStartValue, `${formatCount(p.log_start_offset)}${elided ? ' …' : ''}`);
    setClass(r.logStart, 'elided', elided);
    setAttr(r.logStart, 'title', elided
      ? `Log start offset ${p.log_start_offset}: offsets ${p.log_start_offset} to ${start - 1} are in the log but not drawn; offsets below ${p.log_start_offset} were deleted`
      : `Log start offset ${p.log_start_offset}: the first offset the log holds${p.log_start_offset > 0 ? `; offsets below it were deleted` : ''}`);
    setText(r.leo, `LEO ${formatCount(leo)}`);

    this.updateCommits(p, r, start);
  }

  /**
   * Frames sample the keys of what was appended (a reservoir per frame, frame.rs), so a burst can
   * leave a cell of a log without its key. A log on screen at classroom rates asks the room for
   * its records (`inspect`, at most once a second per partition) and draws the keys it lacked:
   * the cell then shows the record's real key rather than "not sampled".
   */
  askKeys(id, p, r) {
    if (!this.connection || !this.visible.has(id) || r.askingKeys) return;
    const now = performance.now();
    const wait = 1000 - (now - (r.keysAskedAt ?? -Infinity));
    if (wait > 0) {
      // Asked within the second: ask again once it is over, if the row still lacks keys then.
      clearTimeout(r.keysLater);
      r.keysLater = setTimeout(() => { if (r.unsampled) this.updateRow(id); }, wait);
      return;
    }
    r.askingKeys = true;
    r.keysAskedAt = now;
    const snapshots = this.snapshots;
    this.connection.send({ type: 'inspect', topic: p.topic, partition: p.partition }).then((reply) => {
      // A snapshot since (a rewind, another scenario) may have put other records at these offsets.
      if (!reply.ok || !reply.inspect || snapshots !== this.snapshots) return;
      let learnt = 0;
      for (const rec of reply.inspect.records) {
        if (this.model.keyAt(id, rec.offset).known) continue;
        this.model.rememberKey(id, rec.offset, rec.key);
        learnt++;
      }
      if (learnt) this.updateRow(id);
    }, () => {}).finally(() => {
      r.askingKeys = false;
      // The answer came too late (a snapshot since) or left keys missing: ask again in a second,
      // or a log that no frame changes again would keep its holes.
      clearTimeout(r.keysLater);
      r.keysLater = setTimeout(() => { if (r.unsampled) this.updateRow(id); }, 1000);
    });
  }

  /** A cell's tooltip (offset and key), made when the pointer is on it rather than every frame. */
  cellTitle(id, target) {
    const cell = target instanceof Element ? target.closest('.cell') : null;
    const r = this.rows.get(id);
    if (!cell || !r) return;
    const i = r.cells.findIndex((c) => c.cell === cell);
    const p = this.model.partitions.get(id);
    const offset = r.windowStart + i;
    if (!p || i < 0 || offset >= p.log_end_offset) { cell.removeAttribute('title'); return; }
    if ((p.gaps || []).includes(offset)) { cell.title = `offset ${offset}: removed by the log cleaner (a later record has the same key)`; return; }
    const { known, key } = this.model.keyAt(id, offset);
    const keyText = known ? (key === null ? 'no key' : `key ${key}`) : 'key not sampled (too many records this frame)';
    const tomb = (p.tombstones || []).includes(offset) ? ' · tombstone: null value (deletes the key)' : '';
    const tail = `${tomb}${offset >= p.high_watermark ? ' · above the high watermark' : ''}`;
    cell.title = `offset ${offset} · ${keyText}${tail}`;
    // Frames carry keys only; the record itself (key and value, whole) comes from `inspect`,
    // asked once per hover (the title is text: user input never becomes markup).
    if (cell._asked === offset || !this.connection) return;
    cell._asked = offset;
    const [topic, partition] = [p.topic, p.partition];
    this.connection.send({ type: 'inspect', topic, partition }).then((reply) => {
      const rec = reply.ok && reply.inspect ? reply.inspect.records.find((x) => x.offset === offset) : null;
      if (!rec || r.windowStart + i !== offset) return;
      const value = rec.value === null ? 'null (tombstone)' : rec.value;
      cell.title = `offset ${offset} · key ${rec.key === null ? '(none)' : rec.key} · value ${value} · leader epoch ${rec.leader_epoch}${tail}`;
    }, () => {}).finally(() => { cell._asked = null; });
  }

  /** Opens or closes the replicas view under a partition's row. */
  toggleReplicas(id) {
    const r = this.rows.get(id);
    if (!r) return;
    if (r.replicas) {
      r.replicas.close();
      r.replicas = null;
    } else {
      const [topic, partition] = splitPartition(id);
      r.replicas = new ReplicasView(r.replicaBox, { model: this.model, connection: this.connection, topic, partition, reducedMotion: this.reducedMotion });
    }
    setHidden(r.replicaBox, !r.replicas);
    setAttr(r.replicasButton, 'aria-expanded', r.replicas ? 'true' : 'false');
  }

  /**
   * Per group reading this topic, two markers: its committed offset (what the group has stored
   * in `__consumer_offsets`: where a new owner would start) with its lag, and, when a member
   * holds the partition, that member's position (the next record its application will
   * process). During a rebalance the committed offset freezes while positions differ by
   * protocol: an eager group's members give up their partitions (no position), a cooperative
   * group's members keep reading the partitions they keep.
   */
  updateCommits(p, r, start) {
    const m = this.model;
    const seen = new Set();
    for (const g of m.groups.values()) {
      if (!g.topics.includes(p.topic)) continue;
      const off = g.offsets.find((o) => o.topic === p.topic && o.partition === p.partition);
      const owner = m.ownerOf(g.name, p.id);
      let position = owner ? m.consumers.get(owner)?.owned.find(([id]) => id === p.id)?.[1] : null;
      // A real client's member: the brokers know only where it last asked to fetch.
      const real = owner ? null : g.members.find((mm) => mm.real_client && mm.assignment.includes(p.id));
      const fetched = real ? (real.fetching || []).find(([id]) => id === p.id)?.[1] : undefined;
      if (fetched !== undefined) position = fetched;
      if (!off && (position === null || position === undefined)) continue;
      seen.add(g.name);
      let mark = r.commitMarks.get(g.name);
      if (!mark) {
        const label = markerLabel('commit-label');
        const node = el('div', { class: 'commit-marker', dataset: { commitGroup: g.name } }, el('span', { class: 'commit-tick' }), label.node);
        const posLabel = markerLabel('commit-label position-label');
        const posNode = el('div', { class: 'commit-marker position-marker', dataset: { positionGroup: g.name } }, el('span', { class: 'commit-tick' }), posLabel.node);
        r.commits.append(node, posNode);
        mark = { node, label, posNode, posLabel };
        r.commitMarks.set(g.name, mark);
      }
      const color = owner ? consumerColor(m.consumerIndex.get(owner)) : 'var(--muted)';
      this.placeMarker(mark.node, mark.label, off ? off.committed : null, start, color,
        off ? { who: g.name, verb: 'committed', lag: off.lag } : null,
        off ? `${g.name}'s committed offset ${off.committed} (where a new owner starts)${owner ? `, owned by ${owner}` : ''}, lag ${off.lag}` : '');
      const hasPos = position !== null && position !== undefined;
      this.placeMarker(mark.posNode, mark.posLabel, hasPos ? position : null, start, color,
        !hasPos ? null : real ? { who: real.real_client, verb: 'fetching' } : { who: owner, verb: 'position' },
        !hasPos ? ''
          : real ? `${real.real_client}'s latest Fetch asked for offset ${position}: the next record it reads (what it fetched may still wait in its buffer)`
            : `${owner}'s position: the next offset its application processes (${position})`);
    }
    for (const [name, mark] of r.commitMarks) {
      if (!seen.has(name)) { mark.node.remove(); mark.posNode.remove(); r.commitMarks.delete(name); }
    }
    setClass(r.row, 'has-commits', r.commitMarks.size > 0);
  }

  /**
   * One offset marker under the cells (hidden when `offset` is null): `words` says whose offset
   * it is ({who, verb, lag?}), drawn "◀ who verb @offset · lag N" (markerLabel).
   */
  placeMarker(node, label, offset, start, color, words, title) {
    setHidden(node, offset === null);
    if (offset === null) return;
    setStyle(node, '--mc', color);
    // The tick's place along the log as a fraction: the markers' lane is wider than the log
    // (app.css, .commits), so the CSS places the tick and its label from it.
    setStyle(node, '--f', String(Math.max(0, Math.min(CELLS, offset - start)) / CELLS));
    const before = offset < start;
    setClass(node, 'before-window', before);
    setClass(node, 'flip', offset - start > CELLS * 0.6);
    setText(label.who, `${before ? '◀\u00a0' : ''}${words.who}`);
    setText(label.verb, `${words.verb}\u00a0`);
    setText(label.at, `@${formatCount(offset)}`);
    const hasLag = words.lag !== undefined;
    setHidden(label.lag, !hasLag);
    if (hasLag) setText(label.lag, `·\u00a0lag\u00a0${formatCount(words.lag)}`);
    setAttr(node, 'title', title);
  }
}

/**
 * A commit or position label: "◀ coop committed @24 · lag 46" in two pieces that never break
 * inside ("◀ coop committed @24" and "· lag 46": the line may only break between them), so a
 * number never lands on another line than its word. The verb is a piece of its own: a lane too
 * narrow for the whole label drops it (app.css, @container commit-lane) and reads "◀ coop @24 ·
 * lag 46"; the marker's title still says it in full.
 */
function markerLabel(cls) {
  const who = el('span', { class: 'commit-who' });
  const verb = el('span', { class: 'commit-verb' });
  const at = el('span', { class: 'commit-at' });
  const lag = el('span', { class: 'commit-lag' });
  const node = el('span', { class: cls }, el('span', { class: 'commit-head' }, who, '\u00a0', verb, at), ' ', lag);
  return { node, who, verb, at, lag };
}

function formatRetention(ms) {
  if (ms % 3600000 === 0) return `${ms / 3600000} h`;
  if (ms % 60000 === 0) return `${ms / 60000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}
