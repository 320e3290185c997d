// Overview: every partition of the cluster at once, one tile each, grouped by topic. A tile says
// what a class needs at a glance, all of it engine state:
//   7          ▲ ISR 2/3    partition number and the health of its ISR
//   [★3][1][2]              its replicas in assignment order: the leader wears ★ (the leader mark
//                           of every view), out of sync dashed, on a dead broker struck
//   HW 18 210               high watermark (what consumers may read)
//   LEO 18 212              log end offset (the leader's next offset)
//   lag 12 · 0              each group's lag on it, in the colour of the consumer that owns it
// ISR health is told by a glyph, a word in the tooltip and the tile's border, never by colour
// alone, with Kafka's definitions (the broker metrics of the same names):
//   offline            no leader (OfflinePartitionsCount)
//   under min ISR      ISR smaller than min.insync.replicas: acks=all writes are refused
//                      (UnderMinIsrPartitionCount)
//   under-replicated   ISR smaller than the replica set (UnderReplicatedPartitions)
// A click opens the partition in the detail (zoom.js). Tiles never move: they are laid out once per
// topic in partition order, and every field has a fixed place.

import { el, setText, setClass, setAttr, setStyle, setHidden, formatCount } from '../text.js';
import { consumerColor } from '../colors.js';
import { partitionId } from '../model.js';
import { entity } from '../entities.js';

/** Health of a partition: [class, glyph, words]. */
const HEALTH = {
  ok: ['ok', '✓', 'all replicas in sync'],
  urp: ['under-replicated', '▲', 'under-replicated: a replica is out of the ISR'],
  min: ['under-min-isr', '✖', 'under min ISR: acks=all writes are refused'],
  offline: ['offline', '⊘', 'offline: no leader, nothing can be read or written'],
};

export function partitionHealth(p, topic) {
  if (p.leader === null || p.leader === undefined) return 'offline';
  if (topic && p.isr.length < topic.min_insync) return 'min';
  if (p.isr.length < p.replicas.length) return 'urp';
  return 'ok';
}

export class OverviewView {
  /**
   * @param {HTMLElement} root where the topics' tile grids go
   * @param {{overview: boolean, open(id: string, opts: {add: boolean}): void}} zoom
   */
  constructor(root, model, zoom) {
    this.root = root;
    this.model = model;
    this.zoom = zoom;
    /** topic name → {section, meta, groups, grid} */
    this.topics = new Map();
    /** partition id → tile parts */
    this.tiles = new Map();
    /** Tiles that changed while the overview was hidden. */
    this.stale = true;
    this.empty = el('p', { class: 'empty-note', text: 'No topics yet.' });
    this.root.append(this.empty);
    this.root.addEventListener('click', (e) => this.activate(e));
    this.root.addEventListener('keydown', (e) => {
      // Enter only: space is play/pause everywhere on the page (controls.js).
      if (e.key === 'Enter') { e.preventDefault(); this.activate(e); }
    });
  }

  activate(e) {
    const tile = e.target instanceof Element ? e.target.closest('.tile') : null;
    if (tile) this.zoom.open(tile.dataset.open, { add: e.shiftKey || e.ctrlKey || e.metaKey });
  }

  render(change) {
    if (change.snapshot) this.prune();
    if (change.snapshot || change.topics) this.syncTopics();
    // Hidden (detail level): only remember that the tiles are behind.
    if (!this.zoom.overview) {
      if (change.snapshot || change.partitions.size) this.stale = true;
      return;
    }
    const all = this.stale || change.snapshot || change.brokers || change.groups || change.consumers || change.topics;
    this.stale = false;
    if (all) for (const name of this.topics.keys()) this.updateTopic(name);
    for (const id of all ? this.tiles.keys() : change.partitions) this.updateTile(id);
  }

  /** After a snapshot: drop what is gone (another scenario, a rewind). */
  prune() {
    const m = this.model;
    for (const [name, t] of this.topics) if (!m.topics.has(name)) { t.section.remove(); this.topics.delete(name); }
    for (const [id, t] of this.tiles) if (!m.partitions.has(id)) { t.tile.remove(); this.tiles.delete(id); }
    this.order = null;
  }

  syncTopics() {
    const m = this.model;
    setHidden(this.empty, m.topics.size > 0);
    const names = [...m.topics.keys()].sort();
    const order = names.join('\u0000');
    for (const name of names) {
      let t = this.topics.get(name);
      if (!t) { t = this.makeTopic(name); this.topics.set(name, t); }
      // Topics in name order; a topic created later finds its place without moving the others' tiles.
      if (this.order !== order) this.root.append(t.section);
      const topic = m.topics.get(name);
      for (let i = 0; i < topic.partitions; i++) {
        const id = partitionId(name, i);
        if (this.tiles.has(id)) continue;
        const tile = this.makeTile(id, i);
        this.tiles.set(id, tile);
        t.grid.append(tile.tile);
      }
    }
    this.order = order;
  }

  makeTopic(name) {
    const meta = el('span', { class: 'topic-meta' });
    const groups = el('span', { class: 'ov-groups' });
    const grid = el('div', { class: 'tiles' });
    const section = el('section', { class: 'ov-topic', dataset: { entity: entity.topic(name) } },
      el('div', { class: 'ov-topic-head' }, el('span', { class: 'topic-name', text: name }), meta, groups), grid);
    return { section, meta, groups, grid };
  }

