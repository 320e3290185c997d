// Focus: what the scenario's `focus` line says must be on screen (wire.rs, "Focus"). The targets
// are `KIND:ID` names, the same as the `data-entity` names every view draws (entities.js), plus
// `replicas:T/P` (a partition's replicas view), `records:T` (the topic's newest records, listed
// under its rows) and `metrics` (the metrics panel); for Kafka Streams
// `app:APP`, `store:APP/STORE` and `task:APP/ID` (views/streams.js); for Kafka Connect `worker:W`,
// `connector:C`, `connect-task:C-ID` and `system:S` (views/connect.js); and `clients`, the cards
// of whichever real Kafka clients are connected (their producer cards and their groups' cards).
//
// When a focus is set this view:
// - opens what the targets live in: the detail of the focused partitions (and of every partition
//   of a focused topic) when the overview shows or other partitions would crowd them, the
//   replicas view of a `replicas` target, the metrics panel for `metrics`; what it opened it closes
//   again when the focus moves on (what the user opened stays);
// - marks the drawn elements with `data-focus="KIND:ID"` (and their entity ancestors with
//   `data-focus-within`) on every render, since views create elements as entities appear;
// - tells the stage what is focused (`data-focusing`, `data-focus-kinds`, and how many group and
//   producer cards must sit side by side: `--focus-groups`, `--focus-producers`), so CSS (focus.css) dims
//   the rest (dimmed, never hidden: a dimmed card still shows its true state) and, in presenter
//   mode, enlarges the focused elements and folds the sections without a target so they fit;
// - scrolls each focused element into view inside its own scrolling box (never the page).
// `focus all` (an empty list) undoes all of it.

import { select } from '../entities.js';
import { partitionId } from '../model.js';
import { systemSide } from './connect-model.js';

/** Re-check that focused elements are in view for this long after a change (layout settles). */
const SETTLE_MS = 2000;
/**
 * A focused topic is drawn as logs (one row per partition) when it has at most this many
 * partitions, else as the overview's tiles: at 1280×720 about four rows fit under the brokers,
 * two in presenter mode (its rows are drawn larger, under the narration panel).
 */
const TOPIC_ROWS = 4;
const TOPIC_ROWS_PRESENTER = 2;
/** The focus targets drawn by the Streams view (views/streams.js). */
const STREAMS_KINDS = ['app', 'store', 'task'];
/** The focus targets drawn by the Connect view (views/connect.js). */
const CONNECT_KINDS = ['worker', 'connector', 'connect-task', 'system'];
/** A focused group of more consumers than this gets a card two columns wide (sizeColumns). */
const WIDE_MEMBERS = 3;

/** `"partition:orders/0"` → {kind: 'partition', id: 'orders/0'}; `"metrics"` → {kind: 'metrics', id: ''}. */
export function parseTarget(name) {
  const i = name.indexOf(':');
  return i < 0 ? { kind: name, id: '' } : { kind: name.slice(0, i), id: name.slice(i + 1) };
}

export class FocusView {
  /**
   * @param {HTMLElement} stage the stage (gets `data-focusing` and `data-focus-kinds`)
   * @param {{zoom: import('./zoom.js').Zoom, logical: import('./logical.js').LogicalView, metrics: import('./metrics.js').MetricsPanel}} parts
   */
  constructor(stage, model, { zoom, logical, metrics }) {
    this.stage = stage;
    this.model = model;
    this.zoom = zoom;
    this.logical = logical;
    this.metrics = metrics;
    /** The parsed targets of the focus in effect. */
    this.targets = [];
    /** Elements marked now. */
    this.marked = new Set();
    this.within = new Set();
    /** The zoom as it was before the focus opened partitions ({chosen, opened}), or null. */
    this.savedZoom = null;
    /** Replicas views the focus opened (partition ids), and whether it opened the metrics panel. */
    this.openedReplicas = new Set();
    this.openedMetrics = false;
    /** Until this time (performance.now()) focused elements are kept in view as layout settles. */
    this.settleUntil = 0;
    this.scrollQueued = false;
    // The window or the type size changed (presenter mode dispatches `resize`): what fits may
    // have changed too; bring them back.
    addEventListener('resize', () => {
      if (!this.targets.length) return;
      this.openPartitions();
      this.keepInView();
    });
  }

