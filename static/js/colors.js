// Palettes. Two independent encodings that never share colours:
// - a record key's look: a stable hash of the key → one of KEY_COLORS colours (8 hues × 3
//   lightnesses in OKLCH, so neighbours differ in lightness as well as hue) and, as a second channel
//   for keys whose colours collide, one of KEY_MARKS corner marks: 72 looks (the same key looks the
//   same in every view and for every viewer);
// - a consumer's colour: its position in the room's consumer list → CONSUMER_PALETTE (Okabe–Ito,
//   colour-blind safe). Consumers never disappear, so a consumer keeps its colour for the session.
// The palettes are read from CSS custom properties so each theme can tune them for contrast.

/** Number of key colours (`--key-0` … `--key-23` in app.css). */
export const KEY_COLORS = 24;
/** Number of key marks (`.cell.m-0` none, `m-1` a corner, `m-2` a bar in app.css). */
export const KEY_MARKS = 3;
/** Number of consumer colours (`--consumer-0` … in app.css). Okabe–Ito without black. */
export const CONSUMER_COLORS = 7;

/** FNV-1a over UTF-16 code units: stable across sessions and browsers. */
export function hashString(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Palette index of a key, or null for a record without a key. */
export function keyIndex(key) {
  if (key === null || key === undefined) return null;
  return hashString(key) % KEY_COLORS;
}

/**
 * The mark of a key, independent of its colour (another part of the hash), or null without a key:
 * two keys with one colour still differ two times in three.
 */
export function keyMark(key) {
  if (key === null || key === undefined) return null;
  return Math.floor(hashString(key) / KEY_COLORS) % KEY_MARKS;
}

/** The cell classes of a key: `k-N m-M`, `null-key` or `unknown-key` (not sampled). */
export function keyClasses(key, known = true) {
  if (!known) return 'unknown-key';
  const i = keyIndex(key);
  return i === null ? 'null-key' : `k-${i} m-${keyMark(key)}`;
}

/** CSS colour for a key: `var(--key-N)`, `var(--key-null)` (no key) or `var(--key-unknown)`. */
export function keyColor(key, known = true) {
  if (!known) return 'var(--key-unknown)';
  const i = keyIndex(key);
  return i === null ? 'var(--key-null)' : `var(--key-${i})`;
}

/** CSS colour for the consumer at `index` in the room's consumer order. */
export function consumerColor(index) {
  if (index === undefined || index === null || index < 0) return 'var(--muted)';
  return `var(--consumer-${index % CONSUMER_COLORS})`;
}
