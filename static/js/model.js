// The client's model of one room: a snapshot replaces it, a frame merges into it. Entities are keyed
// as on the wire (brokers by id, topics by name, partitions by "topic/partition", producers, groups
// and consumers by name) and never disappear. Views read from here; they never keep their own copy
// of cluster state.
//
// After each applied message the model dispatches one 'change' event whose detail says what changed
// (see `emptyChange`), so the renderer can coalesce several messages into one animation frame.

/** Event log entries kept in memory (and drawn). */
export const LOG_LIMIT = 300;
/** A partition's `recent` keeps this many (offset, key) pairs, as the server sends (wire.rs RECENT_KEYS). */
const RECENT_KEYS = 16;
/** Partition rates count the records appended in this much simulated time. */
const RATE_WINDOW_US = 1_000_000;
/** Offsets remembered per partition for colouring log cells by key. */
const KEYS_PER_PARTITION = 64;

/** Timeline markers kept, as the room keeps them (wire.rs MAX_MARKERS). */
export const MAX_MARKERS = 256;

/** Metrics samples kept for the charts: the engine's `HISTORY_SECONDS`. */
export const METRICS_HISTORY = 120;

export function partitionId(topic, partition) {
  return `${topic}/${partition}`;
}

/** `orders/2` → `['orders', 2]` (a topic's name may itself hold `/`: the number follows the last). */
export function splitPartition(id) {
  const i = id.lastIndexOf('/');
  return [id.slice(0, i), Number(id.slice(i + 1))];
}

/** A change description with nothing changed. */
export function emptyChange() {
  return {
    snapshot: false,
    brokers: false,
    topics: false,
    /** A topic was deleted (`removed_topics`): views drop what they drew of it. */
    removedTopics: false,
    /** @type {Set<string>} partition ids that changed */
    partitions: new Set(),
    producers: false,
    groups: false,
    consumers: false,
    network: false,
    clock: false,
    caption: false,
    /** The scenario's `focus` changed (wire.rs, "Focus"). */
    focus: false,
    log: false,
    /** `timeline.horizon_us` changed. */
    timeline: false,
    /** The lesson (progress, at a pause, finished) changed. */
    lesson: false,
    /** Timeline markers were added, grew or went (a fork drops those after the horizon). */
    markers: false,
    /** What this connection may do changed (a `hello`: role, control, shared). */
    access: false,
    /** The audience (viewers of this room, sandboxes on the server) changed. */
    audience: false,
    /** Flights of this frame, with the frame's clock (for staggering them in time). */
    flights: [],
    /** New metrics samples (Kafka's metrics, one per simulated second). */
    metrics: false,
    /** A panel was opened: it draws itself whole. */
    opened: false,
    /** A Streams application changed (its instances, tasks, stores or counters). */
    streams: false,
    /** Records Streams tasks processed in this frame: wire `streams-processed` flights ({app, task, topic, partition, from_offset, count, sample}). */
    streamsRecords: [],
    /** Kafka Connect changed (systems, workers, connectors or tasks). */
    connect: false,
  };
}

/** Merge change `b` into `a` (both from `emptyChange`). */
export function mergeChange(a, b) {
  for (const k of Object.keys(a)) {
    if (k === 'partitions') for (const p of b.partitions) a.partitions.add(p);
    else if (k === 'flights' || k === 'streamsRecords') { for (const f of b[k]) a[k].push(f); }
    else a[k] = a[k] || b[k];
  }
  return a;
}

export class Model extends EventTarget {
  /**
   * @param {{role: string|null, control: boolean, shared: boolean}} access what this page may do
   *   until the server's `hello` says (a guess from the page: shared, and whether it has a token)
   */
  constructor(room, access = { role: null, control: true, shared: false }) {
    super();
    this.room = room;
    /** From the connection's `hello`; survives snapshots (it belongs to the connection). */
    this.access = { ...access };
    /** A `hello` has arrived on this page (the access is the server's word, not a guess). */
    this.greeted = false;
    this.reset();
  }