  render(change) {
    if (change.snapshot || change.focus) this.retarget();
    if (!this.targets.length) return;
    // A snapshot can rebuild the zoom's view of the cluster: the focus opens its partitions again.
    if (change.snapshot || change.topics) this.openPartitions();
    if (change.snapshot || change.groups || change.consumers) this.sizeColumns();
    this.mark();
    if (performance.now() < this.settleUntil) this.queueScroll();
  }

  /** The focus changed: open what it needs, close what the previous one opened. */
  retarget() {
    this.targets = this.model.focus.map(parseTarget);
    const kinds = new Set(this.targets.map((t) => t.kind));
    // A Connect system is drawn in the producers column (read by a source) or the groups column
    // (written by a sink, connect-systems.js): that column must stay open in presenter mode.
    for (const t of this.targets) {
      if (t.kind === 'system') kinds.add(systemSide(this.model, t.id) === 'source' ? 'producer' : 'group');
      // Real clients are drawn as producer and group cards: both columns stay open.
      if (t.kind === 'clients') { kinds.add('producer'); kinds.add('group'); }
      // A topic's records are listed under its rows: the topics section stays open.
      if (t.kind === 'records') kinds.add('topic');
    }
    if (this.targets.length) {
      this.stage.dataset.focusing = '';
      this.stage.dataset.focusKinds = [...kinds].sort().join(' ');
    } else {
      delete this.stage.dataset.focusing;
      delete this.stage.dataset.focusKinds;
    }
    this.sizeColumns();
    this.openPartitions();
    this.openReplicas();
    this.openRecords();
    if (kinds.has('metrics') && this.metrics.panel.hidden) {
      this.metrics.open();
      this.openedMetrics = true;
    } else if (!kinds.has('metrics') && this.openedMetrics) {
      this.metrics.close();
      this.openedMetrics = false;
    }
    this.mark();
    this.keepInView();
  }

  /**
   * The partitions the focus shows as logs: its partitions and replicas, and the partitions of
   * its topics when they fit as rows. `overview`: only topics too big for rows are focused, and
   * the overview shows them whole.
   */
  focusedPartitions() {
    const ids = new Set();
    const topics = [];
    for (const { kind, id } of this.targets) {
      if (kind === 'partition' || kind === 'replicas') ids.add(id);
      if (kind === 'topic' || kind === 'records') topics.push(id);
    }
    // A focused Streams application, store or task takes the upper part of the column: its
    // topics get one row in presenter mode, else their tiles.
    const streams = this.targets.some((t) => STREAMS_KINDS.includes(t.kind));
    const rows = document.documentElement.dataset.presenter === '1' ? (streams ? 1 : TOPIC_ROWS_PRESENTER) : TOPIC_ROWS;
    const topicPartitions = topics.reduce((n, name) => n + (this.model.topics.get(name)?.partitions || 0), 0);
    if (topicPartitions + ids.size <= rows) {
      for (const name of topics) {
        for (let i = 0; i < (this.model.topics.get(name)?.partitions || 0); i++) ids.add(partitionId(name, i));
      }
    }
    return { ids, overview: !ids.size && topics.length > 0 };
  }

  /**
   * The detail of the focused partitions, the others folded away (the zoom says "showing …, all
   * partitions" above them, so nothing is hidden silently). Without partitions in the focus the
   * zoom goes back to what it was.
   */
  openPartitions() {
    const { ids, overview } = this.focusedPartitions();
    const zoom = this.zoom;
    if (ids.size || overview) {
      if (!this.savedZoom) this.savedZoom = { chosen: zoom.chosen, opened: new Set(zoom.opened) };
      if (overview) {
        if (!zoom.overview) zoom.showOverview();
        return;
      }
      const same = zoom.mode === 'detail' && zoom.opened.size === ids.size && [...ids].every((id) => zoom.opened.has(id));
      if (!same) zoom.showDetail(ids);
    } else if (this.savedZoom) {
      zoom.chosen = this.savedZoom.chosen;
      zoom.opened = this.savedZoom.opened;
      this.savedZoom = null;
      zoom.apply();
    }
  }