  makeTile(id, index) {
    const replicas = el('div', { class: 'tile-replicas' });
    const health = el('span', { class: 'tile-health' });
    const hw = el('b');
    const leo = el('b');
    const lags = el('div', { class: 'tile-lags' });
    const tile = el('div', {
      class: 'tile',
      dataset: { entity: entity.partition(id), open: id },
      attrs: { tabindex: '0', role: 'button' },
    },
      el('div', { class: 'tile-head' }, el('span', { class: 'tile-num', text: index }), health),
      replicas,
      el('div', { class: 'tile-offset', title: 'High watermark: consumers read offsets below it' }, 'HW ', hw),
      el('div', { class: 'tile-offset', title: 'Log end offset: the next offset the leader writes' }, 'LEO ', leo),
      lags,
      el('span', { class: 'tile-port', attrs: { 'aria-hidden': 'true' } }));
    return { tile, replicas, health, hw, leo, lags, replicaKey: null, lagNodes: new Map() };
  }

  /** The topic's line: its settings and the groups whose lag the tiles show, in that order. */
  updateTopic(name) {
    const m = this.model;
    const t = this.topics.get(name);
    const topic = m.topics.get(name);
    if (!t || !topic) return;
    setText(t.meta, `${topic.partitions} partitions · RF ${topic.replication} · min.insync ${topic.min_insync}`);
    const groups = this.groupsOf(name).map((g) => g.name);
    setText(t.groups, groups.length ? `lag of ${groups.join(' · ')}` : 'no group reads it');
  }

  /** Groups subscribed to a topic, in name order (the order of their lag on the tiles). */
  groupsOf(topic) {
    return [...this.model.groups.values()].filter((g) => g.topics.includes(topic)).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  updateTile(id) {
    const m = this.model;
    const p = m.partitions.get(id);
    const t = this.tiles.get(id);
    if (!p || !t) return;
    const topic = m.topics.get(p.topic);
    const health = partitionHealth(p, topic);
    const [cls, glyph, words] = HEALTH[health];
    for (const [h, [c]] of Object.entries(HEALTH)) setClass(t.tile, c, h === health);
    const noLeader = p.leader === null || p.leader === undefined;
    setText(t.health, health === 'offline' ? `${glyph} offline` : `${glyph} ISR ${p.isr.length}/${p.replicas.length}`);
    setText(t.hw, formatCount(p.high_watermark));
    setText(t.leo, formatCount(p.log_end_offset));
    this.updateReplicas(p, t);
    this.updateLags(p, t);
    setAttr(t.tile, 'data-health', cls);
    setAttr(t.tile, 'aria-label', `Partition ${id}: ${noLeader ? 'no leader' : `leader ${p.leader}`}, ISR ${p.isr.join(',') || 'empty'}, ${words}`);
    setAttr(t.tile, 'title', `${id}: ${words}. Click to open its log (shift-click adds it).`);
  }

  /** One box per replica, in assignment order: leader, in sync, out of sync, on a dead broker. */
  updateReplicas(p, t) {
    const m = this.model;
    const key = p.replicas.map((b) => {
      const alive = m.brokers.get(b)?.alive !== false;
      return `${b}${p.leader === b ? '*' : ''}${p.isr.includes(b) ? '' : '-'}${alive ? '' : 'x'}`;
    }).join(' ');
    if (t.replicaKey === key) return;
    t.replicaKey = key;
    t.replicas.replaceChildren(...p.replicas.map((b) => {
      const alive = m.brokers.get(b)?.alive !== false;
      const inIsr = p.isr.includes(b);
      const cls = ['tr', p.leader === b ? 'leader' : '', inIsr ? 'in-sync' : 'out-of-sync', alive ? '' : 'down'].filter(Boolean).join(' ');
      const role = p.leader === b ? 'leader' : 'follower';
      return el('span', { class: cls, text: p.leader === b ? `★${b}` : b, title: `broker ${b}: ${role}, ${inIsr ? 'in sync' : 'out of sync'}${alive ? '' : ', broker down'}` });
    }));
  }

  /** Each group's lag on this partition, coloured by the consumer that owns it now. */
  updateLags(p, t) {
    const m = this.model;
    const seen = new Set();
    const groups = this.groupsOf(p.topic);
    for (const g of groups) {
      seen.add(g.name);
      let node = t.lagNodes.get(g.name);
      if (!node) {
        node = el('span', { class: 'tile-lag' });
        t.lagNodes.set(g.name, node);
        // In the topic line's order (group names), wherever a new group sorts.
        t.lags.append(...groups.map((x) => t.lagNodes.get(x.name)).filter(Boolean));
      }
      const off = g.offsets.find((o) => o.topic === p.topic && o.partition === p.partition);
      const owner = m.ownerOf(g.name, p.id);
      setStyle(node, '--mc', owner ? consumerColor(m.consumerIndex.get(owner)) : 'transparent');
      setClass(node, 'unowned', !owner);
      setText(node, off ? formatCount(off.lag) : '–');
      setAttr(node, 'title', `${g.name}: ${off ? `committed ${off.committed}, lag ${off.lag}` : 'nothing committed yet'}${owner ? ` · owned by ${owner}` : ' · no owner'}`);
    }
    for (const [name, node] of t.lagNodes) if (!seen.has(name)) { node.remove(); t.lagNodes.delete(name); }
    setClass(t.lags, 'none', seen.size === 0);
  }
}