  /** May this page change the room (clock, console, menus' actions, lessons, time travel)? */
  get control() {
    return this.access.control;
  }

  /** The connection's `hello`: what it may do. Emits a change with `access`. */
  applyHello(msg) {
    this.access = { role: msg.role ?? null, control: msg.control !== false, shared: Boolean(msg.shared) };
    this.greeted = true;
    const change = emptyChange();
    change.access = true;
    this.emit(change);
  }

  reset() {
    this.title = null;
    this.clock = { now_us: 0, playing: false, speed: 1 };
    this.setCaption(null);
    /** What the scenario's `focus` put on screen: `KIND:ID` names (wire.rs, "Focus"); [] for all. */
    this.focus = [];
    /** How far this room's timeline has been played: `seek` reaches 0..=horizon_us. */
    this.timeline = { horizon_us: 0 };
    /** @type {{id:string, title:string|null, pauses_total:number, pauses_done:number, at_pause:boolean, finished:boolean}|null} */
    this.lesson = null;
    /** @type {Map<number, object>} */ this.brokers = new Map();
    /** @type {Map<string, object>} */ this.topics = new Map();
    /** @type {Map<string, object>} keyed "topic/partition" */ this.partitions = new Map();
    /** @type {Map<string, object>} */ this.producers = new Map();
    /** @type {Map<string, object>} */ this.groups = new Map();
    /** @type {Map<string, object>} */ this.consumers = new Map();
    /** Kafka Streams applications by application.id (wire.rs, `State.streams`: engine StreamsAppView). */
    /** @type {Map<string, object>} */ this.streams = new Map();
    /** Each Streams app's processor expressions by app (wire.rs, `State.streams_exprs`): {app, nodes: {NODE: [text]}}. */
    /** @type {Map<string, object>} */ this.streamsExprs = new Map();
    /** Kafka Connect (wire.rs, `State.connect_*`): systems, workers and connectors by name, tasks by `NAME-ID`. */
    /** @type {Map<string, object>} */ this.connectSystems = new Map();
    /** @type {Map<string, object>} */ this.connectWorkers = new Map();
    /** @type {Map<string, object>} */ this.connectors = new Map();
    /** @type {Map<string, object>} */ this.connectTasks = new Map();
    /** consumer name → colour index, in order of first appearance */
    this.consumerIndex = new Map();
    /** [sideA, sideB] broker ids, or null */
    this.network = null;
    /** What the network cannot carry (wire `Cuts`): cut broker links, isolated brokers, waits. */
    this.cuts = NO_CUTS;
    /** @type {{serial:number, rev:number, at_us:number, level:string, subject:string, text:string, kind:string|null, fold:object|null}[]} */
    this.log = [];
    /** Serial number of the last log entry ever added (views append what is newer). */
    this.logSerial = 0;
    /** Bumped whenever an entry is added or a folded one grows: an entry's `rev` is when it last
        changed, so views redraw the entries newer than what they drew. */
    this.logRev = 0;
    /**
     * Moments worth seeking to (wire.rs, markers): "AT:KIND" → {at_us, kind, title}. Markers
     * after the horizon do not exist (a fork dropped them).
     * @type {Map<string, {at_us:number, kind:string, title:string}>}
     */
    this.markers = new Map();
    /** partition id → Map(offset → key|null): what we know of each offset's key. */
    this.keys = new Map();
    /** partition id → records appended in the last frame */
    this.appended = new Map();
    /**
     * Kafka's metrics (wire.rs, `metrics`): `series` holds chart points
     * [at_us, MessagesInPerSec, records-consumed-rate, records-lag-max|null], oldest first, at most
     * METRICS_HISTORY; `latest` the newest sample's values keyed like `expect metric` lines.
     */
    this.metrics = { series: [], latest: {} };
    /** partition id → records appended per simulated second over the last RATE_WINDOW_US */
    this.rates = new Map();
    /** The frames of the last RATE_WINDOW_US: {startUs, endUs, appended}. */
    this.recentFrames = [];
    this.snapshots = 0;
    /** `presenter`: only the presenter changes this room; `open`: a sandbox anyone in it changes. */
    this.owner = 'presenter';
    /** A sandbox's parent room, or null. */
    this.forkedFrom = null;
    /** @type {{viewers:number, following:number, sandboxes:number}|null} */
    this.audience = null;
  }