  /**
   * How wide the side columns must be for the focused cards side by side (presenter mode sizes
   * them from these, focus.css): `--focus-groups` counts one per focused group (or group of a
   * focused consumer) and two for a group of more than WIDE_MEMBERS consumers, whose card
   * (`data-focus-wide`) lays its members in two columns instead of growing past the screen's
   * height; `--focus-producers` counts the focused producers.
   */
  sizeColumns() {
    const groups = new Set();
    for (const { kind, id } of this.targets) {
      if (kind === 'group') groups.add(id);
      if (kind === 'consumer') groups.add(this.model.consumers.get(id)?.group ?? id);
    }
    let units = 0;
    const wide = new Set();
    for (const name of groups) {
      const big = this.model.consumersOf(name).length > WIDE_MEMBERS;
      units += big ? 2 : 1;
      if (big) for (const e of document.querySelectorAll(select('group', name))) wide.add(e);
    }
    for (const e of document.querySelectorAll('[data-focus-wide]')) if (!wide.has(e)) e.removeAttribute('data-focus-wide');
    for (const e of wide) e.setAttribute('data-focus-wide', '');
    if (units) this.stage.style.setProperty('--focus-groups', String(units));
    else this.stage.style.removeProperty('--focus-groups');
    // Focused producers are laid side by side the same way.
    const producers = this.targets.filter((t) => t.kind === 'producer').length;
    if (producers) this.stage.style.setProperty('--focus-producers', String(producers));
    else this.stage.style.removeProperty('--focus-producers');
  }

  /** Opens the replicas views the focus names, closes those it opened before and no longer names. */
  openReplicas() {
    const wanted = new Set(this.targets.filter((t) => t.kind === 'replicas').map((t) => t.id));
    for (const id of this.openedReplicas) {
      if (wanted.has(id)) continue;
      if (this.logical.rows.get(id)?.replicas) this.logical.toggleReplicas(id);
      this.openedReplicas.delete(id);
    }
    for (const id of wanted) {
      const row = this.logical.rows.get(id);
      if (row && !row.replicas) {
        this.logical.toggleReplicas(id);
        this.openedReplicas.add(id);
      }
    }
  }

  /** Lists the records of the topics the focus names (`records:T`), and stops listing the others. */
  openRecords() {
    const wanted = new Set(this.targets.filter((t) => t.kind === 'records').map((t) => t.id));
    for (const name of this.logical.topics.keys()) this.logical.showRecords(name, wanted.has(name));
  }

  /** The elements drawn now for one target (only those rendered: a hidden tile is not on screen). */
  elementsOf({ kind, id }) {
    let found;
    if (kind === 'metrics') found = [this.metrics.panel];
    // `clients`: the cards of real Kafka clients, whichever are connected now.
    else if (kind === 'clients') found = this.realClientCards();
    else if (kind === 'replicas') found = document.querySelectorAll(`.replicas-view[data-replicas-of="${CSS.escape(id)}"]`);
    // `records:T`: the list of the topic's records under its rows (which it opens, as a topic
    // focus does; `topic T` besides brings them forward too).
    else if (kind === 'records') found = document.querySelectorAll(`.topic-records[data-records-of="${CSS.escape(id)}"]`);
    else if (['broker', 'topic', 'partition', 'producer', 'group', 'consumer'].includes(kind)) found = document.querySelectorAll(select(kind, id));
    // Kafka Streams (views/streams.js): `app:APP`, `store:APP/STORE` (the store beside its
    // processor and its table), `task:APP/0_1` (the task's chip).
    else if (kind === 'app') found = document.querySelectorAll(select('app', id));
    else if (kind === 'store' || kind === 'task') found = document.querySelectorAll(`[data-entity="${CSS.escape(`${kind}:${id}`)}"]`);
    // Kafka Connect (views/connect.js): `worker:W`, `connector:C`, `connect-task:C-ID`, `system:S`.
    else if (CONNECT_KINDS.includes(kind)) found = document.querySelectorAll(`[data-entity="${CSS.escape(`${kind}:${id}`)}"]`);
    else found = [];
    return [...found].filter((e) => e.checkVisibility());
  }

  /** The producer cards of real clients, and the group cards with a real member. */
  realClientCards() {
    const cards = [];
    for (const p of this.model.producers.values()) {
      if (p.real_client) cards.push(...document.querySelectorAll(select('producer', p.name)));
    }
    for (const g of this.model.groups.values()) {
      if (g.members?.some((m) => m.real_client !== null && m.real_client !== undefined)) cards.push(...document.querySelectorAll(select('group', g.name)));
    }
    return cards;
  }

