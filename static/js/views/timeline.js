// The timeline scrubber (#timeline): from 0 to the horizon (how far this room's timeline has been
// played), the thumb at the clock. Dragging shows the time it would go to; releasing sends `seek`
// (the room pauses there and the server sends a new snapshot). Between now and the horizon lies the
// recorded future: Play replays it, any command forks it — the hint says so.
// Markers on the track (#timeline-markers) are the moments the room marked (wire.rs, markers): a
// broker killed or restarted, a leader elected, an ISR changed, a group rebalancing, the network cut
// or healed; one button per instant with a glyph per kind, the events in its title, a click seeks
// there. Markers in the recorded future are drawn faded.

import { el, setText, setAttr, setHidden, setStyle, setClass, formatTime } from '../text.js';
import { FOLLOWING_REASON } from '../classroom.js';

const FREE_TITLE = 'Drag to travel in time; release to go there (paused)';

/** Markers closer than this on screen share a button (about one button's width). */
const MARKER_PX = 20;

/** A glyph and a name per marker kind (the leader mark ★ for elections, as in every view). */
export const MARKER_KINDS = {
  'broker-down': { glyph: '✕', name: 'broker down' },
  'broker-up': { glyph: '↻', name: 'broker restarted' },
  election: { glyph: '★', name: 'leader elected' },
  isr: { glyph: '◐', name: 'ISR changed' },
  rebalance: { glyph: '⇄', name: 'rebalance' },
  cut: { glyph: '✂', name: 'network cut' },
  heal: { glyph: '⟷', name: 'network healed' },
};

export class TimelineView {
  constructor(model, connection, { onError }) {
    this.model = model;
    this.connection = connection;
    this.onError = onError;
    this.bar = document.querySelector('.timeline-bar');
    this.input = document.getElementById('timeline');
    this.end = document.getElementById('timeline-end');
    this.target = document.getElementById('timeline-target');
    this.hint = document.getElementById('timeline-hint');
    this.markers = document.getElementById('timeline-markers');
    this.markers.addEventListener('click', (e) => {
      const button = e.target instanceof Element ? e.target.closest('[data-at-us]') : null;
      if (button) this.seekTo(Number(button.dataset.atUs));
    });
    /** The user holds the thumb (or a seek is on its way): frames must not move it meanwhile. */
    this.dragging = false;
    this.byPointer = false;
    const input = this.input;
    input.addEventListener('pointerdown', () => {
      if (input.disabled) return;
      this.dragging = true;
      this.byPointer = true;
      this.showTarget();
    });
    input.addEventListener('input', () => { this.dragging = true; this.showTarget(); });
    input.addEventListener('change', () => this.seek());
    // A press on the thumb without moving it sends no `change`: let go of the drag state anyway.
    input.addEventListener('pointerup', () => setTimeout(() => { if (!this.seeking) this.release(); }, 0));
    input.addEventListener('blur', () => { if (!this.seeking) this.release(); });
  }

  showTarget() {
    const max = Number(this.input.max);
    const to = this.valueUs();
    setText(this.target, `→ ${formatTime(to)}`);
    setStyle(this.target, '--pos', `${max > 0 ? (to / max) * 100 : 0}`);
    setHidden(this.target, false);
    setClass(this.bar, 'dragging', true);
  }

  /** The input's position as a time to seek to (whole microseconds, within 0 … horizon). */
  valueUs() {
    const horizon = this.model.timeline.horizon_us;
    return Math.max(0, Math.min(horizon, Math.round(Number(this.input.value))));
  }

  /** A marker was clicked: go to its instant (paused there). */
  async seekTo(to) {
    if (!this.model.control || this.dragging) return;
    await this.sendSeek(to);
  }

  async seek() {
    if (!this.model.control) { this.release(); return; }
    try {
      await this.sendSeek(this.valueUs());
    } finally {
      // After a drag with the mouse, give the keys back to the page (space, →, a remote's PageDown);
      // from the keyboard, focus stays so the arrows keep moving the thumb.
      if (this.byPointer) this.input.blur();
      this.release();
    }
  }

  /** Asks the room to go to `to`; a refusal is shown, never thrown. */
  async sendSeek(to) {
    this.seeking = true;
    try {
      const reply = await this.connection.send({ type: 'seek', to_us: to });
      if (!reply.ok) this.onError(`Timeline: ${reply.error ? reply.error.message : 'refused'}`);
    } catch (err) {
      this.onError(`Timeline: ${err.message}`);
    } finally {
      this.seeking = false;
    }
  }

