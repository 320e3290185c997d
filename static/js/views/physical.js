// Physical view: one card per broker, listing the replicas it holds as chips `orders/0`.
// Encodings (the same in every view): the leader replica wears the leader mark (★ badge, thick
// outline, class `leader`); an in-sync replica is solid, an out-of-sync one dashed; a dead broker is
// greyed with the word "down" (its chips fade, but not the ★ and outline of a leadership it still
// holds until the controller fences it: app.css, `.replica.offline`). Network cuts are drawn as what is cut: a dashed red line with ✂
// between two cards for each broker link that carries nothing (`data-cut="1-2"`), an "isolated"
// card for a broker no one reaches (with when the controller fences it), a "zombie" mark on
// the chips a broker still believes it leads, and the senders waiting on requests lost in a cut.
// Cards stay in broker id order whatever happens (a cut, a death): a class follows "broker 2" by
// where it is. In the overview (zoom.js) the chips are hidden and a card sums up its replicas.

import { el, svgEl, setText, setClass, setAttr, setHidden } from '../text.js';
import { entity } from '../entities.js';
import { describeWait, shortWait, waiter, seconds } from './network.js';

/** Above this many replicas on one broker, chips drop the topic name (see rebuildChips). */
const DENSE_AFTER = 6;

export class PhysicalView {
  constructor(root, model) {
    this.root = root;
    this.model = model;
    /** broker id → {card, status, tags, replicas, chips: Map(partition id → chip parts)} */
    this.cards = new Map();
    /** The cut links, drawn over the cards (pointer-events: none). */
    this.links = svgEl('svg', { class: 'net-links', attrs: { 'aria-hidden': 'true' } });
    this.root.append(this.links);
    this.linksKey = '';
    this.layoutKey = '';
    // Cards change size with the viewport: redraw the links where they are.
    if (typeof ResizeObserver !== 'undefined') new ResizeObserver(() => this.drawLinks(true)).observe(this.root);
  }

  render(change) {
    const m = this.model;
    const timers = this.model.cuts.isolated.length > 0 || this.model.cuts.waits.length > 0;
    if (!(change.snapshot || change.brokers || change.network || change.topics || change.partitions.size
      || (change.clock && timers))) return;
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
    this.updateNetwork();
  }