  /** Marks the focused elements and their entity ancestors; unmarks what is no longer focused. */
  mark() {
    const marked = new Map();
    const within = new Set();
    for (const t of this.targets) {
      // A replicas view opens once its row exists (a snapshot may bring the row later); so does
      // a records list once its topic is drawn.
      if (t.kind === 'replicas' && !this.logical.rows.get(t.id)?.replicas) this.openReplicas();
      if (t.kind === 'records' && !this.logical.topics.get(t.id)?.records) this.openRecords();
      for (const e of this.elementsOf(t)) {
        marked.set(e, t.id === '' ? t.kind : `${t.kind}:${t.id}`);
        for (let a = e.parentElement?.closest('[data-entity], .topic, .partition-box'); a; a = a.parentElement?.closest('[data-entity], .topic, .partition-box')) within.add(a);
      }
    }
    for (const e of this.marked) if (!marked.has(e)) e.removeAttribute('data-focus');
    for (const [e, name] of marked) if (e.getAttribute('data-focus') !== name) e.setAttribute('data-focus', name);
    for (const e of this.within) if (!within.has(e)) e.removeAttribute('data-focus-within');
    for (const e of within) if (!e.hasAttribute('data-focus-within')) e.setAttribute('data-focus-within', '');
    this.marked = new Set(marked.keys());
    this.within = within;
  }

  /** Keep the focused elements in view for a while (the layout moves as panels open). */
  keepInView() {
    if (!this.targets.length) return;
    this.settleUntil = performance.now() + SETTLE_MS;
    this.queueScroll();
  }

  queueScroll() {
    if (this.scrollQueued) return;
    this.scrollQueued = true;
    // After this frame's layout: the views have just written.
    requestAnimationFrame(() => {
      this.scrollQueued = false;
      this.scroll();
    });
  }

  /**
   * Scrolls each scrolling box that holds focused elements so that they show: all of them when
   * they fit, with the title of the panel above the topmost when that fits too (a title half
   * scrolled off reads as a glitch), else the first from its top. Only the boxes are scrolled,
   * never the page.
   */
  scroll() {
    const boxes = new Map();
    for (const e of this.marked) {
      const box = scroller(e);
      if (!box) continue;
      if (!boxes.has(box)) boxes.set(box, []);
      // A replicas view is shown with its partition's row above it when both fit.
      const withRow = e.matches('.replicas-view') ? e.closest('.partition-box') : null;
      const r = withRow && withRow.getBoundingClientRect().height <= box.clientHeight ? withRow : e;
      const title = panelTitle(e, box);
      boxes.get(box).push({ r: r.getBoundingClientRect(), title: title ? title.getBoundingClientRect() : null });
    }
    for (const [box, marks] of boxes) {
      const view = box.getBoundingClientRect();
      const rects = marks.map((m) => m.r);
      const first = marks.reduce((a, m) => (m.r.top < a.r.top ? m : a));
      const bottom = Math.max(...rects.map((r) => r.bottom));
      let top = first.r.top;
      if (first.title && first.title.top < top && bottom - first.title.top <= box.clientHeight) top = first.title.top;
      let delta = 0;
      if (bottom - top <= box.clientHeight) {
        if (top < view.top) delta = top - view.top;
        else if (bottom > view.top + box.clientHeight) delta = bottom - (view.top + box.clientHeight);
      } else delta = first.r.top - view.top;
      if (Math.abs(delta) >= 1) box.scrollTop += delta;
    }
  }
}

/** The title (`.column-title`) of the nearest panel around `e` inside `box`, if any. */
function panelTitle(e, box) {
  for (let a = e.parentElement; a && a !== box; a = a.parentElement) {
    const title = a.querySelector(':scope > .column-title');
    if (title) return title;
  }
  return null;
}

/** The nearest ancestor that scrolls vertically (overflow auto or scroll, with more to show). */
function scroller(e) {
  for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
    const overflow = getComputedStyle(a).overflowY;
    if ((overflow === 'auto' || overflow === 'scroll') && a.scrollHeight > a.clientHeight) return a;
  }
  return null;
}
