// The producers a Kafka Streams runtime makes for itself, drawn as their application's: one card
// per application in the producers column, one line per producer under the instance and thread
// that own it. The engine gives each stream thread one producer per topic it writes (sinks,
// repartition topics, changelogs; engine/src/streams/runtime/thread.rs, `thread_producer`),
// named `APP-N-StreamThread-M-producer` NUL topic; Kafka's thread has one producer for all of
// them, client id `…-StreamThread-M-producer`. They are engine producers like the others (their
// counts are the engine's), but not the user's: they cannot be paused from a menu, and as
// separate cards their names (the thread's, cut off) told nothing.

import { el, setText, formatCount } from '../text.js';
import { entity } from '../entities.js';
import { shortTopic } from './streams-graph.js';

/**
 * The Streams application, instance and thread a producer belongs to, from the applications'
 * threads (`APP-N-StreamThread-M` → its producer `APP-N-StreamThread-M-producer`), or null.
 */
export function streamsOwners(apps) {
  const owners = new Map();
  for (const app of apps) {
    for (const inst of app.instances || []) {
      for (const th of inst.threads || []) owners.set(`${th.name}-producer`, { app, instance: inst.name, thread: th.name });
    }
  }
  return (producerName) => owners.get(producerName.split('\u0000')[0]) ?? null;
}

export class StreamsProducersCard {
  constructor(appName) {
    this.app = appName;
    this.lines = el('div', { class: 'streams-producer-lines' });
    /** producer name → {line, acked, inFlight, failed} */
    this.rows = new Map();
    this.card = el('div', {
      class: 'producer card streams-producers',
      attrs: { 'aria-label': `Producers of the Streams application ${appName}` },
    },
    el('div', { class: 'card-head' }, el('span', { class: 'entity-name', text: appName, title: `application.id ${appName}` }), el('span', { class: 'tag', text: 'Streams' })),
    el('div', { class: 'muted streams-producers-note', text: 'its threads\u2019 producers, one per topic written' }),
    this.lines);
  }

  /** @param {Array<{p: object, owner: {app: object, instance: string, thread: string}}>} mine this app's producers, engine order */
  render(mine) {
    const internal = new Set((mine[0]?.owner.app.internal_topics || []).map((t) => t.name));
    const present = new Set(mine.map(({ p }) => p.name));
    for (const [name, r] of this.rows) if (!present.has(name)) { r.line.remove(); this.rows.delete(name); }
    mine.forEach(({ p, owner }, i) => {
      let r = this.rows.get(p.name);
      if (!r) {
        const acked = el('b');
        const inFlight = el('b');
        const thread = owner.thread.replace(/^.*-(StreamThread-\d+)$/, '$1');
        const line = el('div', {
          class: 'streams-producer', title: `${owner.thread}-producer → ${p.topic}`,
          dataset: { entity: entity.producer(p.name) },
        },
        el('span', { class: 'streams-producer-owner', text: `${owner.instance} ${thread}` }),
        el('span', { class: 'producer-topic', text: `→ ${shortTopic(this.app, p.topic, internal.has(p.topic))}` }),
        el('span', { class: 'counts' }, el('span', {}, 'acked ', acked), el('span', { title: 'Produce requests sent, not yet answered' }, 'in flight ', inFlight)));
        r = { line, acked, inFlight };
        this.rows.set(p.name, r);
      }
      setText(r.acked, formatCount(p.acked ?? 0));
      setText(r.inFlight, formatCount(p.in_flight));
      if (this.lines.children[i] !== r.line) this.lines.insertBefore(r.line, this.lines.children[i] || null);
    });
  }
}
