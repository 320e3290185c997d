// One Streams application's processor topology as a graph (streams.js `topologyOf`: the wire's
// StreamsAppView with each node's expressions): sub-topologies side by side, each a column of
// its nodes in Kafka's write order (which is topological: a node is written after its parents). Sources are drawn as the topic pills they
// read, processors as boxes with a short name (the full Kafka name in the title) and the
// expression they run, sinks as the topic they write; a processor's state stores sit beside it as
// cylinders with their changelog topic. Edges are drawn in an SVG layer measured from the boxes,
// including the link from a sink to the source of another sub-topology that reads the same
// (repartition) topic.
//
// Records move only along paths the engine reported: a processed sample names the task (so the
// sub-topology), the input topic (so the source node) and the sink nodes that wrote outputs; a dot
// runs source → … → sink only when exactly one path joins them. A record whose outputs are not
// known (held in the record cache, filtered, aggregated into a store) pulses at its source only.

import { el, svgEl, setAttr } from '../text.js';
import { entity } from '../entities.js';
import { keyColor } from '../colors.js';

/** Dots animating at once per graph: beyond this, samples are skipped (the engine's sample is a sample already). */
const MAX_DOTS = 12;
/** How long a dot takes per edge, in ms of wall time. */
const EDGE_MS = 420;

/** `KSTREAM-FLATMAPVALUES-0000000001` → `FLATMAPVALUES`; a name the user gave stays as it is. */
export function shortName(name) {
  const m = /^(?:KSTREAM|KTABLE)-(.+)-\d{10}$/.exec(name);
  return m ? m[1] : name;
}

export class StreamsGraph {
  /**
   * @param {string} app the application.id
   * @param {object} topology wire StreamsTopology
   * @param {{reducedMotion: () => boolean}} opts
   */
  constructor(app, topology, { reducedMotion }) {
    this.app = app;
    this.topology = topology;
    this.reducedMotion = reducedMotion;
    /** node name → {box, sub} */
    this.nodes = new Map();
    this.dots = 0;
    this.edges = svgEl('svg', { class: 'streams-edges', attrs: { 'aria-hidden': 'true' } });
    this.columns = el('div', { class: 'streams-subtopologies' });
    this.root = el('div', { class: 'streams-graph' }, this.edges, this.columns);
    const storeSpecs = new Map((topology.stores || []).map((s) => [s.name, s]));
    for (const sub of topology.subtopologies) {
      const list = el('ol', { class: 'streams-nodes' });
      this.columns.append(el('section', { class: 'streams-sub', dataset: { sub: String(sub.id) } },
        el('h4', { class: 'streams-sub-title', text: `Sub-topology ${sub.id}` }), list));
      for (const n of sub.nodes) {
        const box = this.makeNode(n);
        const row = el('li', { class: 'streams-row' }, box);
        for (const s of n.stores) row.append(this.makeStore(storeSpecs.get(s) || { name: s, changelog: null }));
        list.append(row);
        this.nodes.set(n.name, { box, sub: sub.id, node: n });
      }
    }
    this.internal = new Set((topology.internal_topics || []).map((t) => t.name));
  }

  makeNode(n) {
    const name = entity.processor(this.app, n.name);
    if (n.kind === 'source' || n.kind === 'sink') {
      const pills = n.topics.map((t) => el('span', {
        class: `topic-pill${this.isRepartition(t) ? ' repartition' : ''}`, text: t, title: t,
      }));
      const arrow = el('span', { class: 'streams-kind', text: n.kind === 'source' ? 'source' : 'sink →' });
      return el('div', {
        class: `streams-node streams-${n.kind}`, title: n.name,
        dataset: { entity: name, node: n.name },
      }, arrow, ...pills);
    }
    const exprs = n.exprs.map((e) => el('code', { class: 'streams-expr', text: e, title: e }));
    return el('div', { class: 'streams-node streams-processor', title: n.name, dataset: { entity: name, node: n.name } },
      el('span', { class: 'streams-short', text: shortName(n.name) }), ...exprs);
  }

  makeStore(spec) {
    const title = spec.changelog ? `state store ${spec.name}, logged to ${spec.changelog}` : `state store ${spec.name}`;
    return el('div', { class: 'streams-store-node', title, dataset: { entity: entity.store(this.app, spec.name) } },
      el('span', { class: 'cylinder', attrs: { 'aria-hidden': 'true' } }),
      el('span', { class: 'store-name', text: spec.name }),
      spec.changelog ? el('span', { class: 'topic-pill changelog', text: spec.changelog, title: spec.changelog }) : null);
  }

  isRepartition(topic) {
    return (this.topology.internal_topics || []).some((t) => t.name === topic && t.kind === 'repartition');
  }