  release() {
    this.dragging = false;
    this.byPointer = false;
    setHidden(this.target, true);
    setClass(this.bar, 'dragging', false);
    this.render({ timeline: true });
  }

  /** The markers' width in pixels, read before any view writes (stage.js measure phase). */
  measure() {
    this.trackPx = this.markers.clientWidth;
  }

  /**
   * One button per moment, placed where the thumb would stand then: the glyphs of the kinds of
   * the markers there (a fencing's election and ISR changes are one moment), their instants and
   * titles in its tooltip. Instants closer than a button's width on screen share one button (it
   * seeks to the first), so no marker hides another.
   */
  drawMarkers() {
    const horizon = this.model.timeline.horizon_us;
    const now = this.model.clock.now_us;
    const control = this.model.control;
    const order = Object.keys(MARKER_KINDS);
    const rank = (kind) => (order.includes(kind) ? order.indexOf(kind) : order.length);
    const marks = [...this.model.markers.values()].sort((a, b) => a.at_us - b.at_us || rank(a.kind) - rank(b.kind));
    const usPerPx = horizon / Math.max(1, this.trackPx || 1);
    /** @type {{at:number, marks:{at_us:number, kind:string, title:string}[]}[]} */
    const groups = [];
    for (const m of marks) {
      const last = groups[groups.length - 1];
      if (last && (m.at_us - last.at) < MARKER_PX * usPerPx) last.marks.push(m);
      else groups.push({ at: m.at_us, marks: [m] });
    }
    const have = new Map([...this.markers.children].map((b) => [Number(b.dataset.atUs), b]));
    for (const { at, marks: here } of groups) {
      let button = have.get(at);
      have.delete(at);
      if (!button) {
        button = el('button', { type: 'button', class: 'timeline-marker', dataset: { atUs: String(at) } });
        this.markers.append(button);
      }
      const kinds = [...new Set(here.map((m) => m.kind))].sort((a, b) => rank(a) - rank(b));
      const glyph = (kind) => (MARKER_KINDS[kind] || { glyph: '•' }).glyph;
      const name = (kind) => (MARKER_KINDS[kind] || { name: kind }).name;
      setText(button, kinds.map(glyph).join(''));
      setAttr(button, 'data-kinds', kinds.join(' '));
      const lines = here.map((m) => `${formatTime(m.at_us)} ${name(m.kind)}: ${m.title.replaceAll('\n', '; ')}`);
      setAttr(button, 'title', control ? `${lines.join('\n')}\n(click to go to ${formatTime(at)})` : lines.join('\n'));
      setAttr(button, 'aria-label', lines.join('. '));
      setStyle(button, '--pos', `${horizon > 0 ? (at / horizon) * 100 : 0}`);
      setClass(button, 'future', at > now);
      if (button.disabled === control) button.disabled = !control;
    }
    for (const button of have.values()) button.remove();
  }

  render(change) {
    const resized = this.trackPx !== this.drawnPx;
    if (change.snapshot || change.markers || change.timeline || change.clock || change.access || resized) {
      // While the thumb is held the scale stays put, the markers with it.
      if (!this.dragging) { this.drawMarkers(); this.drawnPx = this.trackPx; }
    }
    if (!(change.snapshot || change.clock || change.timeline || change.access)) return;
    const horizon = this.model.timeline.horizon_us;
    const now = Math.min(this.model.clock.now_us, horizon);
    const input = this.input;
    const rewound = this.model.clock.now_us < horizon;
    setHidden(this.hint, !rewound);
    setClass(this.bar, 'rewound', rewound);
    // While the user holds the thumb the scale stays put (a playing room's horizon grows every
    // frame, which would slide the thumb away under the pointer).
    if (this.dragging) return;
    setText(this.end, formatTime(horizon));
    setAttr(input, 'max', horizon);
    // Following the presenter: the thumb shows where the room is, but only the presenter travels.
    const disabled = horizon <= 0 || !this.model.control;
    if (input.disabled !== disabled) input.disabled = disabled;
    setAttr(input, 'title', this.model.control ? FREE_TITLE : FOLLOWING_REASON);
    // Played (0 … now) and recorded future (now … horizon) are drawn by the track's gradient.
    setStyle(input, '--now', `${horizon > 0 ? (now / horizon) * 100 : 100}%`);
    setAttr(input, 'aria-valuetext', `${formatTime(now)} of ${formatTime(horizon)}`);
    const v = String(now);
    if (input.value !== v) input.value = v;
  }
}
