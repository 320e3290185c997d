// The details drawer (#details): a partition (from `inspect`, refreshed every second while open),
// a broker, a producer, a consumer or a group. Reopening replaces the content; Escape or × closes.

import { el, formatCount, formatRate, formatSet, formatStamp } from '../text.js';
import { keyColor, consumerColor } from '../colors.js';
import { producerState } from './producers.js';
import { splitPartition } from '../model.js';

const INSPECT_EVERY_MS = 1000;
/** Redraw a non-partition panel at most this often. */
const REDRAW_EVERY_MS = 250;

export class DetailsView {
  constructor(model, connection) {
    this.model = model;
    this.connection = connection;
    this.root = document.getElementById('details');
    this.title = document.getElementById('details-title');
    this.body = document.getElementById('details-body');
    this.kind = null;
    this.key = null;
    this.timer = null;
    this.lastDraw = 0;
    this.inspectSeq = 0;
    document.getElementById('details-close').addEventListener('click', () => this.close());
  }

  get isOpen() {
    return this.kind !== null;
  }

  /** @param {'partition'|'broker'|'producer'|'consumer'|'group'} kind @param {string|number} key */
  open(kind, key) {
    this.close();
    this.kind = kind;
    this.key = key;
    this.root.hidden = false;
    this.root.dataset.kind = kind;
    this.root.dataset.key = String(key);
    this.title.textContent = titleOf(kind, key);
    this.body.replaceChildren(el('p', { class: 'muted', text: 'Loading…' }));
    if (kind === 'partition') {
      this.inspect();
      this.timer = setInterval(() => this.inspect(), INSPECT_EVERY_MS);
    } else {
      this.draw();
    }
  }

  close() {
    clearInterval(this.timer);
    this.timer = null;
    this.kind = null;
    this.key = null;
    this.root.hidden = true;
    delete this.root.dataset.kind;
    delete this.root.dataset.key;
  }

  render(change) {
    // A snapshot may be another scenario or an earlier time: what the drawer shows may be gone.
    if (this.isOpen && change.snapshot && !this.exists()) { this.close(); return; }
    if (!this.isOpen || this.kind === 'partition') return;
    const relevant = change.snapshot || (this.kind === 'broker' && (change.brokers || change.partitions.size || change.network))
      || (this.kind === 'producer' && change.producers)
      || ((this.kind === 'consumer' || this.kind === 'group') && (change.consumers || change.groups));
    if (!relevant) return;
    const now = performance.now();
    if (now - this.lastDraw < REDRAW_EVERY_MS) {
      // Draw the latest state a little later rather than on every frame.
      if (!this.pendingDraw) this.pendingDraw = setTimeout(() => { this.pendingDraw = null; if (this.isOpen) this.draw(); }, REDRAW_EVERY_MS);
      return;
    }
    this.draw();
  }

  /** Does the entity the drawer shows exist in the model? */
  exists() {
    const m = this.model;
    switch (this.kind) {
      case 'partition': return m.partitions.has(this.key);
      case 'broker': return m.brokers.has(Number(this.key));
      case 'producer': return m.producers.has(this.key);
      case 'consumer': return m.consumers.has(this.key);
      case 'group': return m.groups.has(this.key);
      default: return false;
    }
  }

  draw() {
    this.lastDraw = performance.now();
    const m = this.model;
    let content;
    switch (this.kind) {
      case 'broker': content = this.brokerBody(m.brokers.get(Number(this.key))); break;
      case 'producer': content = this.producerBody(m.producers.get(this.key)); break;
      case 'consumer': content = this.consumerBody(m.consumers.get(this.key)); break;
      case 'group': content = this.groupBody(m.groups.get(this.key)); break;
      default: return;
    }
    const scroll = this.body.scrollTop;
    this.body.replaceChildren(...content);
    this.body.scrollTop = scroll;
  }

  async inspect() {
    const [topic, partition] = splitPartition(this.key);
    const seq = ++this.inspectSeq;
    const wanted = this.key;
    let reply;
    try {
      reply = await this.connection.send({ type: 'inspect', topic, partition });
    } catch (e) {
      if (this.key === wanted && seq === this.inspectSeq) this.body.replaceChildren(el('p', { class: 'error-text', text: e.message }));
      return;
    }
    // A newer request or another panel may have replaced this one meanwhile.
    if (this.kind !== 'partition' || this.key !== wanted || seq !== this.inspectSeq) return;
    if (!reply.ok) {
      this.body.replaceChildren(el('p', { class: 'error-text', text: reply.error ? reply.error.message : 'inspect failed' }));
      return;
    }
    const scroll = this.body.scrollTop;
    this.body.replaceChildren(...this.partitionBody(reply.inspect));
    this.body.scrollTop = scroll;
  }