  /** The edges: parent → child inside each sub-topology, and sink → source through a shared topic. */
  edgePairs() {
    const pairs = [];
    for (const { node } of this.nodes.values()) {
      for (const s of node.successors) if (this.nodes.has(s)) pairs.push([node.name, s, false]);
    }
    for (const a of this.nodes.values()) {
      if (a.node.kind !== 'sink') continue;
      for (const b of this.nodes.values()) {
        if (b.node.kind === 'source' && b.node.topics.includes(a.node.topics[0])) pairs.push([a.node.name, b.node.name, true]);
      }
    }
    return pairs;
  }

  /** Redraw the edges from the boxes' places (after layout: called from the view's render). */
  layout() {
    const origin = this.root.getBoundingClientRect();
    if (!origin.width) return;
    setAttr(this.edges, 'viewBox', `0 0 ${origin.width} ${origin.height}`);
    setAttr(this.edges, 'width', origin.width);
    setAttr(this.edges, 'height', origin.height);
    const paths = [];
    this.anchors = new Map();
    for (const [name, { box }] of this.nodes) {
      const r = box.getBoundingClientRect();
      this.anchors.set(name, {
        x: r.left - origin.left + r.width / 2,
        top: r.top - origin.top,
        bottom: r.bottom - origin.top,
        right: r.right - origin.left,
        left: r.left - origin.left,
      });
    }
    for (const [from, to, through] of this.edgePairs()) {
      const a = this.anchors.get(from);
      const b = this.anchors.get(to);
      if (!a || !b) continue;
      let d;
      if (through) {
        // Sink of one sub-topology to the source of the next: out of the sink's side, into the source's.
        const x1 = a.right;
        const y1 = (a.top + a.bottom) / 2;
        const x2 = b.left;
        const y2 = (b.top + b.bottom) / 2;
        const mx = (x1 + x2) / 2;
        d = `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
      } else {
        d = `M${a.x},${a.bottom} L${b.x},${b.top}`;
      }
      paths.push(svgEl('path', { d, class: through ? 'edge repartition' : 'edge', 'marker-end': 'url(#streams-arrow)' }));
    }
    const defs = svgEl('defs', {}, svgEl('marker', {
      id: 'streams-arrow', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse',
    }, svgEl('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' })));
    this.edges.replaceChildren(defs, ...paths);
  }

  /**
   * The path a sample took: the source of its task's sub-topology reading its topic, then every
   * node to the sink that wrote an output, when exactly one path leads there. [] when unknown.
   */
  pathOf(rec) {
    const sub = Number(String(rec.task).split('_')[0]);
    const source = [...this.nodes.values()].find((n) => n.sub === sub && n.node.kind === 'source' && n.node.topics.includes(rec.topic));
    if (!source) return { source: null, paths: [] };
    const paths = [];
    for (const out of rec.sample?.outputs || []) {
      const found = [];
      const walk = (name, trail) => {
        if (found.length > 1) return;
        if (name === out.node) { found.push(trail); return; }
        for (const s of this.nodes.get(name)?.node.successors || []) walk(s, trail.concat(s));
      };
      walk(source.node.name, [source.node.name]);
      if (found.length === 1) paths.push({ nodes: found[0], out });
    }
    return { source: source.node.name, paths };
  }

  /** Animate one processed sample (wire `streams_processed`). */
  animate(rec) {
    if (this.reducedMotion() || this.dots >= MAX_DOTS || !this.anchors) return;
    const { source, paths } = this.pathOf(rec);
    if (!source) return;
    const key = rec.sample?.key ?? null;
    const title = `${rec.topic}/${rec.partition}@${rec.sample?.offset ?? rec.from_offset}: ${key ?? 'null'} → ${rec.sample?.value ?? 'null'}`;
    if (!paths.length) {
      // Outputs unknown: the record is shown arriving at its source, nowhere else.
      this.run([source], key, title);
      return;
    }
    // The same input leaves once per output (flatMapValues: one per word): draw the first few.
    for (const p of paths.slice(0, 3)) {
      this.run(p.nodes, p.out.key ?? key, `${title}; out to ${p.out.topic}: ${p.out.key ?? 'null'} → ${p.out.value ?? 'null'}`);
    }
  }

  run(nodes, key, title) {
    const points = nodes.map((n) => this.anchors.get(n)).filter(Boolean);
    if (!points.length) return;
    const dot = el('span', { class: 'streams-dot', title });
    dot.style.background = keyColor(key);
    this.root.append(dot);
    this.dots++;
    const frames = [];
    for (const p of points) {
      frames.push({ transform: `translate(${p.x}px, ${p.top}px)` });
      frames.push({ transform: `translate(${p.x}px, ${p.bottom}px)` });
    }
    frames[0].opacity = 0;
    frames[1].opacity = 1;
    const anim = dot.animate(frames, { duration: EDGE_MS * points.length, easing: 'linear' });
    const done = () => { dot.remove(); this.dots--; };
    anim.onfinish = done;
    anim.oncancel = done;
  }

  /** The entity names of every node, for tests and focus. */
  nodeNames() {
    return [...this.nodes.keys()];
  }
}

