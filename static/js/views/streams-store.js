// A state store's contents as a table, key → value, as the engine's snapshot of the store has
// them (the store itself, not the record cache in front of it: what an interactive query of the
// store would return after a flush). The engine sends the most recently written entries, newest
// first (StoreView `newest`), and the store's size; the first MAX_ROWS are drawn, a line says how
// many more entries the store holds, so nothing is hidden silently. Rows whose value changed since
// the last frame are highlighted.
//
// `StreamVsTable` sets a KStream's records (every record, in order) beside a KTable's store (the
// latest value per key) when a topic is read both ways, as the course's "stream vs table" does.

import { el, setText, setHidden, formatCount } from '../text.js';
import { entity } from '../entities.js';
import { keyColor } from '../colors.js';

/** Rows drawn per store; the rest is counted. */
const MAX_ROWS = 10;
/** Records of a stream kept in its list. */
const STREAM_ROWS = 10;

export class StoreTable {
  constructor(app, name, changelog) {
    this.app = app;
    this.name = name;
    /** `task NUL key` → value as last drawn (a key lives in one task's store per partition) */
    this.values = new Map();
    this.drawn = false;
    this.body = el('tbody');
    this.more = el('p', { class: 'muted store-more' });
    this.root = el('figure', { class: 'streams-store-table', dataset: { entity: entity.store(app, name) } },
      el('figcaption', {}, el('span', { class: 'cylinder', attrs: { 'aria-hidden': 'true' } }), el('b', { text: name }),
        changelog ? el('span', { class: 'muted', text: ` → ${changelog}`, title: `changelog topic ${changelog}` }) : null),
      el('table', {}, el('thead', {}, el('tr', {}, el('th', { text: 'key' }), el('th', { text: 'value' }))), this.body),
      this.more);
  }

  /**
   * @param {Array<{task: string, key: ?string, value: ?string, timestamp_us: number}>} newest the
   *   store's newest entries, newest first (wire StoreView `newest`)
   * @param {number} size the entries the store holds in all its tasks
   */
  render(newest, size) {
    const before = this.values;
    this.values = new Map();
    const shown = (newest || []).slice(0, MAX_ROWS);
    const rows = shown.map((e) => {
      const id = `${e.task}\u0000${e.key}`;
      this.values.set(id, e.value);
      const changed = this.drawn && before.get(id) !== e.value;
      const swatch = el('span', { class: 'key-swatch', attrs: { 'aria-hidden': 'true' } });
      swatch.style.background = keyColor(e.key);
      return el('tr', { class: changed ? 'changed' : '', title: `task ${e.task}` },
        el('td', {}, swatch, el('span', { text: e.key ?? 'null' })), el('td', { text: e.value ?? 'null' }));
    });
    this.drawn = true;
    this.body.replaceChildren(...rows);
    setHidden(this.more, size <= shown.length);
    setText(this.more, `+ ${formatCount(size - shown.length)} more entries`);
    if (!rows.length) this.body.replaceChildren(el('tr', {}, el('td', { class: 'muted', attrs: { colspan: '2' }, text: 'empty' })));
  }
}

export class StreamVsTable {
  /**
   * @param {string} topic the topic read both ways
   * @param {string} streamApp the app reading it as a KStream
   * @param {StoreTable} table the KTable's store table
   */
  constructor(topic, streamApp, table) {
    this.topic = topic;
    this.streamApp = streamApp;
    this.list = el('ol', { class: 'stream-records', attrs: { reversed: true } });
    this.root = el('div', { class: 'stream-vs-table' },
      el('section', {},
        el('h4', { text: `KStream: ${topic}` }),
        el('p', { class: 'muted', text: 'every record, newest first (as processed by ' + streamApp + ')' }),
        this.list),
      el('section', {},
        el('h4', { text: `KTable: ${topic}` }),
        el('p', { class: 'muted', text: 'the latest value per key' }),
        table.root));
  }

  /** A record the stream app processed (the engine's sample of its input). */
  add(rec) {
    const s = rec.sample;
    if (!s) return;
    const swatch = el('span', { class: 'key-swatch', attrs: { 'aria-hidden': 'true' } });
    swatch.style.background = keyColor(s.key ?? null);
    this.list.prepend(el('li', { title: `${rec.topic}/${rec.partition}@${s.offset}` },
      swatch, el('b', { text: s.key ?? 'null' }), ' ', el('span', { text: s.value ?? 'null' })));
    while (this.list.children.length > STREAM_ROWS) this.list.lastChild.remove();
  }
}