  /**
   * Replace everything with a snapshot message. A snapshot comes on connect, after a gap, and after
   * a `load`, `restart` or `seek` — so the state may go backwards or be another scenario entirely:
   * nothing of the old state (keys, log, rates) survives except consumer colours, see below.
   */
  applySnapshot(msg) {
    const before = this.consumerIndex;
    const snapshots = this.snapshots;
    this.reset();
    this.snapshots = snapshots + 1;
    this.title = msg.title ?? null;
    this.clock = msg.clock;
    this.setCaption(msg.caption ?? null);
    this.focus = msg.focus ?? [];
    this.timeline = msg.timeline ?? { horizon_us: msg.clock.now_us };
    this.lesson = msg.lesson ?? null;
    this.owner = msg.owner ?? 'presenter';
    this.forkedFrom = msg.forked_from ?? null;
    this.audience = msg.audience ?? null;
    /** Where Kafka clients connect to this room (`host:port`), or null: no listeners. */
    this.kafkaBootstrap = msg.kafka_bootstrap ?? null;
    const change = emptyChange();
    change.snapshot = true;
    this.mergeState(msg.state, change);
    // Colours: a consumer present before and now keeps its colour (reconnect, seek), in the old
    // order; consumers gone (another scenario loaded, a seek to before they joined) free theirs,
    // so a new scenario starts again from the first colour.
    const present = [...before.keys()].filter((name) => this.consumers.has(name));
    this.consumerIndex = new Map(present.map((name, i) => [name, i]));
    for (const name of this.consumers.keys()) {
      if (!this.consumerIndex.has(name)) this.consumerIndex.set(name, this.consumerIndex.size);
    }
    this.network = msg.state.network ?? null;
    this.metrics = { series: (msg.metrics?.series || []).slice(-METRICS_HISTORY), latest: msg.metrics?.latest || {} };
    change.metrics = true;
    this.cuts = msg.state.cuts ?? NO_CUTS;
    this.appendLog(msg.log || []);
    this.mergeMarkers(msg.markers || []);
    change.markers = true;
    Object.assign(change, { connect: true, streams: true, brokers: true, topics: true, producers: true, groups: true, consumers: true, network: true, clock: true, caption: true, focus: true, log: true, timeline: true, lesson: true, audience: true });
    for (const id of this.partitions.keys()) change.partitions.add(id);
    this.emit(change);
  }

  /**
   * The latest `say`: its first line is the narration (`caption`), any further lines a code
   * listing under it (`listing`, the scenario's `| …` lines), each shown by its own view.
   */
  setCaption(said) {
    this.said = said;
    const cut = said ? said.indexOf('\n') : -1;
    this.caption = cut < 0 ? said : said.slice(0, cut);
    this.listing = cut < 0 ? null : said.slice(cut + 1);
  }

