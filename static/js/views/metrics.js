// The metrics panel: Kafka's metrics of the room under Kafka's own names, one sample per simulated
// second (engine/src/metrics.rs), and two charts over the last two minutes — throughput
// (MessagesInPerSec, records-consumed-rate) and lag (records-lag-max) — with a cursor at the
// room's clock. Dragging the timeline moves the cursor to the instant it would go to; a `seek`
// brings a snapshot whose history ends there, and the charts are redrawn from it.
//
// Mountable: `new MetricsView(root, model)` builds everything inside `root`, so the panel can be
// shown in a drawer, a tab or twice on one page. Every value carries `data-entity="metric:NAME"`
// (with its tag, `metric:UnderReplicatedPartitions broker=2`), the key an `expect metric` line uses.

import { el, svgEl, setText, setAttr, setHidden, setClass, formatTime } from '../text.js';

/** The charts' window: the engine keeps this many seconds (`HISTORY_SECONDS`). */
const WINDOW_US = 120e6;
const W = 360;
const H = 96;

/** Cluster-wide rows, in the order Kafka's docs list them; the second column is the MBean. */
const CLUSTER = [
  ['UnderReplicatedPartitions', 'ReplicaManager'],
  ['UnderMinIsrPartitionCount', 'ReplicaManager'],
  ['OfflinePartitionsCount', 'KafkaController'],
  ['ActiveControllerCount', 'KafkaController'],
  ['IsrShrinksPerSec', 'ReplicaManager'],
  ['IsrExpandsPerSec', 'ReplicaManager'],
  ['LeaderElectionRateAndTimeMs', 'ControllerStats'],
  ['UncleanLeaderElectionsPerSec', 'ControllerStats'],
  ['MessagesInPerSec', 'BrokerTopicMetrics'],
  ['BytesInPerSec', 'BrokerTopicMetrics'],
  ['FailedProduceRequestsPerSec', 'BrokerTopicMetrics'],
];
/** Per-broker columns (MBeans of each broker). */
const BROKER = ['UnderReplicatedPartitions', 'UnderMinIsrPartitionCount', 'IsrShrinksPerSec', 'IsrExpandsPerSec', 'MessagesInPerSec', 'FailedProduceRequestsPerSec'];
/** Per-client columns (`client-id` tag). */
const PRODUCER = ['record-send-rate', 'record-error-rate', 'record-retry-rate', 'request-latency-avg'];
const CONSUMER = ['records-consumed-rate', 'records-lag-max', 'rebalance-total', 'rebalance-latency-avg'];