  partitionBody(ins) {
    const m = this.model;
    const p = m.partitions.get(this.key);
    const out = [];
    out.push(facts([
      ['leader', ins.leader === null || ins.leader === undefined ? 'none' : leaderText(ins.leader)],
      ['leader epoch', p ? p.leader_epoch : '—'],
      ['high watermark', formatCount(ins.high_watermark)],
      ['log end offset', formatCount(ins.log_end_offset)],
      ['log start offset', formatCount(ins.log_start_offset)],
      ['replicas', p ? p.replicas.join(', ') : '—'],
      ['ISR', p ? formatSet(p.isr) : '—'],
    ]));
    out.push(el('h3', { text: 'Replicas' }));
    out.push(table(['broker', 'role', 'ISR', 'LEO', 'HW', 'start'], ins.replicas.map((r) => [
      String(r.broker),
      r.broker === ins.leader ? leaderText('leader') : 'follower',
      r.in_isr ? 'in sync' : outOfSync(),
      formatCount(r.log_end_offset), formatCount(r.high_watermark), formatCount(r.log_start_offset),
    ])));
    out.push(el('h3', { text: `Latest records (${ins.records.length}), newest first` }));
    if (!ins.records.length) out.push(el('p', { class: 'muted', text: 'The log is empty.' }));
    else {
      const rows = [...ins.records].reverse().map((r) => [
        formatCount(r.offset),
        keyCell(r.key),
        r.value === null || r.value === undefined ? el('span', { class: 'muted', text: '(null)' }) : r.value,
        formatStamp(r.timestamp_ms * 1000),
        String(r.leader_epoch),
      ]);
      const t = table(['offset', 'key', 'value', 'time', 'epoch'], rows);
      t.classList.add('records');
      // Rows at or past the high watermark are not yet committed: consumers cannot read them.
      [...ins.records].reverse().forEach((r, i) => { if (r.offset >= ins.high_watermark) t.tBodies[0].rows[i].classList.add('uncommitted'); });
      out.push(t);
    }
    return out;
  }

  brokerBody(b) {
    const m = this.model;
    if (!b) return [el('p', { class: 'muted', text: 'Unknown broker.' })];
    const status = !b.alive ? 'down' : b.fenced ? 'fenced' : 'up';
    const out = [facts([
      ['status', status],
      ['network', m.isIsolated(b.id) ? 'isolated: no broker, client or controller reaches it'
        : m.cutPeers(b.id).length ? `cannot reach broker${m.cutPeers(b.id).length > 1 ? 's' : ''} ${m.cutPeers(b.id).join(', ')}` : 'connected'],
      ['coordinator of', b.coordinator_of.length ? b.coordinator_of.join(', ') : '—'],
    ])];
    const rows = [];
    for (const p of [...m.partitions.values()].sort(byPartition)) {
      const i = p.replicas.indexOf(b.id);
      if (i < 0) continue;
      rows.push([p.id, p.leader === b.id ? leaderText('leader') : 'follower', p.isr.includes(b.id) ? 'in sync' : outOfSync(),
        p.replica_leo ? formatCount(p.replica_leo[i]) : '—']);
    }
    out.push(el('h3', { text: `Replicas (${rows.length})` }));
    out.push(table(['partition', 'role', 'ISR', 'LEO'], rows));
    return out;
  }

  producerBody(p) {
    if (!p) return [el('p', { class: 'muted', text: 'Unknown producer.' })];
    return [facts([
      ['topic', p.topic],
      ['acks', p.acks],
      ['rate', p.real_client ? 'a real Kafka client: it sends when its program does'
        : p.stopped ? 'none: stopped for good'
          : p.rate_per_s === null || p.rate_per_s === undefined ? 'manual' : formatRate(p.rate_per_s)],
      ['state', producerState(p)],
      ['buffered', formatCount(p.buffered)],
      ['in flight', formatCount(p.in_flight)],
    ])];
  }