  /** Merge a frame message. */
  applyFrame(msg) {
    const change = emptyChange();
    const prevNow = this.clock.now_us;
    const c = msg.clock;
    if (c.now_us !== this.clock.now_us || c.playing !== this.clock.playing || c.speed !== this.clock.speed) change.clock = true;
    this.clock = c;
    if (msg.caption !== undefined && msg.caption !== this.said) {
      this.setCaption(msg.caption);
      change.caption = true;
    }
    // A frame carries `focus` only when it changed.
    if (msg.focus !== undefined && msg.focus.join('\n') !== this.focus.join('\n')) {
      this.focus = msg.focus;
      change.focus = true;
    }
    // A frame always carries both (an older server sends neither: the horizon then follows the clock).
    const horizon = msg.timeline ? msg.timeline.horizon_us : Math.max(this.timeline.horizon_us, c.now_us);
    if (horizon !== this.timeline.horizon_us) {
      this.timeline = { horizon_us: horizon };
      change.timeline = true;
    }
    if (msg.lesson !== undefined && !sameLesson(msg.lesson, this.lesson)) {
      this.lesson = msg.lesson;
      change.lesson = true;
    }
    if (msg.audience && !sameAudience(msg.audience, this.audience)) {
      this.audience = msg.audience;
      change.audience = true;
    }
    this.mergeState(msg.state, change);
    const net = msg.state.network ?? null;
    if (JSON.stringify(net) !== JSON.stringify(this.network)) {
      this.network = net;
      change.network = true;
    }
    const cuts = msg.state.cuts ?? NO_CUTS;
    if (JSON.stringify(cuts) !== JSON.stringify(this.cuts)) {
      this.cuts = cuts;
      change.network = true;
    }
    // Throughput per partition: the records the engine appended during the last simulated
    // second (every record is counted in `appended`, whatever the flights sample shows). A
    // partition nobody writes to any more reads 0 one simulated second later.
    this.appended = new Map(Object.entries(msg.appended || {}));
    if (c.now_us > prevNow || this.appended.size) {
      this.recentFrames.push({ startUs: prevNow, endUs: c.now_us, appended: this.appended });
      this.updateRates(change);
    }
    for (const f of msg.flights || []) {
      // A Streams task's processed batch moves through its topology's graph (views/streams.js).
      if (f.kind === 'streams-processed') { change.streamsRecords.push(f); continue; }
      if (f.kind === 'produce') this.rememberKey(partitionId(f.topic, f.partition), f.offset, f.key ?? null);
      change.flights.push(f);
    }
    if (msg.log && msg.log.length) {
      this.appendLog(msg.log);
      change.log = true;
    }
    if ((msg.markers && msg.markers.length) || change.timeline) {
      change.markers = this.mergeMarkers(msg.markers || []) || change.markers;
    }
    if (msg.metrics) {
      const series = this.metrics.series.concat(msg.metrics.series);
      this.metrics = { series: series.slice(-METRICS_HISTORY), latest: msg.metrics.latest };
      change.metrics = true;
    }
    change.frameStartUs = prevNow;
    change.frameEndUs = c.now_us;
    this.emit(change);
  }

  /**
   * Merge a state into the model. In a snapshot every entity comes whole; in a frame each entity
   * is a patch: its key fields plus the fields that changed (a new entity comes whole). Patches
   * are merged into the entity we have (`Object.assign`), so whole entities work the same way.
   */
  mergeState(state, change) {
    for (const b of state.brokers || []) { merge(this.brokers, b.id, b); change.brokers = true; }
    // `topic delete`: the topic and its partitions leave (a topic created again later under the
    // name comes whole, as a new entity).
    for (const name of state.removed_topics || []) {
      this.topics.delete(name);
      for (const [id, p] of this.partitions) {
        if (p.topic === name) { this.partitions.delete(id); change.partitions.add(id); }
      }
      change.topics = true;
      change.removedTopics = true;
    }
    for (const t of state.topics || []) { merge(this.topics, t.name, t); change.topics = true; }
    for (const p of state.partitions || []) {
      const id = partitionId(p.topic, p.partition);
      const cur = this.partitions.get(id);
      if (p.recent) {
        for (const [offset, key] of p.recent) this.rememberKey(id, offset, key);
        // In a frame `recent` lists only records newer than those already sent: append them
        // (dropping any we had at the same offsets, e.g. after a truncation) and keep the last 16.
        if (cur && cur.recent && !change.snapshot) {
          const first = p.recent.length ? p.recent[0][0] : Infinity;
          p.recent = cur.recent.filter(([o]) => o < first).concat(p.recent).slice(-RECENT_KEYS);
        }
      }
      p.id = id;
      merge(this.partitions, id, p);
      change.partitions.add(id);
    }
    for (const p of state.producers || []) { merge(this.producers, p.name, p); change.producers = true; }
    for (const g of state.groups || []) { merge(this.groups, g.name, g); change.groups = true; }
    for (const a of state.streams || []) { merge(this.streams, a.name, a); change.streams = true; }
    for (const e of state.streams_exprs || []) { merge(this.streamsExprs, e.app, e); change.streams = true; }
    for (const x of state.connect_systems || []) { merge(this.connectSystems, x.name, x); change.connect = true; }
    for (const w of state.connect_workers || []) { merge(this.connectWorkers, w.name, w); change.connect = true; }
    for (const c of state.connectors || []) { merge(this.connectors, c.name, c); change.connect = true; }
    for (const t of state.connect_tasks || []) { merge(this.connectTasks, `${t.connector}-${t.id}`, t); change.connect = true; }
    for (const c of state.consumers || []) {
      merge(this.consumers, c.name, c);
      if (!this.consumerIndex.has(c.name)) this.consumerIndex.set(c.name, this.consumerIndex.size);
      change.consumers = true;
    }
  }

