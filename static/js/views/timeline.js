// The timeline scrubber (#timeline): from 0 to the horizon (how far this room's timeline has been
// played), the thumb at the clock. Dragging shows the time it would go to; releasing sends `seek`
// (the room pauses there and the server sends a new snapshot). Between now and the horizon lies the
// recorded future: Play replays it, any command forks it — the hint says so.

import { setText, setAttr, setHidden, setStyle, setClass, formatTime } from '../text.js';
import { FOLLOWING_REASON } from '../classroom.js';

const FREE_TITLE = 'Drag to travel in time; release to go there (paused)';

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

  async seek() {
    if (!this.model.control) { this.release(); return; }
    const to = this.valueUs();
    this.seeking = true;
    try {
      const reply = await this.connection.send({ type: 'seek', to_us: to });
      if (!reply.ok) this.onError(`Timeline: ${reply.error ? reply.error.message : 'refused'}`);
    } catch (err) {
      this.onError(`Timeline: ${err.message}`);
    } finally {
      this.seeking = false;
      // After a drag with the mouse, give the keys back to the page (space, →, a remote's PageDown);
      // from the keyboard, focus stays so the arrows keep moving the thumb.
      if (this.byPointer) this.input.blur();
      this.release();
    }
  }

  release() {
    this.dragging = false;
    this.byPointer = false;
    setHidden(this.target, true);
    setClass(this.bar, 'dragging', false);
    this.render({ timeline: true });
  }

  render(change) {
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
