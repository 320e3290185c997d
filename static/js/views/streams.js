// Kafka Streams applications: one card per application (`app:APP`) in a panel of the cluster
// column, shown only while an application exists. The cluster column is the widest: a topology
// with two sub-topologies side by side, its stores beside their processors, needs about 700 px,
// which the groups column (18rem) cannot give; the application's consumer group still has its own
// card in the groups column, as Kafka lists a Streams app among the groups.
//
// A card: the head (application.id, instances, the engine's counters), the topology graph
// (streams-graph.js), the instances with their threads and task chips (streams-tasks.js), and the
// stores as tables (streams-store.js), and the newest records of each topic it writes (its sinks,
// not the internal repartition topics: streams-records.js). When one topic is read as a KStream by
// one application and as a KTable by another (or the same), the table's card sets both side by side.

import { el, setText, setHidden, formatCount } from '../text.js';
import { entity } from '../entities.js';
import { StreamsGraph } from './streams-graph.js';
import { StreamsTasks } from './streams-tasks.js';
import { StoreTable, StreamVsTable } from './streams-store.js';
import { TopicTail } from './streams-records.js';
import { splitPartition } from '../model.js';

/** Records drawn of each topic an application writes (its sinks' topics), when they are short
 * (a word count's words fill two rows of columns); three when one is long. */
const OUTPUT_ROWS = 10;

/**
 * The graph's topology from the wire's app (engine StreamsAppView): each sub-topology's node
 * names resolved to the flat `nodes` list, in Kafka's write order, each with the expressions it
 * runs (`State.streams_exprs`; none known: none drawn).
 */
export function topologyOf(app, exprs) {
  const byName = new Map((app.nodes || []).map((n) => [n.name, { ...n, exprs: exprs?.nodes?.[n.name] || [] }]));
  return {
    subtopologies: (app.subtopologies || []).map((s) => ({ id: s.id, nodes: s.nodes.map((n) => byName.get(n)).filter(Boolean) })),
    stores: (app.stores || []).map((s) => ({ name: s.name, changelog: s.changelog })),
    internal_topics: app.internal_topics || [],
  };
}

/**
 * The instances with their threads and, on each thread, its tasks: the wire lists tasks flat
 * (each with its `instance` and `thread`), the view draws them where they run. A crashed
 * instance runs nothing, but its threads' consumers stay members of the group until their
 * session times out, holding the tasks the last assignment gave them: `held` names those tasks
 * (each assigned partition of a sub-topology's source topics is task `SUB_PARTITION`, as
 * Kafka's StreamsPartitionAssignor assigns them), from the group coordinator's own members.
 */
export function instancesOf(app, group = null) {
  const members = new Map((group?.members || []).map((m) => [m.member, m]));
  const taskOf = (tp) => {
    const [topic, partition] = splitPartition(tp);
    const sub = (app.subtopologies || []).find((s) => s.source_topics.includes(topic));
    return sub ? `${sub.id}_${partition}` : null;
  };
  return (app.instances || []).map((inst) => ({
    name: inst.name,
    state: inst.state,
    crashed: inst.crashed,
    threads: inst.threads.map((th) => {
      const member = inst.crashed ? members.get(th.consumer) : null;
      return {
        name: th.name,
        tasks: (app.tasks || []).filter((t) => t.instance === inst.name && t.thread === th.name),
        held: member ? [...new Set(member.assignment.map(taskOf).filter(Boolean))].sort() : null,
      };
    }),
  }));
}

export class StreamsView {
  /**
   * @param {{section: HTMLElement, body: HTMLElement}} panel from `stage.addPanel`
   * @param {{reducedMotion: () => boolean, connection: {send: (body: object) => Promise<object>}}} opts
   *   `connection`: a stream beside its table reads the topic's records (`inspect`)
   */
  constructor(panel, model, { reducedMotion, connection }) {
    this.panel = panel;
    this.root = panel.body;
    this.model = model;
    this.connection = connection;
    this.reducedMotion = reducedMotion;
    /** app name → card parts */
    this.cards = new Map();
    setHidden(panel.section, true);
  }

  render(change) {
    const m = this.model;
    if (change.snapshot || change.streams) {
      setHidden(this.panel.section, m.streams.size === 0);
      if (change.snapshot) {
        for (const [name, c] of this.cards) if (!m.streams.has(name)) { c.card.remove(); this.cards.delete(name); }
      }
      for (const app of m.streams.values()) {
        let c = this.cards.get(app.name);
        if (!c) { c = this.makeCard(app); this.cards.set(app.name, c); this.root.append(c.card); }
        this.updateCard(app, c);
      }
      this.pairStreamsAndTables();
    }
    if (change.snapshot || change.streams || change.focus) this.markFocused();
    // The edges follow the boxes: measure after every change that can move them (cheap: a few rects).
    for (const c of this.cards.values()) c.graph.layout();
    for (const rec of change.streamsRecords) {
      const c = this.cards.get(rec.app);
      if (!c) continue;
      c.graph.animate(rec);
    }
    if (change.snapshot || change.partitions.size) {
      for (const pair of this.pairs || []) pair.view.refresh();
      for (const c of this.cards.values()) for (const tail of c.outputs) tail.refresh();
    }
  }