  /**
   * Rates from the frames that ended within the last RATE_WINDOW_US of simulated time (at least
   * the last frame, which may span more at high speed): the records they counted over the time
   * they span (less than the window just after a snapshot, when earlier frames are unknown).
   */
  updateRates(change) {
    const now = this.clock.now_us;
    const frames = this.recentFrames;
    while (frames.length > 1 && frames[0].endUs <= now - RATE_WINDOW_US) frames.shift();
    const spanS = (now - frames[0].startUs) / 1e6;
    const totals = new Map();
    for (const f of frames) for (const [id, n] of f.appended) totals.set(id, (totals.get(id) || 0) + n);
    for (const id of this.partitions.keys()) {
      const rate = spanS > 0 ? (totals.get(id) || 0) / spanS : 0;
      if (rate !== (this.rates.get(id) || 0)) { this.rates.set(id, rate); change.partitions.add(id); }
    }
  }

  rememberKey(id, offset, key) {
    let m = this.keys.get(id);
    if (!m) { m = new Map(); this.keys.set(id, m); }
    m.set(offset, key);
    if (m.size > KEYS_PER_PARTITION * 2) {
      // Forget the oldest offsets (Map keeps insertion order, which is nearly offset order).
      const sorted = [...m.keys()].sort((a, b) => a - b);
      for (const o of sorted.slice(0, sorted.length - KEYS_PER_PARTITION)) m.delete(o);
    }
  }

  /** The key at `offset` of a partition: `{known: bool, key: string|null}`. */
  keyAt(id, offset) {
    const m = this.keys.get(id);
    if (m && m.has(offset)) return { known: true, key: m.get(offset) };
    return { known: false, key: null };
  }

  /**
   * Adds log lines. A repeating line (`fold`, wire.rs "Folding repeats") whose key is in the run
   * at the end of the log (the lines after the last one without `fold`) replaces that line in
   * place (same serial, a new `rev`); otherwise it is added.
   */
  appendLog(entries) {
    for (const e of entries) {
      const fold = e.fold ?? null;
      const entry = { rev: ++this.logRev, at_us: e.at_us, level: e.level, subject: e.subject, text: e.text, kind: e.kind ?? null, fold };
      if (fold) {
        const earlier = this.inRun(fold.key);
        if (earlier) { Object.assign(earlier, entry); continue; }
      }
      entry.serial = ++this.logSerial;
      this.log.push(entry);
    }
    if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
  }

  /** The line with this fold key in the run of repeating lines at the end of the log, if any. */
  inRun(key) {
    for (let i = this.log.length - 1; i >= 0; i--) {
      const l = this.log[i];
      if (!l.fold) return null;
      if (l.fold.key === key) return l;
    }
    return null;
  }

