// A topic's newest records, key and value, as its partitions' leaders hold them up to the high
// watermark (what a consumer can read): an `inspect` of each partition (the room sends a bounded
// tail of each log) when a high watermark moved, at most once a second, newest first by
// timestamp. Used for the KStream of a stream beside its table (streams-store.js), for what a
// Streams application wrote to each output topic (streams.js) and for a `records` focus's list
// under a topic's logs (logical.js): the records themselves, so a
// lesson that speaks of a record's contents ("customer null", "price per unit 4.5") shows them.
// Keys and values are drawn as text, never as HTML.

import { el, setText, formatCount } from '../text.js';
import { keyColor } from '../colors.js';
import { partitionId } from '../model.js';

/** Records an `inspect` answer carries per partition at most: the engine's newest records of
 * the leader's log (`engine::snapshot::SNAPSHOT_TAIL_RECORDS`). */
const INSPECT_RECORDS = 64;

/** A record whose key or value is longer than this is drawn one per line (a JSON value, a
 * sentence); a list of shorter ones (words and their counts) flows into columns. */
export const LONG_TEXT = 14;
/** How a record without a value reads: a tombstone (a table reading the topic deletes the key). */
const TOMBSTONE = 'null (tombstone)';
/** Records drawn one per line at most, when the list has a long one. */
export const LONG_ROWS = 3;

/**
 * The records a tail draws of the newest `records` (newest first): up to `rows` short ones, in
 * columns; up to LONG_ROWS (and `rows`) when one of them is long, one per line (`long`).
 * Exported so the browser tests ask what the page draws by the same rule.
 */
export function recordsShown(records, rows, longRows = LONG_ROWS) {
  // Measured as drawn: a window's bounds, a null key, a tombstone's "null (tombstone)".
  const long = records.slice(0, rows).some((r) => (windowedKey(r.key).text ?? 'null').length > LONG_TEXT || (r.value ?? TOMBSTONE).length > LONG_TEXT);
  return { long, shown: records.slice(0, long ? Math.min(rows, longRows) : rows) };
}

/** A topic's records are read again at most this often while its partitions grow. */
const READ_EVERY_MS = 1000;

/** A key's colour, as the partition logs draw it. */
export function swatch(key) {
  const s = el('span', { class: 'key-swatch', attrs: { 'aria-hidden': 'true' } });
  s.style.background = keyColor(key ?? null);
  return s;
}

