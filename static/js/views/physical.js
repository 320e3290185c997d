// Physical view: one card per broker, listing the replicas it holds as chips `orders/0`.
// Encodings (the same in every view): the leader replica wears the leader mark (★ badge, thick
// outline, class `leader`); an in-sync replica is solid, an out-of-sync one dashed; a dead broker is
// greyed with the word "down". A network partition is drawn as a cut between the two sides.
// Cards stay in broker id order whatever happens (a cut, a death): a class follows "broker 2" by
// where it is. In the overview (zoom.js) the chips are hidden and a card sums up its replicas.

import { el, setText, setClass, setAttr } from '../text.js';
import { entity } from '../entities.js';

/** Above this many replicas on one broker, chips drop the topic name (see rebuildChips). */
const DENSE_AFTER = 6;

export class PhysicalView {
  constructor(root, model) {
    this.root = root;
    this.model = model;
    /** broker id → {card, status, tags, replicas, chips: Map(partition id → chip parts)} */
    this.cards = new Map();
    this.layoutKey = '';
  }

  render(change) {
    const m = this.model;
    if (!(change.snapshot || change.brokers || change.network || change.topics || change.partitions.size)) return;
    const brokers = m.brokerList();
    // Only a snapshot can drop brokers (another scenario loaded).
    if (change.snapshot) {
      for (const [id, c] of this.cards) if (!m.brokers.has(id)) { c.card.remove(); this.cards.delete(id); }
    }
    for (const b of brokers) if (!this.cards.has(b.id)) this.cards.set(b.id, this.makeCard(b.id));
    // The set of partitions (and so the chips each card holds) changes only when topics do.
    const layoutKey = [...m.partitions.values()].map((p) => `${p.id}:${p.replicas.join(',')}`).join(' ');
    if (layoutKey !== this.layoutKey || change.snapshot) {
      this.layoutKey = layoutKey;
      this.rebuildChips();
    }
    for (const b of brokers) this.updateCard(b);
    this.updatePartitions(change);
    this.updateSummaries();
    this.updateNetwork(brokers);
  }

  makeCard(id) {
    const name = el('span', { class: 'broker-name' }, el('span', { class: 'broker-word', text: 'Broker ' }), el('b', { text: id }));
    const status = el('span', { class: 'status-pill' });
    const tags = el('div', { class: 'coord-tags' });
    const replicas = el('div', { class: 'replicas' });
    const summary = el('div', { class: 'broker-summary' });
    const card = el('div', {
      class: 'broker card',
      dataset: { broker: String(id), click: 'broker', entity: entity.broker(id) },
      attrs: { tabindex: '0', role: 'button', 'aria-label': `Broker ${id}` },
    }, el('div', { class: 'broker-head' }, name, status), tags, summary, replicas);
    // Id order, fixed, whatever order cards were made in.
    card.style.order = String(id);
    this.root.append(card);
    return { card, status, tags, summary, replicas, chips: new Map() };
  }

  rebuildChips() {
    const m = this.model;
    for (const c of this.cards.values()) { c.replicas.replaceChildren(); c.chips.clear(); c.lastTopic = null; }
    const parts = [...m.partitions.values()].sort(comparePartitions);
    let most = 0;
    for (const p of parts) {
      for (const b of p.replicas) {
        const c = this.cards.get(b);
        if (!c) continue;
        // In dense mode (many replicas per broker) chips show only the partition number, under a
        // topic label; otherwise the label is hidden and the chip reads `orders/0`.
        if (c.lastTopic !== p.topic) {
          c.lastTopic = p.topic;
          c.replicas.append(el('span', { class: 'replica-topic-label', text: p.topic }));
        }
        const mark = el('span', { class: 'leader-mark', attrs: { 'aria-hidden': 'true' }, text: '★' });
        const lag = el('span', { class: 'replica-lag' });
        const chip = el('span', { class: 'replica', dataset: { partition: p.id, entity: entity.replica(p.id, b) } }, mark,
          el('span', { class: 'replica-name' }, el('span', { class: 'replica-topic', text: `${p.topic}/` }), String(p.partition)), lag);
        c.replicas.append(chip);
        c.chips.set(p.id, { chip, lag });
        most = Math.max(most, c.chips.size);
      }
    }
    this.root.classList.toggle('dense', most > DENSE_AFTER || this.cards.size > 4);
  }

