// The event log (newest at the bottom, like a terminal) and the caption line (the latest narration).
// Entries are appended incrementally: each model entry has a serial number and the view remembers the
// last one it drew. It keeps following the bottom unless the reader scrolled up.
// Repeats are folded by the server (wire.rs, "Folding repeats"): a folded line grows in place (its
// `rev` changes), showing "×N over D s". An expectation's verdict carries `data-kind`
// (`expect-passed`, `expect-failed`): presenter mode hides the passing ones (app.css), failures stay.

import { el, setText, setClass, formatStamp } from '../text.js';
import { LOG_LIMIT } from '../model.js';
import { TextFit } from './fit.js';

export class EventLogView {
  constructor(list, model) {
    this.list = list;
    this.model = model;
    this.lastSerial = 0;
    /** The model's `logRev` when this view last drew: entries with a newer `rev` changed. */
    this.lastRev = 0;
    this.follow = true;
    /** The blank added under the newest entry (px) so the top line shows whole (scrollToNewest). */
    this.tail = 0;
    // The log's box shrinks when a caption appears (app.css): keep the newest line in sight. Its
    // border box only: the tail changes the padding, never the box the terminal gives it.
    new ResizeObserver(() => {
      if (this.follow) requestAnimationFrame(() => this.scrollToNewest());
    }).observe(list, { box: 'border-box' });
  }

  /**
   * Scrolled to the newest entry, the log's top edge would fall anywhere in an older entry and
   * show a sliver of it (a box's height is rarely a whole number of lines, and entries wrap).
   * Instead the top edge is put exactly on an entry's top: the blank under the newest entry
   * grows by the part of a line that does not fit (`--log-tail`, app.css `.event-log::after`),
   * so the log shows whole entries only. The one-line log (app.css, @container event-log) has no
   * such edge: each entry is as tall as the box, and nothing is added.
   */
  scrollToNewest() {
    const list = this.list;
    // Where the view would start without a tail: the bottom of the content with the normal padding.
    const start = list.scrollHeight - this.tail - list.clientHeight;
    let tail = 0;
    if (start > 0.5) {
      const top = list.getBoundingClientRect().top + list.clientTop - list.scrollTop;
      // The oldest entry that starts at or below `start` (entries hidden in presenter mode have no box).
      let first = null;
      for (let li = list.lastElementChild; li; li = li.previousElementSibling) {
        if (!li.getClientRects().length) continue;
        const at = li.getBoundingClientRect().top - top;
        if (at < start - 0.5) break;
        first = at;
      }
      if (first !== null) tail = first - start;
    }
    if (Math.abs(tail - this.tail) > 0.25) {
      this.tail = tail;
      list.style.setProperty('--log-tail', `${tail}px`);
    }
    list.scrollTop = list.scrollHeight;
  }

  /** Is the reader at the bottom? Read before any view writes, so it costs no layout. */
  measure(change) {
    if (!(change.snapshot || change.log)) return;
    const list = this.list;
    this.follow = list.scrollTop + list.clientHeight >= list.scrollHeight - 24;
  }

  render(change) {
    if (!(change.snapshot || change.log)) return;
    const m = this.model;
    const list = this.list;
    if (change.snapshot) { list.replaceChildren(); this.lastSerial = 0; this.lastRev = 0; }
    // Folded lines that grew since the last render: redrawn where they are (a longer line may
    // wrap: the top line is placed again below).
    let grew = false;
    for (const e of m.log) {
      if (e.rev > this.lastRev && e.serial <= this.lastSerial) {
        const li = list.querySelector(`li[data-serial="${e.serial}"]`);
        if (li) { li.replaceWith(this.line(e)); grew = true; }
      }
    }
    this.lastRev = m.logRev;
    const fresh = m.log.filter((e) => e.serial > this.lastSerial);
    if (fresh.length) {
      const frag = document.createDocumentFragment();
      for (const e of fresh) frag.append(this.line(e));
      this.lastSerial = fresh[fresh.length - 1].serial;
      list.append(frag);
      while (list.childElementCount > LOG_LIMIT) list.firstElementChild.remove();
    }
    // Scroll at the start of the next frame, when the layout is clean again.
    if ((fresh.length || grew) && (this.follow || change.snapshot)) requestAnimationFrame(() => this.scrollToNewest());
  }

  /** One entry's line (text only, never HTML). */
  line(e) {
    const dataset = { level: e.level, subject: e.subject, serial: String(e.serial) };
    if (e.kind) dataset.kind = e.kind;
    if (e.fold) { dataset.fold = e.fold.key; dataset.count = String(e.fold.count); }
    return el('li', { class: `log-entry level-${safeToken(e.level)} subject-${safeToken(e.subject)}`, dataset },
      el('span', { class: 'log-time', text: formatStamp(e.at_us) }),
      el('span', { class: 'log-subject', text: e.subject }),
      // The whole text as a tooltip too: the one-line log cuts an entry at its end (app.css).
      el('span', { class: 'log-text', text: e.text, title: e.text }));
  }
}

export class CaptionView {
  constructor(node, model) {
    this.node = node;
    this.model = model;
    // A long narration gets smaller type rather than a "…" at the end of its second line.
    this.fit = new TextFit(node, 2);
  }

  render(change) {
    if (!(change.snapshot || change.caption)) return;
    const caption = this.model.caption;
    setText(this.node, caption || '');
    setClass(this.node, 'empty', !caption);
    this.fit.fit();
    if (caption && !change.snapshot && this.node.animate && !matchMedia('(prefers-reduced-motion: reduce)').matches) {
      this.node.animate([{ opacity: 0.2, transform: 'translateY(6px)' }, { opacity: 1, transform: 'none' }], { duration: 400, easing: 'ease-out' });
    }
  }
}

/** Level and subject names become class names; keep them to safe characters. */
function safeToken(s) {
  return String(s).replace(/[^a-z0-9-]/gi, '');
}