/** Milliseconds since the epoch as a window bound: `30 s`, or `1500 ms`. */
function bound(ms) {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * A window store's key as the engine writes it, `[page-home@30000/40000]` (Kafka's
 * `Windowed.toString()`: the record key, the window's start and end in epoch ms), as
 * `page-home 30 s–40 s`; the record key alone picks the colour. A windowed aggregation's output
 * topic has such keys too. Any other key as it is. The key may itself hold `@`: the bounds
 * follow the last one, as the engine reads them back.
 */
export function windowedKey(key) {
  if (key === null) return { text: null, color: null };
  const m = /^\[(.*)@(-?\d+)\/(-?\d+)\]$/s.exec(key);
  // Written as the lessons say it: start included, end excluded (Kafka's TimeWindow).
  if (m) return { text: `${m[1]} [${bound(Number(m[2]))}, ${bound(Number(m[3]))})`, color: m[1] };
  return { text: key, color: key };
}

function keyCells(key) {
  const k = windowedKey(key);
  return [swatch(k.color), el('span', { class: 'store-key', text: k.text ?? 'null' })];
}

export class TopicTail {
  /**
   * @param {string} topic the topic read
   * @param {number} rows short records drawn (the newest); the rest is counted
   * @param {object} model the page's model (the topic's partitions and their offsets)
   * @param {{send: (body: object) => Promise<object>}} connection asks the room for records (`inspect`)
   * @param {number} longRows records drawn when one is long (see `recordsShown`)
   */
  constructor(topic, rows, model, connection, longRows = LONG_ROWS) {
    this.topic = topic;
    this.rows = rows;
    this.longRows = longRows;
    this.model = model;
    this.connection = connection;
    /** The topic's high watermarks the drawn list was read at ("" before the first read). */
    this.readAt = '';
    this.reading = false;
    this.lastRead = -Infinity;
    this.list = el('ol', { class: 'stream-records' });
    /** How many records the read found, for a caption. */
    this.count = el('span', { class: 'muted stream-count' });
    this.draw([], 0);
  }

  /** Reads the topic's records again when its partitions' high watermarks moved. */
  refresh() {
    const t = this.model.topics.get(this.topic);
    if (!t || this.reading) return;
    const ids = Array.from({ length: t.partitions }, (_, i) => partitionId(this.topic, i));
    const at = ids.map((id) => this.model.partitions.get(id)?.high_watermark ?? 0).join(',');
    if (at === this.readAt) return;
    const now = performance.now();
    if (now - this.lastRead < READ_EVERY_MS) {
      // Moved again within the second: read once the second is over (the next frame asks too).
      clearTimeout(this.later);
      this.later = setTimeout(() => this.refresh(), READ_EVERY_MS - (now - this.lastRead));
      return;
    }
    this.reading = true;
    this.lastRead = now;
    Promise.all(ids.map((_, i) => this.connection.send({ type: 'inspect', topic: this.topic, partition: i })))
      .then((replies) => {
        const records = [];
        // An answer carries a partition's newest records only (at most INSPECT_RECORDS): when
        // one was cut, the records read are not all there are, and the count says offsets
        // below the high watermarks instead (exact; a compacted log has gaps among them).
        let cut = false;
        let offsets = 0;
        replies.forEach((r, i) => {
          if (!r.ok) return;
          const p = r.inspect;
          if (p.records.length >= INSPECT_RECORDS && p.records[0].offset > p.log_start_offset) cut = true;
          offsets += Math.max(0, p.high_watermark - p.log_start_offset);
          // Up to the high watermark: what a consumer can read.
          for (const rec of p.records) if (rec.offset < p.high_watermark) records.push({ partition: i, ...rec });
        });
        records.sort((a, b) => b.timestamp_ms - a.timestamp_ms || b.offset - a.offset);
        this.draw(records, cut ? null : records.length, offsets);
        this.readAt = at;
      })
      .catch(() => { /* the room went away: the next frame asks again */ })
      .finally(() => {
        this.reading = false;
        // A move that came while the read was out is newer than what it returned: compare
        // again now (refresh reads only if the high watermarks moved), or a room that paused
        // meanwhile would keep a list one record short.
        if (this.readAt === at) this.refresh();
      });
  }

  /**
   * @param {Array<object>} all the records read, newest first
   * @param {number|null} total the records below the high watermarks, or null when not all
   *   were read (then `offsets`, their offsets, is counted instead)
   */
  draw(all, total, offsets = 0) {
    const { long, shown: records } = recordsShown(all, this.rows, this.longRows);
    this.list.classList.toggle('wide', long);
    this.list.replaceChildren(...records.map((r) => el('li', { title: `${this.topic}/${r.partition} offset ${r.offset}: ${r.key ?? 'null'} → ${r.value ?? 'null'}` },
      ...keyCells(r.key),
      // A null value: a tombstone (a table reading the topic deletes the key).
      r.value === null ? el('i', { class: 'store-value tombstone', text: TOMBSTONE }) : el('b', { class: 'store-value', text: r.value }))));
    if (!records.length) this.list.append(el('li', { class: 'muted', text: 'no records yet' }));
    setText(this.count, total === null
      ? `${formatCount(offsets)} offsets, newest first`
      : total ? `${formatCount(total)} record${total === 1 ? '' : 's'}, newest first` : '');
  }
}
