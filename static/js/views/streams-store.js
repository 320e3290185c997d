// A state store's contents, key → value, as an interactive query reads them: the record cache in
// front of the store first, then the store (Kafka's caching layer). An entry whose latest value
// waits in the cache (wire `cached`) is drawn dashed, and the card says so: the next commit writes
// it to the store, its changelog and downstream. The engine sends the most recently written
// entries, newest first (StoreView `newest`), and the store's size; the first MAX_ROWS are drawn as
// entries that flow into as many columns as the card's width allows (a word count's words fill the
// width rather than the height a projector lacks), and a line says how many more entries the store
// holds, so nothing is hidden silently. Entries whose value changed since the last frame are
// highlighted. The caption names the changelog topic and, once a task restored the store, how many
// changelog records were replayed into it (the engine's `counters.restored`). A windowed
// aggregation's store also says its stream time (the processor's observed stream time, per task)
// and marks each window the engine reports closed: its end plus grace is behind that stream time,
// so it takes no more records and a late one is dropped.
//
// `StreamVsTable` sets a KStream beside a KTable when one topic is read both ways, as the
// course's "stream vs table" does: the stream is the topic's records as its partitions' leaders
// hold them (every record, newest first: streams-records.js), the table the store (the latest
// value per key).

import { el, setText, setHidden, formatCount, formatTime } from '../text.js';
import { entity } from '../entities.js';
// Entries with a key or value longer than LONG_TEXT are drawn one per line, as records are.
import { TopicTail, swatch, windowedKey, LONG_TEXT } from './streams-records.js';
import { shortStore, shortTopic } from './streams-graph.js';

/** Entries drawn per store; the rest is counted. */
const MAX_ROWS = 10;
/** Records of a stream drawn. */
const STREAM_ROWS = 8;

export class StoreTable {
  /**
   * @param {string} kind the store's kind (wire StoreView `kind`: `key-value` or `window`)
   */
  constructor(app, name, changelog, kind = 'key-value') {
    this.app = app;
    this.name = name;
    this.windowed = kind === 'window';
    /** `task NUL key` → value as last drawn (a key lives in one task's store per partition) */
    this.values = new Map();
    this.drawn = false;
    this.list = el('ol', { class: 'store-entries' });
    this.more = el('p', { class: 'muted store-more' });
    this.restored = el('span', { class: 'store-restored' });
    this.streamTime = el('span', { class: 'store-stream-time' });
    this.cachedNote = el('span', { class: 'store-cached-note', text: 'dashed: in the cache until the next commit', title: "Kafka Streams' record cache holds these counts; a commit (commit.interval.ms) or an eviction flushes them to the store, its changelog topic and the processors downstream" });
    this.root = el('figure', { class: `streams-store-table${this.windowed ? ' windowed' : ''}`, dataset: { entity: entity.store(app, name) } },
      el('figcaption', { title: `state store ${name}: key → value` },
        el('span', { class: 'cylinder', attrs: { 'aria-hidden': 'true' } }),
        el('b', { class: 'store-title', text: shortStore(name) }),
        changelog ? el('span', { class: 'store-changelog', title: `changelog topic ${changelog}` }, el('span', { class: 'muted', text: '→ ' }), shortTopic(app, changelog, true)) : null,
        this.restored,
        this.streamTime,
        this.cachedNote),
      this.list,
      this.more);
  }