  makeCard(id) {
    const name = el('span', { class: 'broker-name' }, el('span', { class: 'broker-word', text: 'Broker ' }), el('b', { text: id }));
    const status = el('span', { class: 'status-pill' });
    const tags = el('div', { class: 'coord-tags' });
    const net = el('div', { class: 'net-note', hidden: '' });
    const replicas = el('div', { class: 'replicas' });
    const summary = el('div', { class: 'broker-summary' });
    const card = el('div', {
      class: 'broker card',
      dataset: { broker: String(id), click: 'broker', entity: entity.broker(id) },
      attrs: { tabindex: '0', role: 'button', 'aria-label': `Broker ${id}` },
    }, el('div', { class: 'broker-head' }, name, status), tags, summary, replicas, net);
    // Id order, fixed, whatever order cards were made in; the links come after the cards.
    card.style.order = String(id);
    this.root.insertBefore(card, this.links);
    return { card, status, tags, summary, net, replicas, chips: new Map() };
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
        const zombie = (p.zombie_leaders || []).includes(b);
        setClass(parts.chip, 'zombie', zombie);
        // How far a follower is behind the leader's log end, e.g. "−3".
        const leo = p.replica_leo ? p.replica_leo[i] : null;
        const behind = leo !== null && leo !== undefined && !leader ? p.log_end_offset - leo : 0;
        setText(parts.lag, behind > 0 ? `−${behind}` : '');
        const role = leader ? 'leader' : 'follower';
        const stale = zombie ? (leader ? ' — the controller cannot hear it: stale (zombie) leadership until it is fenced'
          : ' — still believes it leads (zombie): the controller elected another leader it has not heard of') : '';
        setAttr(parts.chip, 'title', `${id} on broker ${b}: ${role}, ${inIsr ? 'in sync (ISR)' : 'out of sync'}${leo !== null && leo !== undefined ? `, LEO ${leo}` : ''}${stale}`);
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

  /** Each card's network note, the clients' waits, and the cut links. */
  updateNetwork() {
    const m = this.model;
    const now = m.clock.now_us;
    for (const [id, c] of this.cards) {
      const lines = [];
      const iso = m.cuts.isolated.find((i) => i.broker === id);
      const b = m.brokers.get(id);
      if (iso && b && b.alive) {
        lines.push(iso.fenced_at_ms !== null && iso.fenced_at_ms !== undefined
          ? `the controller hears nothing: fences it in ${seconds(iso.fenced_at_ms * 1000 - now)}`
          : 'fenced by the controller; it still believes its old metadata');
      }
      // Its own lost requests, then the clients whose requests to it were lost (the full
      // sentences in the tooltip).
      const own = m.cuts.waits.filter((w) => w.sender_broker === id);
      const clients = m.cuts.waits.filter((w) => w.broker === id && (w.sender_broker === null || w.sender_broker === undefined));
      for (const w of own) lines.push(shortWait(w, now));
      if (clients.length) {
        // A producer has up to 5 requests in flight: "producer checkout ×5 (18 s)".
        const counts = new Map();
        for (const w of clients) { const t = waiter(w, now); counts.set(t, (counts.get(t) || 0) + 1); }
        const named = [...counts].map(([t, n]) => (n > 1 ? t.replace(' (', ` ×${n} (`) : t));
        lines.push(`clients waiting on lost requests: ${named.join(', ')}`);
      }
      const key = lines.join('\n');
      if (c.netKey !== key) {
        c.netKey = key;
        c.net.replaceChildren(...lines.map((t) => el('div', { text: t })));
        setAttr(c.net, 'title', [...own, ...clients].map((w) => describeWait(w, now)).join('\n'));
      }
      setHidden(c.net, lines.length === 0);
    }
    this.drawLinks(false);
  }

  /**
   * One dashed arc per cut link, from the top of one card to the top of the other through the
   * band kept free above the cards (wider spans arc higher, so 1–3 passes over 1–2), with ✂ at
   * its top.
   */
  drawLinks(force) {
    const links = this.model.cuts.links;
    const key = links.map(([a, b]) => `${a}-${b}`).join(' ');
    // Cards grow and shrink with their contents: while links are drawn, redraw them each time.
    if (!force && key === this.linksKey && links.length === 0) return;
    this.linksKey = key;
    const box = this.root.getBoundingClientRect();
    this.links.setAttribute('width', String(this.root.scrollWidth));
    this.links.setAttribute('height', String(this.root.scrollHeight));
    const shapes = [];
    links.forEach(([a, b], i) => {
      const ca = this.cards.get(a);
      const cb = this.cards.get(b);
      if (!ca || !cb) return;
      const ra = ca.card.getBoundingClientRect();
      const rb = cb.card.getBoundingClientRect();
      const dx = this.root.scrollLeft - box.left;
      const dy = this.root.scrollTop - box.top;
      const x1 = ra.left + ra.width / 2 + dx;
      const x2 = rb.left + rb.width / 2 + dx;
      const y1 = ra.top + dy + 1;
      const y2 = rb.top + dy + 1;
      // How many cards the link spans (1 for neighbours) sets how high it arcs.
      const span = Math.max(1, Math.round(Math.abs(x2 - x1) / Math.max(40, ra.width)));
      const peak = Math.max(2, Math.min(y1, y2) - 5 - 5 * Math.min(span, 3));
      const mid = (x1 + x2) / 2;
      shapes.push(svgEl('g', { class: 'cut-link', dataset: { cut: `${a}-${b}` } },
        svgEl('title', { text: `brokers ${a} and ${b} cannot reach each other` }),
        svgEl('path', { attrs: { d: `M ${x1} ${y1} C ${x1} ${peak} ${x2} ${peak} ${x2} ${y2}` } }),
        svgEl('text', { attrs: { x: mid + 6 * (i % 3), y: peak + 5 + 3 * (i % 2), 'text-anchor': 'middle' }, text: '✂' })));
    });
    this.links.replaceChildren(...shapes);
  }
}

export function comparePartitions(a, b) {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}