  updateCard(b) {
    const m = this.model;
    const c = this.cards.get(b.id);
    const isolated = m.isIsolated(b.id);
    let status = 'up';
    if (!b.alive) status = 'down';
    else if (b.fenced) status = 'fenced';
    if (b.alive && isolated) status = b.fenced ? 'isolated · fenced' : 'isolated';
    setText(c.status, status);
    setAttr(c.status, 'title', status);
    setClass(c.card, 'down', !b.alive);
    setClass(c.card, 'fenced', b.alive && b.fenced);
    setClass(c.card, 'isolated', isolated);
    setAttr(c.card, 'aria-label', `Broker ${b.id}, ${status}`);
    const tagKey = (b.coordinator_of || []).join('\u0000');
    if (c.tagKey !== tagKey) {
      c.tagKey = tagKey;
      c.tags.replaceChildren(...(b.coordinator_of || []).map((g) =>
        el('span', { class: 'tag coord-tag', title: `Group coordinator of ${g}` }, 'coordinator of ', el('b', { text: g }))));
    }
  }

  updatePartitions(change) {
    const m = this.model;
    const ids = change.snapshot || change.brokers ? m.partitions.keys() : change.partitions;
    for (const id of ids) {
      const p = m.partitions.get(id);
      if (!p) continue;
      p.replicas.forEach((b, i) => {
        const c = this.cards.get(b);
        const parts = c && c.chips.get(id);
        if (!parts) return;
        const broker = m.brokers.get(b);
        const alive = broker ? broker.alive : true;
        const inIsr = p.isr.includes(b);
        const leader = p.leader === b;
        setClass(parts.chip, 'leader', leader);
        setClass(parts.chip, 'in-sync', inIsr);
        setClass(parts.chip, 'out-of-sync', !inIsr);
        setClass(parts.chip, 'offline', !alive);
        // How far a follower is behind the leader's log end, e.g. "−3".
        const leo = p.replica_leo ? p.replica_leo[i] : null;
        const behind = leo !== null && leo !== undefined && !leader ? p.log_end_offset - leo : 0;
        setText(parts.lag, behind > 0 ? `−${behind}` : '');
        const role = leader ? 'leader' : 'follower';
        setAttr(parts.chip, 'title', `${id} on broker ${b}: ${role}, ${inIsr ? 'in sync (ISR)' : 'out of sync'}${leo !== null && leo !== undefined ? `, LEO ${leo}` : ''}`);
      });
    }
  }

  /** The overview's line per broker: how many replicas it holds and how many it leads. */
  updateSummaries() {
    const m = this.model;
    for (const [id, c] of this.cards) {
      let leads = 0;
      for (const pid of c.chips.keys()) if (m.partitions.get(pid)?.leader === id) leads++;
      setText(c.summary, `★ ${leads} of ${c.chips.size}`);
      setAttr(c.summary, 'title', `Holds ${c.chips.size} replica${c.chips.size === 1 ? '' : 's'} and leads ${leads} of them`);
    }
  }

  updateNetwork(brokers) {
    const m = this.model;
    // Cards never move. The cut is drawn in the gap between the two sides when they are
    // contiguous in id order (brokers 1 | 2 3), on the card before it (`cut-after`, app.css),
    // taking no room; otherwise the cards' "isolated" state tells who is cut off.
    const ids = brokers.map((b) => b.id);
    let boundary = -1;
    if (m.network) {
      const sides = ids.map((id) => m.sideOf(id));
      const changes = sides.filter((s, i) => i > 0 && s !== sides[i - 1]).length;
      if (changes === 1 && !sides.includes(null)) boundary = sides.findIndex((s, i) => i > 0 && s !== sides[i - 1]) - 1;
    }
    ids.forEach((id, i) => setClass(this.cards.get(id).card, 'cut-after', i === boundary));
  }
}

export function comparePartitions(a, b) {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}