  /** Adds or replaces markers, drops those after the horizon; returns whether anything changed. */
  mergeMarkers(markers) {
    let changed = false;
    for (const m of markers) {
      this.markers.set(`${m.at_us}:${m.kind}`, { at_us: m.at_us, kind: m.kind, title: m.title });
      changed = true;
    }
    const horizon = this.timeline.horizon_us;
    for (const [key, m] of this.markers) {
      if (m.at_us > horizon) { this.markers.delete(key); changed = true; }
    }
    if (this.markers.size > MAX_MARKERS) {
      const oldest = [...this.markers.entries()].sort((a, b) => a[1].at_us - b[1].at_us).slice(0, this.markers.size - MAX_MARKERS);
      for (const [key] of oldest) this.markers.delete(key);
    }
    return changed;
  }

  emit(change) {
    this.dispatchEvent(new CustomEvent('change', { detail: change }));
  }

  // ---- derived views of the state, shared by the views ----------------------------------------

  /** Brokers in id order. */
  brokerList() {
    return [...this.brokers.values()].sort((a, b) => a.id - b.id);
  }

  /** Partitions of a topic in partition order. */
  partitionsOf(topic) {
    const t = this.topics.get(topic);
    const out = [];
    if (t) for (let i = 0; i < t.partitions; i++) { const p = this.partitions.get(partitionId(topic, i)); if (p) out.push(p); }
    return out;
  }

  /** Consumers of a group in the room's order. */
  consumersOf(group) {
    return [...this.consumers.values()].filter((c) => c.group === group);
  }

  /** The consumer (name) that currently holds a partition in a group, from the consumers' own view. */
  ownerOf(group, id) {
    for (const c of this.consumers.values()) {
      if (c.group === group && c.owned.some(([p]) => p === id)) return c.name;
    }
    return null;
  }

  /** Which side of a network partition a broker is on: 'A', 'B' or null. */
  sideOf(brokerId) {
    if (!this.network) return null;
    if (this.network[0].includes(brokerId)) return 'A';
    if (this.network[1].includes(brokerId)) return 'B';
    return null;
  }

  /** Is this broker isolated (`network isolate N`: no broker, client or controller reaches it)? */
  isIsolated(brokerId) {
    return this.cuts.isolated.some((i) => i.broker === brokerId);
  }

  /** The brokers this one cannot talk to (its cut links), in id order. */
  cutPeers(brokerId) {
    return this.cuts.links.filter(([a, b]) => a === brokerId || b === brokerId)
      .map(([a, b]) => (a === brokerId ? b : a));
  }

  /** Is anything cut (a partition or an isolation)? */
  anyCut() {
    return this.cuts.links.length > 0 || this.cuts.isolated.length > 0 || Boolean(this.network);
  }
}

const NO_CUTS = Object.freeze({ links: [], isolated: [], waits: [] });

/** Two wire lessons (or nulls) with the same fields. */
function sameLesson(a, b) {
  if (a === null || b === null) return a === b;
  return a.id === b.id && a.title === b.title && a.pauses_total === b.pauses_total
    && a.pauses_done === b.pauses_done && a.at_pause === b.at_pause && a.finished === b.finished;
}

function sameAudience(a, b) {
  return Boolean(a && b) && a.viewers === b.viewers && a.following === b.following && a.sandboxes === b.sandboxes
    && a.kafka_clients === b.kafka_clients && a.kafka_connections === b.kafka_connections
    && sameList(a.kafka_client_ids, b.kafka_client_ids);
}

function sameList(a, b) {
  return (a || []).length === (b || []).length && (a || []).every((x, i) => x === b[i]);
}

/** Merge a whole entity or a patch into the entity stored under `key`. */
function merge(map, key, patch) {
  const cur = map.get(key);
  if (cur) Object.assign(cur, patch);
  else map.set(key, patch);
}
