// A state store's contents, key → value, as the engine's snapshot of the store has them (the
// store itself, not the record cache in front of it: what an interactive query of the store
// would return after a flush). The engine sends the most recently written entries, newest first
// (StoreView `newest`), and the store's size; the first MAX_ROWS are drawn as entries that flow
// into as many columns as the card's width allows (a word count's words fill the width rather
// than the height a projector lacks), and a line says how many more entries the store holds, so
// nothing is hidden silently. Entries whose value changed since the last frame are highlighted.
// The caption names the changelog topic and, once a task restored the store, how many changelog
// records were replayed into it (the engine's `counters.restored`).
//
// `StreamVsTable` sets a KStream beside a KTable when one topic is read both ways, as the
// course's "stream vs table" does: the stream is the topic's records as its partitions' leaders
// hold them (every record, newest first: an `inspect` of each partition when it grew), the table
// the store (the latest value per key).

import { el, setText, setHidden, formatCount } from '../text.js';
import { entity } from '../entities.js';
import { keyColor } from '../colors.js';
import { partitionId } from '../model.js';
import { shortStore, shortTopic } from './streams-graph.js';

/** Entries drawn per store; the rest is counted. */
const MAX_ROWS = 10;
/** Entries with a key or value longer than this are drawn one per line. */
const LONG_TEXT = 14;
/** Records of a stream drawn. */
const STREAM_ROWS = 8;

function swatch(key) {
  const s = el('span', { class: 'key-swatch', attrs: { 'aria-hidden': 'true' } });
  s.style.background = keyColor(key ?? null);
  return s;
}

/** Milliseconds since the epoch as a window bound: `30 s`, or `1500 ms`. */
function bound(ms) {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * A window store's key as the engine writes it, `["page-home",30000,40000]` (the record key, the
 * window's start and end in ms: Kafka's `Windowed<K>`), as `page-home 30 s–40 s`; the record key
 * alone picks the colour. Any other key as it is.
 */
export function windowedKey(key) {
  try {
    const k = JSON.parse(key);
    if (Array.isArray(k) && k.length === 3 && Number.isFinite(k[1]) && Number.isFinite(k[2])) {
      const inner = typeof k[0] === 'string' ? k[0] : JSON.stringify(k[0]);
      return { text: `${inner} ${bound(k[1])}–${bound(k[2])}`, color: inner };
    }
  } catch { /* not JSON: not a windowed key */ }
  return { text: key, color: key };
}

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
    this.root = el('figure', { class: `streams-store-table${this.windowed ? ' windowed' : ''}`, dataset: { entity: entity.store(app, name) } },
      el('figcaption', { title: `state store ${name}: key → value` },
        el('span', { class: 'cylinder', attrs: { 'aria-hidden': 'true' } }),
        el('b', { class: 'store-title', text: shortStore(name) }),
        changelog ? el('span', { class: 'store-changelog', title: `changelog topic ${changelog}` }, el('span', { class: 'muted', text: '→ ' }), shortTopic(app, changelog, true)) : null,
        this.restored),
      this.list,
      this.more);
  }

  /**
   * @param {Array<{task: string, key: ?string, value: ?string, timestamp_us: number}>} newest the
   *   store's newest entries, newest first (wire StoreView `newest`)
   * @param {number} size the entries the store holds in all its tasks
   * @param {number} restored changelog records replayed into the store so far
   */
  render(newest, size, restored = 0) {
    const before = this.values;
    this.values = new Map();
    const shown = (newest || []).slice(0, MAX_ROWS);
    const rows = shown.map((e) => {
      const id = `${e.task}\u0000${e.key}`;
      this.values.set(id, e.value);
      const changed = this.drawn && before.get(id) !== e.value;
      const key = this.windowed && e.key !== null ? windowedKey(e.key) : { text: e.key ?? 'null', color: e.key };
      return el('li', { class: changed ? 'changed' : '', title: `task ${e.task}: ${e.key ?? 'null'} → ${e.value ?? 'null'}` },
        swatch(key.color), el('span', { class: 'store-key', text: key.text }), el('b', { class: 'store-value', text: e.value ?? 'null' }));
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
  }
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
    this.model = model;
    this.connection = connection;
    /** The topic's offsets the drawn list was read at ("" before the first read). */
    this.readAt = '';
    this.reading = false;
    this.list = el('ol', { class: 'stream-records' });
    this.root = el('div', { class: 'stream-vs-table' },
      el('section', {},
        el('h4', { text: `KStream ${topic}` }),
        el('p', { class: 'muted', text: 'every record, newest first', title: `the topic's records, as ${streamApp} reads them` }),
        this.list),
      el('section', {},
        el('h4', { text: `KTable ${topic}` }),
        el('p', { class: 'muted', text: 'the latest value per key' }),
        table.root));
  }

  /** Reads the topic's records again when its partitions' high watermarks moved (what a consumer can read). */
  refresh() {
    const t = this.model.topics.get(this.topic);
    if (!t || this.reading) return;
    const ids = Array.from({ length: t.partitions }, (_, i) => partitionId(this.topic, i));
    const at = ids.map((id) => this.model.partitions.get(id)?.high_watermark ?? 0).join(',');
    if (at === this.readAt) return;
    this.reading = true;
    Promise.all(ids.map((_, i) => this.connection.send({ type: 'inspect', topic: this.topic, partition: i })))
      .then((replies) => {
        const records = [];
        replies.forEach((r, i) => {
          if (!r.ok) return;
          // Up to the high watermark: what the stream's consumer can read.
          for (const rec of r.inspect.records) if (rec.offset < r.inspect.high_watermark) records.push({ partition: i, ...rec });
        });
        records.sort((a, b) => b.timestamp_ms - a.timestamp_ms || b.offset - a.offset);
        this.draw(records.slice(0, STREAM_ROWS), records.length);
        this.readAt = at;
      })
      .catch(() => { /* the room went away: the next frame asks again */ })
      .finally(() => { this.reading = false; });
  }

  draw(records, total) {
    this.list.replaceChildren(...records.map((r) => el('li', { title: `${this.topic}/${r.partition}@${r.offset}` },
      swatch(r.key), el('span', { class: 'store-key', text: r.key ?? 'null' }),
      // A null value: a tombstone, which deletes the key from the table beside it.
      r.value === null ? el('i', { class: 'store-value tombstone', text: 'null (tombstone)' }) : el('b', { class: 'store-value', text: r.value }))));
    if (total > records.length) this.list.append(el('li', { class: 'muted', text: `+ ${formatCount(total - records.length)} older` }));
    if (!records.length) this.list.append(el('li', { class: 'muted', text: 'no records yet' }));
  }
}
