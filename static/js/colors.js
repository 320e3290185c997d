// Palettes. Two independent encodings that never share colours:
// - a record key's colour: a stable hash of the key → KEY_PALETTE (the same key is the same colour
//   in every view and for every viewer);
// - a consumer's colour: its position in the room's consumer list → CONSUMER_PALETTE (Okabe–Ito,
//   colour-blind safe). Consumers never disappear, so a consumer keeps its colour for the session.
// The palettes are read from CSS custom properties so each theme can tune them for contrast.

/** Number of key colours (`--key-0` … in app.css). Paul Tol's "muted" scheme plus two. */
export const KEY_COLORS = 10;
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
