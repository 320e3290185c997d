// One Streams application's processor topology as a graph (streams.js `topologyOf`: the wire's
// StreamsAppView with each node's expressions): sub-topologies side by side (stacked when the
// card is too narrow), each drawn in layers: a node sits one row below its lowest parent, so a
// chain reads top to bottom and the two inputs of a join sit side by side on one row. Sources are
// drawn as the topic pills they read, processors as boxes with a short name (the full Kafka name
// in the title) and the expression they run on the same line, sinks as the topic they write; a
// processor's state store sits beside it as a cylinder (drawn once: a second processor that
// reads it, a join's value getter, is linked to it by a dotted line). Edges are drawn in an SVG
// layer measured from the boxes, including the link from a sink to the source of another
// sub-topology that reads the same (repartition) topic.
//
// What repeats is collapsed, its full text in the title: Kafka's 10-digit node and store indexes
// (`KSTREAM-FLATMAPVALUES-0000000001` → FLATMAPVALUES), and the application.id that prefixes
// every internal topic (`word-count-counts-repartition` → `…-counts-repartition`: the card is
// the application's). A store's changelog is a pill `changelog` (its name in the title and in
// the store's table).
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

/**
 * `KSTREAM-FLATMAPVALUES-0000000001` → `FLATMAPVALUES`; a split's branch
 * `KSTREAM-BRANCH-0000000001mobile` → `BRANCH mobile`; `KTABLE-SOURCE-…` stays `KTABLE-SOURCE`
 * (a plain SOURCE would read as a source node); a name the user gave stays as it is.
 */
export function shortName(name) {
  const m = /^(KSTREAM|KTABLE)-(.+?)-\d{10}(.*)$/.exec(name);
  if (!m) return name;
  const op = m[2] === 'SOURCE' || m[2] === 'SINK' ? `${m[1]}-${m[2]}` : m[2];
  return m[3] ? `${op} ${m[3]}` : op;
}

/** A store Kafka named (`KTABLE-SUPPRESS-STATE-STORE-0000000003`) without its index; a name the user gave as it is. */
export function shortStore(name) {
  const m = /^(?:KSTREAM|KTABLE)-(.+)-\d{10}$/.exec(name);
  return m ? m[1] : name;
}

/** An internal topic without the application.id every one of them starts with. */
export function shortTopic(app, topic, internal) {
  return internal && topic.startsWith(`${app}-`) ? `…-${topic.slice(app.length + 1)}` : topic;
}