  consumerBody(c) {
    const m = this.model;
    if (!c) return [el('p', { class: 'muted', text: 'Unknown consumer.' })];
    const g = m.groups.get(c.group);
    const isMember = g ? g.members.some((mm) => mm.member === c.name) : false;
    const assignment = g ? (g.members.find((mm) => mm.member === c.name)?.assignment ?? []) : [];
    const swatch = el('span', { class: 'swatch inline', attrs: { 'aria-hidden': 'true' } });
    swatch.style.setProperty('--mc', consumerColor(m.consumerIndex.get(c.name)));
    const out = [facts([
      ['colour', swatch],
      ['group', c.group],
      ['state', c.state + (c.stalled ? ' (stalled)' : '')],
      ['phase', c.phase],
      ['group member', isMember ? 'yes' : 'no'],
      ['generation', String(c.generation)],
      ['processing rate', c.rate_per_s === null || c.rate_per_s === undefined ? 'unlimited' : formatRate(c.rate_per_s)],
      ['consumed', formatCount(c.consumed)],
      ['assigned (coordinator)', assignment.length ? assignment.join(', ') : 'none'],
    ])];
    out.push(el('h3', { text: 'Owns now' }));
    out.push(table(['partition', 'next offset'], c.owned.map(([p, pos]) => [p, pos === null || pos === undefined ? '—' : formatCount(pos)])));
    return out;
  }

  groupBody(g) {
    const m = this.model;
    if (!g) return [el('p', { class: 'muted', text: 'Unknown group.' })];
    const out = [facts([
      ['state', g.state],
      ['generation', String(g.generation)],
      ['protocol type', g.protocol_type ?? 'consumer'],
      ['protocol', g.protocol],
      [g.protocol_type === 'connect' ? 'connect protocol' : 'assignor', g.assignor],
      ['coordinator', g.coordinator === null || g.coordinator === undefined ? 'none' : `broker ${g.coordinator}`],
      ['group leader', g.leader ?? '—'],
      ['topics', g.topics.join(', ')],
      // Measured from committed offsets: none yet is "–", as kafka-consumer-groups.sh's "-".
      ['lag', g.offsets.length > 0 ? formatCount(g.lag) : '–'],
      ['consumed', formatCount(g.consumed)],
    ])];
    out.push(el('h3', { text: 'Members and assignment' }));
    out.push(table(['member', 'assignment'], g.members.map((mm) => [mm.member, mm.assignment.join(', ') || '—'])));
    out.push(el('h3', { text: 'Committed offsets' }));
    out.push(table(['partition', 'committed', 'lag', 'owner'], g.offsets.map((o) => {
      const id = `${o.topic}/${o.partition}`;
      return [id, formatCount(o.committed), formatCount(o.lag), m.ownerOf(g.name, id) ?? '—'];
    })));
    return out;
  }
}

function titleOf(kind, key) {
  return { partition: `Partition ${key}`, broker: `Broker ${key}`, producer: `Producer ${key}`, consumer: `Consumer ${key}`, group: `Group ${key}` }[kind];
}

function byPartition(a, b) {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

/** A definition list of [label, value] pairs; values are strings or nodes. */
function facts(pairs) {
  const dl = el('dl', { class: 'facts' });
  for (const [k, v] of pairs) dl.append(el('dt', { text: k }), el('dd', {}, typeof v === 'object' ? v : String(v)));
  return dl;
}

function table(headers, rows) {
  const thead = el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { text: h }))));
  const tbody = el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, typeof c === 'object' ? c : String(c))))));
  if (!rows.length) tbody.append(el('tr', {}, el('td', { class: 'none', colspan: headers.length, text: 'none' })));
  return el('table', { class: 'data' }, thead, tbody);
}

function leaderText(text) {
  return el('span', { class: 'leader-text' }, el('span', { class: 'leader-mark', attrs: { 'aria-hidden': 'true' }, text: '★' }), ` ${text}`);
}

function outOfSync() {
  return el('span', { class: 'out-of-sync-text', text: 'out of sync' });
}

function keyCell(key) {
  const sw = el('span', { class: 'key-swatch', attrs: { 'aria-hidden': 'true' } });
  sw.style.background = keyColor(key ?? null, true);
  return el('span', { class: 'key-cell' }, sw, key === null || key === undefined ? el('span', { class: 'muted', text: '(none)' }) : key);
}
