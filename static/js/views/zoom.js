// Zoom: the stage's two levels. The overview shows every partition of the cluster at once (tiles,
// views/overview.js) with compact broker cards; the detail shows partitions as logs (the logical
// view) and brokers with their replica chips. By default the overview is used when the cluster has
// more partitions than the detail can usefully show; the switch in the Brokers title overrides it.
// Clicking a tile opens that partition in the detail (shift/ctrl-click adds it to those open); the
// detail then shows only the open partitions until "all partitions" or the overview is chosen.
//
// The level is the stage's `data-zoom` attribute: CSS shows and hides panels from it, so nothing
// is rebuilt when the level changes and positions inside each level stay put.

import { el, setAttr, setHidden } from '../text.js';

/**
 * Above this many partitions in the cluster the overview is the default. The detail draws one log
 * row per partition (about 70 px each): up to 16 rows a class can still scroll through, and the
 * bundled lessons use at most 13; 24 partitions would hide most of the cluster below the fold.
 */
export const DETAIL_MAX_PARTITIONS = 16;

export class Zoom {
  /**
   * @param {HTMLElement} stage the stage (gets `data-zoom`)
   * @param {{showOnly(ids: Set<string>|null): void}} logical the detail's log rows
   */
  constructor(stage, model, logical, { onChange }) {
    this.stage = stage;
    this.model = model;
    this.logical = logical;
    this.onChange = onChange;
    /** 'overview' or 'detail' */
    this.mode = 'detail';
    /** The user's choice, or null for the default. */
    this.chosen = null;
    /** Partitions open in the detail; empty means all of them. */
    this.opened = new Set();
    this.shownKey = null;
    /** The partitions of the last snapshot: a different set is a different cluster. */
    this.shape = null;
    this.buttons = {
      overview: document.getElementById('zoom-overview'),
      detail: document.getElementById('zoom-detail'),
    };
    this.buttons.overview.addEventListener('click', () => this.showOverview());
    this.buttons.detail.addEventListener('click', () => this.showDetail([]));
    this.openedNote = document.getElementById('zoom-opened');
    this.apply();
  }

  get overview() {
    return this.mode === 'overview';
  }

  /** The default level for the cluster as it is. */
  defaultMode() {
    return this.model.partitions.size > DETAIL_MAX_PARTITIONS ? 'overview' : 'detail';
  }

  render(change) {
    if (!(change.snapshot || change.topics)) return;
    if (change.snapshot) {
      // Another cluster (a lesson loaded, a rewind to before its topics): the default again.
      const shape = [...this.model.partitions.keys()].join(' ');
      if (shape !== this.shape) { this.chosen = null; this.opened.clear(); }
      this.shape = shape;
    }
    // Partitions that are gone are no longer open.
    for (const id of this.opened) if (!this.model.partitions.has(id)) this.opened.delete(id);
    this.apply();
  }

  showOverview() {
    this.chosen = 'overview';
    this.opened.clear();
    this.apply();
  }

  /** The detail of these partitions (all of them when empty). */
  showDetail(ids) {
    this.chosen = 'detail';
    this.opened = new Set(ids);
    this.apply();
  }

  /** A tile was clicked: open it alone, or add it to (or take it from) those open. */
  open(id, { add = false } = {}) {
    const ids = new Set(add && this.mode === 'detail' ? this.opened : []);
    if (add && ids.has(id)) ids.delete(id); else ids.add(id);
    this.showDetail(ids);
  }

  apply() {
    const mode = this.chosen || this.defaultMode();
    const filter = mode === 'detail' && this.opened.size ? this.opened : null;
    // Topics change every frame (their counts); the level only when the cluster's shape does.
    const key = `${mode} ${filter ? [...filter].join(' ') : '*'}`;
    if (key === this.shownKey) return;
    this.shownKey = key;
    this.mode = mode;
    this.stage.dataset.zoom = mode;
    for (const [name, button] of Object.entries(this.buttons)) setAttr(button, 'aria-pressed', String(name === mode));
    this.logical.showOnly(filter);
    this.drawOpened(filter);
    // Panels appeared or vanished: lines and flights measure again.
    this.onChange();
  }

  /** "showing orders/3, orders/7 · all partitions" above the detail when only some are open. */
  drawOpened(filter) {
    setHidden(this.openedNote, !filter);
    if (!filter) { this.openedNote.replaceChildren(); return; }
    const all = el('button', { type: 'button', class: 'btn btn-mini', text: 'all partitions' });
    all.addEventListener('click', () => this.showDetail([]));
    this.openedNote.replaceChildren(el('span', { text: `showing ${[...filter].join(', ')}` }), all);
  }
}