/** A value as the panel prints it: `–` when the metric has none (no responses, no positions). */
function show(v) {
  if (v === undefined || v === null) return '–';
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** A round upper bound for a chart's y axis (1, 2, 5 × 10^k). */
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export class MetricsView {
  constructor(root, model) {
    this.root = root;
    this.model = model;
    /** The timeline's drag target (µs) while the user holds its thumb, else null. */
    this.preview = null;
    this.build();
    const timeline = document.getElementById('timeline');
    if (timeline) {
      timeline.addEventListener('input', () => { this.preview = Number(timeline.value); this.drawCursors(); });
      const done = () => { this.preview = null; this.drawCursors(); };
      timeline.addEventListener('change', done);
      timeline.addEventListener('blur', done);
    }
  }

  build() {
    const note = el('p', { class: 'metrics-note', text: 'Sampled every simulated second: gauges at the second, rates count the second that ended. Names as Kafka reports them.' });
    this.charts = [
      this.makeChart('Throughput', [
        { key: 1, name: 'MessagesInPerSec', cls: 'in' },
        { key: 2, name: 'records-consumed-rate', cls: 'out' },
      ]),
      this.makeChart('Lag', [{ key: 3, name: 'records-lag-max', cls: 'lag' }]),
    ];
    this.cluster = el('dl', { class: 'metrics-facts' });
    this.clusterRows = new Map();
    for (const [name, mbean] of CLUSTER) {
      const value = el('dd', { class: 'metric-value', dataset: { entity: `metric:${name}` }, text: '–' });
      this.cluster.append(el('dt', { title: `kafka.*:type=${mbean},name=${name}` }, name), value);
      this.clusterRows.set(name, value);
    }
    this.brokers = this.makeTable('broker', BROKER);
    this.producers = this.makeTable('producer', PRODUCER);
    this.consumers = this.makeTable('consumer', CONSUMER);
    this.empty = el('p', { class: 'empty-note', text: 'No sample yet: the first is taken at 1 s of simulated time.' });
    this.root.append(
      note, this.empty,
      el('div', { class: 'metrics-charts' }, ...this.charts.map((c) => c.box)),
      el('h3', { text: 'Cluster' }), this.cluster,
      el('h3', { text: 'Brokers' }), this.brokers.table,
      el('h3', { text: 'Producers' }), this.producers.table,
      el('h3', { text: 'Consumers' }), this.consumers.table,
    );
  }

  makeChart(title, lines) {
    const svg = svgEl('svg', { class: 'metrics-chart', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': `${title} over the last two minutes` });
    const polylines = lines.map((l) => {
      const p = svgEl('polyline', { class: `series ${l.cls}`, dataset: { entity: `metric:${l.name}` }, 'vector-effect': 'non-scaling-stroke', points: '' });
      svg.append(p);
      return p;
    });
    const cursor = svgEl('line', { class: 'cursor', x1: 0, x2: 0, y1: 0, y2: H, 'vector-effect': 'non-scaling-stroke' });
    svg.append(cursor);
    const legend = el('div', { class: 'chart-legend' },
      el('span', { class: 'chart-title', text: title }),
      ...lines.map((l) => el('span', { class: `chart-key ${l.cls}`, text: l.name })));
    const top = el('span', { class: 'chart-max' });
    const start = el('span', { class: 'chart-start' });
    const end = el('span', { class: 'chart-end' });
    const readout = el('span', { class: 'chart-readout' });
    const box = el('figure', { class: 'metrics-figure' }, legend,
      el('div', { class: 'chart-area' }, top, svg),
      el('div', { class: 'chart-axis' }, start, readout, end));
    return { box, svg, lines, polylines, cursor, top, start, end, readout, max: 1, from: 0 };
  }

  makeTable(kind, names) {
    const table = el('table', { class: 'metrics-table' });
    return { table, kind, names, ids: '', cells: new Map() };
  }

  /**
   * A per-scope table: one row per metric (Kafka's name in full on the left), one column per
   * `TAG=VALUE` present in the newest sample (brokers, producers, consumers). Rebuilt only when
   * the columns change.
   */
  fillTable(t, latest) {
    const found = new Set();
    const prefix = ` ${t.kind}=`;
    for (const key of Object.keys(latest)) {
      const at = key.indexOf(prefix);
      if (at > 0 && t.names.includes(key.slice(0, at))) found.add(key.slice(at + prefix.length));
    }
    const ids = [...found].sort((a, b) => (t.kind === 'broker' ? Number(a) - Number(b) : a.localeCompare(b)));
    if (ids.join('\n') !== t.ids) {
      t.ids = ids.join('\n');
      t.cells.clear();
      const head = el('tr', {}, el('th', { text: t.kind }), ...ids.map((id) => el('th', { text: id })));
      const rows = t.names.map((n) => el('tr', {}, el('th', { text: n }), ...ids.map((id) => {
        const key = `${n} ${t.kind}=${id}`;
        const td = el('td', { class: 'metric-value', dataset: { entity: `metric:${key}` } });
        t.cells.set(key, td);
        return td;
      })));
      t.table.replaceChildren(el('thead', {}, head), el('tbody', {}, ...rows));
    }
    for (const [key, td] of t.cells) setText(td, show(latest[key]));
    setHidden(t.table, ids.length === 0);
  }

  render(change) {
    if (this.root.closest('[hidden]')) return; // nothing to draw while closed
    if (change.snapshot || change.metrics || change.opened) {
      const { series, latest } = this.model.metrics;
      setHidden(this.empty, series.length > 0);
      for (const [name, node] of this.clusterRows) setText(node, show(latest[name]));
      this.fillTable(this.brokers, latest);
      this.fillTable(this.producers, latest);
      this.fillTable(this.consumers, latest);
      for (const c of this.charts) this.drawChart(c, series);
    }
    if (change.snapshot || change.metrics || change.clock || change.opened) this.drawCursors();
  }

  /** The window's start: two minutes ending at the newest sample (or at 2:00 before that). */
  windowStart(series) {
    const last = series.length ? series[series.length - 1][0] : 0;
    return Math.max(0, last - WINDOW_US);
  }

  x(us, from) {
    return ((us - from) / WINDOW_US) * W;
  }

  drawChart(c, series) {
    const from = this.windowStart(series);
    let max = 0;
    for (const p of series) for (const l of c.lines) if (p[l.key] !== null && p[l.key] > max) max = p[l.key];
    c.max = niceMax(max);
    c.from = from;
    c.lines.forEach((l, i) => {
      // A gap (null: no consumer positions) breaks the line: only drawn points are joined.
      const pts = [];
      for (const p of series) {
        const v = p[l.key];
        if (v === null || v === undefined) continue;
        pts.push(`${this.x(p[0], from).toFixed(1)},${(H - (v / c.max) * (H - 4)).toFixed(1)}`);
      }
      setAttr(c.polylines[i], 'points', pts.join(' '));
    });
    setText(c.top, show(c.max));
    setText(c.start, formatTime(from));
    setText(c.end, formatTime(from + WINDOW_US));
  }

  /** The cursor at the clock, or at the timeline's drag target while the thumb is held. */
  drawCursors() {
    if (this.root.closest('[hidden]')) return;
    const series = this.model.metrics.series;
    const at = this.preview ?? this.model.clock.now_us;
    for (const c of this.charts) {
      const inside = at >= c.from && at <= c.from + WINDOW_US;
      setHidden(c.cursor, !inside);
      const x = this.x(Math.min(Math.max(at, c.from), c.from + WINDOW_US), c.from).toFixed(1);
      setAttr(c.cursor, 'x1', x);
      setAttr(c.cursor, 'x2', x);
      setAttr(c.cursor, 'data-at-us', String(Math.round(at)));
      setClass(c.cursor, 'preview', this.preview !== null);
      // The values of the whole second at or before the cursor.
      let point = null;
      for (const p of series) { if (p[0] <= at) point = p; else break; }
      const values = point ? c.lines.map((l) => `${l.name} ${show(point[l.key])}`).join(' · ') : '';
      setText(c.readout, inside ? `${formatTime(at)}${values ? ` — ${values}` : ''}` : '');
    }
  }
}

/** The panel's drawer and its header button: opens, closes, and redraws on opening. */
export class MetricsPanel {
  constructor(model, { onOpen, redraw }) {
    this.panel = document.getElementById('metrics-panel');
    this.button = document.getElementById('metrics-button');
    this.onOpen = onOpen;
    this.redraw = redraw;
    this.view = new MetricsView(document.getElementById('metrics-body'), model);
    this.button.addEventListener('click', () => (this.panel.hidden ? this.open() : this.close()));
    document.getElementById('metrics-close').addEventListener('click', () => this.close());
  }

  open() {
    this.onOpen();
    this.panel.hidden = false;
    setAttr(this.button, 'aria-expanded', 'true');
    this.redraw({ opened: true });
  }

  /** Closes the panel; whether it was open (Escape closes the topmost thing). */
  close() {
    if (this.panel.hidden) return false;
    this.panel.hidden = true;
    setAttr(this.button, 'aria-expanded', 'false');
    return true;
  }

  render(change) {
    this.view.render(change);
  }
}
