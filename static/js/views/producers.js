// Producers: one card per producer with its topic, acks, rate, running/paused/stopped, its
// accumulator (buffered) and in-flight request counts, and what its callbacks saw: records
// acknowledged, failed and retried. The producers a Kafka Streams runtime makes for itself are
// drawn as their application's, one card per application (streams-producers.js); a Connect
// source task's producer is drawn by the task's chip (connect-tasks.js).

import { el, setHidden, setText, setClass, setAttr, formatRate, formatCount, waitingForBrokers } from '../text.js';
import { entity } from '../entities.js';
import { streamsOwners, StreamsProducersCard } from './streams-producers.js';
import { taskProducerId } from './connect-model.js';

/**
 * The word on a producer's card. `producer pause` can be undone (`resume`), `producer stop` cannot
 * (the snapshot's `stopped`); a real Kafka client is connected or not. A server from before
 * `stopped` existed leaves it undefined: such a producer reads as paused.
 */
export function producerState(p) {
  if (p.real_client) return p.running ? 'connected' : 'disconnected';
  if (p.running) return 'running';
  return p.stopped ? 'stopped' : 'paused';
}

export class ProducersView {
  constructor(root, model) {
    this.root = root;
    this.model = model;
    /** name → card parts */
    this.cards = new Map();
    /** Streams application → its producers' card */
    this.streamsCards = new Map();
    this.empty = el('p', { class: 'empty-note', text: 'No producers. Add one with +.' });
    this.root.append(this.empty);
  }

  render(change) {
    if (!(change.snapshot || change.producers || change.streams || change.connect)) return;
    const m = this.model;
    const ownerOf = streamsOwners(m.streams.values());
    // Engine-made producer names end after a NUL that keeps them apart from any name a user can
    // type (`connector-producer-NAME-ID` NUL topic NUL incarnation, a Connect cluster's
    // `connect-cluster-TOPIC` NUL index): the part before it is the name.
    const shown = (p) => p.name.split('\u0000')[0];
    const connectTask = new Set([...m.connectTasks.values()].map(taskProducerId));
    const ofConnect = (p) => connectTask.has(shown(p));
    setHidden(this.empty, [...m.producers.values()].some((p) => !ofConnect(p)));
    /** Streams application → [{p, owner}] */
    const byApp = new Map();
    // Only a snapshot can drop producers (another scenario loaded, or a rewind).
    if (change.snapshot) {
      for (const [name, c] of this.cards) if (!m.producers.has(name)) { c.card.remove(); this.cards.delete(name); }
    }
    for (const p of m.producers.values()) {
      if (ofConnect(p)) {
        const c = this.cards.get(p.name);
        if (c) { c.card.remove(); this.cards.delete(p.name); }
        continue;
      }
      const owner = ownerOf(p.name);
      if (owner) {
        if (!byApp.has(owner.app.name)) byApp.set(owner.app.name, []);
        byApp.get(owner.app.name).push({ p, owner });
        continue;
      }
      let c = this.cards.get(p.name);
      // A real client's card is named by its client.id (the engine's name is internal).
      const label = p.real_client ?? shown(p);
      if (!c) { c = this.makeCard(p.name, label); this.cards.set(p.name, c); this.root.append(c.card); }
      setText(c.topic, p.topic);
      setText(c.acks, `acks=${p.acks}`);
      // A real Kafka client (kcat, kafka-python, …) sends when its program does: it has no
      // rate, and it is connected or not rather than running or paused.
      const rate = p.rate_per_s !== null && p.rate_per_s !== undefined ? formatRate(p.rate_per_s) : 'manual';
      setText(c.rate, p.real_client ? 'real client' : rate);
      setClass(c.rate, 'real-client', !!p.real_client);
      const state = producerState(p);
      setText(c.state, state);
      // Paused (amber, dashed: it resumes) and stopped (grey, solid: closed for good, as Kafka's
      // producer.close()) do not look alike; the menu offers Resume only for a paused one
      // (actions.js). A stopped producer sends nothing any more: no rate, only what it did.
      setClass(c.card, 'paused', state === 'paused' || state === 'disconnected');
      setClass(c.card, 'stopped', state === 'stopped');
      setHidden(c.rate, state === 'stopped');
      setText(c.buffered, formatCount(p.buffered));
      setText(c.inFlight, formatCount(p.in_flight));
      setText(c.acked, formatCount(p.acked ?? 0));
      setText(c.failed, formatCount(p.failed ?? 0));
      setText(c.retried, formatCount(p.retried ?? 0));
      setClass(c.failed, 'alert-text', (p.failed ?? 0) > 0);
      // Its connection to a leader broke (the broker died, or a request timed out): the
      // batches for that leader's partitions wait in the accumulator while it reconnects.
      setText(c.waiting, waitingForBrokers(p.waiting_for));
      setAttr(c.card, 'aria-label', `Producer ${label}${p.real_client ? ' (a real Kafka client)' : ''}, ${producerState(p)}`);
    }
    for (const [app, c] of this.streamsCards) if (!byApp.has(app)) { c.card.remove(); this.streamsCards.delete(app); }
    for (const [app, mine] of byApp) {
      let c = this.streamsCards.get(app);
      if (!c) { c = new StreamsProducersCard(app); this.streamsCards.set(app, c); this.root.append(c.card); }
      c.render(mine);
    }
  }

  makeCard(name, label = name) {
    const topic = el('b');
    const acks = el('span', { class: 'tag' });
    const rate = el('span', { class: 'tag rate' });
    const state = el('span', { class: 'status-pill' });
    const buffered = el('b');
    const inFlight = el('b');
    const acked = el('b');
    const failed = el('b');
    const retried = el('b');
    const waiting = el('div', {
      class: 'client-waiting',
      title: 'Its connection to this leader broke: the batches for its partitions wait in the accumulator, neither sent nor retried. It tries to connect again after 50 ms, doubling up to 1 s (reconnect.backoff.ms), until the broker accepts or the metadata names another leader.',
    });
    const card = el('div', {
      class: 'producer card',
      dataset: { producer: name, click: 'producer', entity: entity.producer(name) },
      attrs: { tabindex: '0', role: 'button' },
    },
      // The name in its own left-to-right isolate: a folded card may cut it at its start
      // (focus.css), and the name's own punctuation must stay where it was typed.
      el('div', { class: 'card-head' }, el('span', { class: 'entity-name', title: label }, el('bdi', { text: label })), state),
      el('div', { class: 'producer-topic' }, '→ ', topic),
      el('div', { class: 'tags' }, acks, rate),
      el('div', { class: 'counts' },
        el('span', { title: 'Records waiting in the accumulator' }, 'buffered ', buffered),
        el('span', { title: 'Produce requests sent, not yet answered' }, 'in flight ', inFlight)),
      el('div', { class: 'counts' },
        el('span', { title: 'Records acknowledged to the application (acks=0: sent)' }, 'acked ', acked),
        el('span', { title: 'Records that failed to the application (delivery timeout, or an error that is not retried)' }, 'failed ', failed),
        el('span', { title: 'Records sent again after a retriable error (idempotence writes them once)' }, 'retried ', retried)),
      waiting);
    return { card, topic, acks, rate, state, buffered, inFlight, acked, failed, retried, waiting };
  }
}