/** Each node's row in its sub-topology: 0 for a node without a parent there, else one below its lowest parent. */
export function layers(nodes) {
  const names = new Set(nodes.map((n) => n.name));
  const parents = new Map(nodes.map((n) => [n.name, []]));
  for (const n of nodes) for (const s of n.successors) if (names.has(s)) parents.get(s).push(n.name);
  const depth = new Map();
  // Kafka's write order is topological (a node is added after its parents), so one pass does.
  for (const n of nodes) depth.set(n.name, Math.max(-1, ...parents.get(n.name).map((p) => depth.get(p) ?? -1)) + 1);
  const rows = [];
  for (const n of nodes) (rows[depth.get(n.name)] ||= []).push(n);
  return rows.filter(Boolean);
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
    this.internal = new Map((topology.internal_topics || []).map((t) => [t.name, t.kind]));
    /** node name → {box, sub, node} */
    this.nodes = new Map();
    /** store name → {box} (the first node that has it draws it) */
    this.stores = new Map();
    /** [node, store] pairs linked by a dotted line (a second processor connected to a store) */
    this.storeLinks = [];
    this.dots = 0;
    this.edges = svgEl('svg', { class: 'streams-edges', attrs: { 'aria-hidden': 'true' } });
    this.columns = el('div', { class: 'streams-subtopologies' });
    this.root = el('div', { class: 'streams-graph' }, this.edges, this.columns);
    const storeSpecs = new Map((topology.stores || []).map((s) => [s.name, s]));
    for (const sub of topology.subtopologies) {
      const list = el('ol', { class: 'streams-nodes' });
      this.columns.append(el('section', { class: 'streams-sub', dataset: { sub: String(sub.id) } },
        el('h4', { class: 'streams-sub-title', text: `Sub-topology ${sub.id}` }), list));
      for (const row of layers(sub.nodes)) {
        const line = el('li', { class: 'streams-layer' });
        for (const n of row) {
          const box = this.makeNode(n);
          const unit = el('div', { class: 'streams-unit' }, box);
          for (const s of n.stores) {
            if (this.stores.has(s)) this.storeLinks.push([n.name, s]);
            else unit.append(this.makeStore(storeSpecs.get(s) || { name: s, changelog: null }));
          }
          line.append(unit);
          this.nodes.set(n.name, { box, sub: sub.id, node: n });
        }
        list.append(line);
      }
    }
  }

  pill(topic) {
    const kind = this.internal.get(topic);
    return el('span', {
      class: `topic-pill${kind === 'repartition' ? ' repartition' : ''}`, text: shortTopic(this.app, topic, Boolean(kind)), title: topic,
    });
  }

  makeNode(n) {
    const name = entity.processor(this.app, n.name);
    if (n.kind === 'source' || n.kind === 'sink') {
      const arrow = el('span', { class: 'streams-kind', text: n.kind === 'source' ? 'source' : 'sink →' });
      return el('div', {
        class: `streams-node streams-${n.kind}`, title: `${n.name} (${n.kind}): ${n.topics.join(', ')}`,
        dataset: { entity: name, node: n.name },
      }, arrow, ...n.topics.map((t) => this.pill(t)));
    }
    const exprs = n.exprs.map((e) => el('code', { class: 'streams-expr', text: e, title: e }));
    // Several expressions (a split's predicates, one per branch) each on a line of their own.
    return el('div', { class: `streams-node streams-processor${exprs.length > 1 ? ' several' : ''}`, title: n.name, dataset: { entity: name, node: n.name } },
      el('span', { class: 'streams-short', text: shortName(n.name) }), ...exprs);
  }

  makeStore(spec) {
    // What was restored into it is said by its table (streams-store.js), where there is room.
    const title = spec.changelog ? `state store ${spec.name}, logged to ${spec.changelog}` : `state store ${spec.name}`;
    const box = el('div', { class: 'streams-store-node', title, dataset: { entity: entity.store(this.app, spec.name) } },
      el('span', { class: 'cylinder', attrs: { 'aria-hidden': 'true' } }),
      el('span', { class: 'store-name', text: shortStore(spec.name) }),
      spec.changelog ? el('span', { class: 'topic-pill changelog', text: 'changelog', title: spec.changelog }) : null);
    this.stores.set(spec.name, { box });
    return box;
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
    const place = (box) => {
      const r = box.getBoundingClientRect();
      return {
        x: r.left - origin.left + r.width / 2,
        y: r.top - origin.top + r.height / 2,
        top: r.top - origin.top,
        bottom: r.bottom - origin.top,
        right: r.right - origin.left,
        left: r.left - origin.left,
      };
    };
    this.anchors = new Map();
    for (const [name, { box }] of this.nodes) this.anchors.set(name, place(box));
    for (const [from, to, through] of this.edgePairs()) {
      const a = this.anchors.get(from);
      const b = this.anchors.get(to);
      if (!a || !b) continue;
      let d;
      if (through && b.left > a.right) {
        // Sink of one sub-topology to the source of the next, beside it: side to side.
        const mx = (a.right + b.left) / 2;
        d = `M${a.right},${a.y} C${mx},${a.y} ${mx},${b.y} ${b.left},${b.y}`;
      } else if (through) {
        // The next sub-topology below (a narrow card): out of the sink's right, into the source's.
        const x = Math.max(a.right, b.right) + 24;
        d = `M${a.right},${a.y} C${x},${a.y} ${x},${b.y} ${b.right},${b.y}`;
      } else {
        d = `M${a.x},${a.bottom} L${b.x},${b.top}`;
      }
      paths.push(svgEl('path', { d, class: through ? 'edge repartition' : 'edge', 'marker-end': 'url(#streams-arrow)' }));
    }
    for (const [node, store] of this.storeLinks) {
      const a = this.anchors.get(node);
      const s = this.stores.get(store);
      if (!a || !s) continue;
      const b = place(s.box);
      const d = b.x < a.x ? `M${a.left},${a.y} L${b.right},${b.y}` : `M${a.right},${a.y} L${b.left},${b.y}`;
      paths.push(svgEl('path', { d, class: 'edge store-link' }));
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