  /**
   * @param {Array<{task: string, key: ?string, value: ?string, timestamp_us: number, cached: boolean}>} newest the
   *   store's newest entries, newest first (wire StoreView `newest`)
   * @param {number} size the entries the store holds in all its tasks
   * @param {number} restored changelog records replayed into the store so far
   * @param {Object<string, ?number>} streamTimes a windowed aggregation's store: task id → its
   *   processor's observed stream time in µs, null before its first record (wire StoreView
   *   `stream_time_us`); empty for other stores
   */
  render(newest, size, restored = 0, streamTimes = {}) {
    const before = this.values;
    this.values = new Map();
    const shown = (newest || []).slice(0, MAX_ROWS);
    const rows = shown.map((e) => {
      const id = `${e.task}\u0000${e.key}`;
      this.values.set(id, e.value);
      const changed = this.drawn && before.get(id) !== e.value;
      const key = this.windowed && e.key !== null ? windowedKey(e.key) : { text: e.key ?? 'null', color: e.key };
      const closed = e.closed === true;
      const cls = [changed ? 'changed' : '', closed ? 'closed' : '', e.cached ? 'cached' : ''].filter(Boolean).join(' ');
      const title = `task ${e.task}: ${e.key ?? 'null'} → ${e.value ?? 'null'}${closed ? ' (window closed: stream time passed its end plus grace)' : ''}${e.cached ? ' (in the record cache: flushed at the next commit)' : ''}`;
      return el('li', { class: cls, title },
        swatch(key.color), el('span', { class: 'store-key', text: key.text }),
        closed ? el('span', { class: 'window-closed', text: 'closed' }) : null,
        el('b', { class: 'store-value', text: e.value ?? 'null' }));
    });
    this.drawn = true;
    // Long keys or values (JSON objects) one entry per line, the short ones in columns.
    const long = shown.some((e) => (e.value ?? '').length > LONG_TEXT || (!this.windowed && (e.key ?? '').length > LONG_TEXT));
    this.list.classList.toggle('wide', long);
    this.list.replaceChildren(...rows);
    if (!rows.length) this.list.replaceChildren(el('li', { class: 'muted', text: 'empty' }));
    setHidden(this.more, size <= shown.length);
    setText(this.more, `+ ${formatCount(size - shown.length)} more entries`);
    setText(this.restored, restored ? `restored ${formatCount(restored)} from the changelog` : '');
    setText(this.streamTime, streamTimeText(streamTimes));
    setHidden(this.cachedNote, !shown.some((e) => e.cached));
  }
}

/**
 * `stream time 16.0 s`, or per task when several run (`stream time 0_0 16.0 s · 0_1 12.0 s`);
 * `no stream time yet` before a record reached the processor; empty outside windowed stores.
 */
export function streamTimeText(streamTimes) {
  const tasks = Object.entries(streamTimes || {});
  if (!tasks.length) return '';
  const at = (us) => (us === null || us === undefined ? 'none yet' : formatTime(us));
  if (tasks.length === 1) return `stream time ${at(tasks[0][1])}`;
  return `stream time ${tasks.map(([task, us]) => `${task} ${at(us)}`).join(' · ')}`;
}

export class StreamVsTable {
  /**
   * @param {string} topic the topic read both ways
   * @param {string} streamApp the app reading it as a KStream
   * @param {StoreTable} table the KTable's store table
   * @param {object} model the page's model (the topic's partitions and their offsets)
   * @param {{send: (body: object) => Promise<object>}} connection asks the room for records (`inspect`)
   */
  constructor(topic, streamApp, table, model, connection) {
    this.topic = topic;
    this.streamApp = streamApp;
    // The stream is one column beside the table, long records or not.
    this.stream = new TopicTail(topic, STREAM_ROWS, model, connection, STREAM_ROWS);
    this.root = el('div', { class: 'stream-vs-table' },
      el('section', {},
        el('h4', { text: `KStream ${topic}` }),
        // Drawn inside the table's application, so it says whose stream it is.
        el('p', { title: `the topic's records, as ${streamApp} reads them` }, this.stream.count,
          el('span', { class: 'muted', text: ` · as ${streamApp} reads it` })),
        this.stream.list),
      el('section', {},
        el('h4', { text: `KTable ${topic}` }),
        el('p', { class: 'muted', text: 'the latest value per key' }),
        table.root));
  }

  /** Reads the topic's records again when its partitions' high watermarks moved. */
  refresh() {
    this.stream.refresh();
  }
}
