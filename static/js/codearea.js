// A plain textarea with a line-number gutter, for the scenario editor. The textarea does not wrap,
// so line N of the text is row N of the gutter; the gutter follows the textarea's scrolling. Lines
// with a problem are marked in the gutter (`[data-gutter-line="N"].error`, the messages as its
// tooltip), and `goTo` puts the cursor on a line and scrolls it into view.

import { el } from './text.js';

export class CodeArea {
  constructor(textarea, gutter) {
    this.textarea = textarea;
    this.gutter = gutter;
    /** line number → message, for the marked lines */
    this.marks = new Map();
    textarea.addEventListener('input', () => this.syncLines());
    textarea.addEventListener('scroll', () => { gutter.scrollTop = textarea.scrollTop; }, { passive: true });
    this.syncLines();
  }

  get value() {
    return this.textarea.value;
  }

  /** Replace the text (the cursor goes to the start, the marks go). */
  set value(text) {
    this.textarea.value = text;
    this.textarea.setSelectionRange(0, 0);
    this.textarea.scrollTop = 0;
    this.textarea.scrollLeft = 0;
    this.mark([]);
    this.syncLines();
  }

  /** One gutter row per line; rows are added or removed at the end only (typing is cheap). */
  syncLines() {
    const n = countLines(this.textarea.value);
    const g = this.gutter;
    while (g.childElementCount < n) {
      const line = g.childElementCount + 1;
      const row = el('div', { class: 'gutter-line', dataset: { gutterLine: String(line) }, text: line });
      this.decorate(row, line);
      g.append(row);
    }
    while (g.childElementCount > n) g.lastElementChild.remove();
    g.scrollTop = this.textarea.scrollTop;
  }

  /** Mark the lines of these problems ({line, message}); an empty list clears the marks. */
  mark(problems) {
    const old = [...this.marks.keys()];
    this.marks = new Map();
    for (const p of problems) {
      if (!p.line) continue;
      const prev = this.marks.get(p.line);
      this.marks.set(p.line, prev ? `${prev}\n${p.message}` : p.message);
    }
    for (const line of new Set([...old, ...this.marks.keys()])) {
      const row = this.gutter.children[line - 1];
      if (row) this.decorate(row, line);
    }
  }

  decorate(row, line) {
    const message = this.marks.get(line);
    row.classList.toggle('error', message !== undefined);
    if (message !== undefined) row.title = message; else row.removeAttribute('title');
  }

  /** Cursor to line `line`, column `col` (1-based, clamped), scrolled to a third of the height. */
  goTo(line, col = 1) {
    const ta = this.textarea;
    const text = ta.value;
    let start = 0;
    for (let i = 1; i < line; i++) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      start = nl + 1;
    }
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const at = Math.min(start + Math.max(0, col - 1), end);
    ta.focus({ preventScroll: true });
    ta.setSelectionRange(at, at);
    const lh = parseFloat(getComputedStyle(ta).lineHeight) || 20;
    ta.scrollTop = Math.max(0, (line - 1) * lh - ta.clientHeight / 3);
    this.gutter.scrollTop = ta.scrollTop;
    // Flash the line's number so the eye finds it.
    const row = this.gutter.children[line - 1];
    if (row && row.animate && !matchMedia('(prefers-reduced-motion: reduce)').matches) {
      row.animate([{ background: 'var(--accent)', color: 'var(--accent-ink)' }, {}], { duration: 900, easing: 'ease-out' });
    }
  }
}

function countLines(text) {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