  /**
   * Marks the cards that hold a target of the focus (`app:APP`, `store:APP/…`, `task:APP/…`)
   * with `data-holds-focus`: in presenter mode the others fold (streams.css). focus.js marks the
   * elements themselves, but only those drawn, so the fold cannot wait for its marks.
   */
  markFocused() {
    const apps = new Set();
    for (const target of this.model.focus) {
      const m = /^(app|store|task):([^/]+)/.exec(target);
      if (m) apps.add(m[2]);
    }
    for (const [name, c] of this.cards) {
      if (apps.has(name)) c.card.setAttribute('data-holds-focus', '');
      else c.card.removeAttribute('data-holds-focus');
    }
  }

  makeCard(app) {
    const topology = topologyOf(app, this.model.streamsExprs.get(app.name));
    const graph = new StreamsGraph(app.name, topology, { reducedMotion: this.reducedMotion });
    const tasks = new StreamsTasks(app.name, { reducedMotion: this.reducedMotion });
    const meta = el('span', { class: 'streams-meta' });
    const stores = el('div', { class: 'streams-stores' });
    // What the application writes, as records: the sinks' topics that are not its own internal ones.
    const internal = new Set(topology.internal_topics.map((t) => t.name));
    const written = [...new Set(topology.subtopologies.flatMap((s) => s.nodes)
      .filter((n) => n.kind === 'sink').flatMap((n) => n.topics))].filter((t) => !internal.has(t));
    const outputs = written.map((t) => new TopicTail(t, OUTPUT_ROWS, this.model, this.connection));
    const outputsBox = el('div', { class: 'streams-outputs' }, ...outputs.map((tail) => el('section', {},
      el('h4', {}, el('span', { class: 'streams-kind', text: 'wrote to' }), ' ', el('span', { class: 'topic-pill', text: tail.topic }), ' ', tail.count),
      tail.list)));
    const describe = el('details', { class: 'streams-describe' },
      el('summary', { text: 'Topology.describe()' }), el('pre', { text: app.description }));
    // The graph on the left, the card's head and what runs it (instances, tasks) and what it
    // holds (stores) on the right, so the graph starts at the card's top; stacked when the card
    // is narrow (streams.css, a container query on the card).
    const card = el('article', { class: 'streams-app card', dataset: { entity: entity.app(app.name) } },
      el('div', { class: 'streams-inner' },
        el('div', { class: 'card-head' }, el('span', { class: 'entity-name', text: app.name, title: `application.id ${app.name}` }), meta),
        // Under the graph, what its sinks wrote: the graph leaves room below its last layer.
        el('div', { class: 'streams-main' }, graph.root, outputsBox),
        el('div', { class: 'streams-side' }, tasks.root, stores, describe)));
    const specs = new Map(topology.stores.map((s) => [s.name, s]));
    for (const tail of outputs) tail.refresh();
    return { card, graph, tasks, meta, stores, specs, tables: new Map(), outputs };
  }

  updateCard(app, c) {
    const counters = app.counters || {};
    setText(c.meta, `${app.instances.length} instance${app.instances.length === 1 ? '' : 's'} · processed ${formatCount(counters.processed ?? 0)}`
      + (counters.dropped_late ? ` · dropped late ${formatCount(counters.dropped_late)}` : '')
      + (counters.reprocessed ? ` · reprocessed ${formatCount(counters.reprocessed)}`
        // Of the re-processing, what counted twice (engine `AppCounters::counted_twice`).
        + (counters.counted_twice ? ` · counted twice ${formatCount(counters.counted_twice)}` : '') : ''));
    c.tasks.render(instancesOf(app, this.model.groups.get(app.group)));
    for (const s of app.stores || []) {
      let t = c.tables.get(s.name);
      if (!t) {
        t = new StoreTable(app.name, s.name, c.specs.get(s.name)?.changelog ?? null, s.kind);
        c.tables.set(s.name, t);
        c.stores.append(t.root);
      }
      t.render(s.newest, s.size, counters.restored?.[s.name] ?? 0, s.stream_time_us);
    }
  }

  /**
   * Topics read as a KStream and as a KTable: a source whose successor is a `KTABLE-SOURCE` with a
   * store is a table read (`builder.table`); any other source is a stream read.
   */
  pairStreamsAndTables() {
    const streams = [];
    const tables = [];
    for (const app of this.model.streams.values()) {
      const nodes = new Map((app.nodes || []).map((n) => [n.name, n]));
      for (const n of nodes.values()) {
        if (n.kind !== 'source') continue;
        const tableNode = n.successors.map((s) => nodes.get(s)).find((s) => s && /^KTABLE-SOURCE-/.test(s.name) && s.stores.length);
        for (const topic of n.topics) {
          if (tableNode) tables.push({ app: app.name, topic, store: tableNode.stores[0] });
          else streams.push({ app: app.name, topic });
        }
      }
    }
    // A pair whose table's card went (another scenario loaded) goes with it.
    this.pairs = (this.pairs || []).filter((p) => p.table.root.isConnected);
    for (const t of tables) {
      const s = streams.find((x) => x.topic === t.topic);
      const c = this.cards.get(t.app);
      const table = c?.tables.get(t.store);
      if (!s || !table || this.pairs.some((p) => p.table === table)) continue;
      const view = new StreamVsTable(t.topic, s.app, table, this.model, this.connection);
      c.stores.append(view.root);
      this.pairs.push({ topic: t.topic, streamApp: s.app, table, view });
      view.refresh();
    }
  }
}
