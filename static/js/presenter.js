// Presenter mode: on/off (remembered across reloads), switched on by itself when a lesson is loaded,
// and the presenter's controls: Next (go on past a `pause`), Previous (back to the previous pause:
// time travel, the room as it was when it reached it), Restart, and the keys a presenter remote
// sends (PageDown / PageUp; → and ← as well, → only while the lesson waits at a pause, so that →
// keeps meaning "step" the rest of the time). At the lesson's end (every step run) Next is off:
// the lesson is over, Restart starts it again. The panel itself is drawn by views/presenter.js.

import { store } from './storage.js';
import { isTyping, isTextEntry } from './controls.js';

const PRESENTER_KEY = 'playground.presenter';

export class Presenter {
  /** @param {{onError: (text: string) => void, onChange: () => void}} hooks onChange: redraw the panel */
  constructor(model, connection, { onError, onChange }) {
    this.model = model;
    this.connection = connection;
    this.onError = onError;
    this.onChange = onChange;
    this.root = document.documentElement;
    this.toggle = document.getElementById('presenter-toggle');
    this.nextButton = document.getElementById('next');
    this.previousButton = document.getElementById('previous');
    /** The lesson object `next` (or `previous`) was sent at: both stay off until the model's
        lesson changes, so a double press (or a bouncing remote) cannot skip a pause. */
    this.sentAt = null;
    /** Lesson id last seen (undefined before the first snapshot). */
    this.lessonId = undefined;
    this.toggle.addEventListener('click', () => this.setOn(!this.on));
    this.nextButton.addEventListener('click', () => this.next());
    this.previousButton.addEventListener('click', () => this.previous());
    document.getElementById('restart').addEventListener('click', () => this.restart());
    model.addEventListener('change', (e) => { if (e.detail.snapshot || e.detail.lesson) this.onLesson(); });
    this.sync();
  }

  get on() {
    return this.root.dataset.presenter === '1';
  }

  setOn(on) {
    if (on === this.on) return;
    if (on) this.root.dataset.presenter = '1'; else delete this.root.dataset.presenter;
    store(PRESENTER_KEY, on ? '1' : '0');
    this.sync();
    // Type size and the panel changed: everything moved (assignment lines listen for this).
    dispatchEvent(new Event('resize'));
  }

  sync() {
    this.toggle.setAttribute('aria-pressed', this.on ? 'true' : 'false');
  }

  /**
   * A `load` brings another lesson (in the snapshot that follows it, or in the next frame): when
   * it has pauses (a file written to be presented — the demo has none), presenter mode comes on,
   * also for the other viewers of the room. The first snapshot only records the lesson, so a
   * reload keeps the remembered choice.
   */
  onLesson() {
    const lesson = this.model.lesson;
    const id = lesson ? lesson.id : null;
    if (this.lessonId !== undefined && id !== this.lessonId && lesson && lesson.pauses_total > 0) this.setOn(true);
    this.lessonId = id;
  }

  /** Every step of the lesson ran: nothing comes next. */
  isOver() {
    const lesson = this.model.lesson;
    return Boolean(lesson && lesson.pauses_total > 0 && lesson.finished);
  }

  /** Can Next go on now? */
  canNext() {
    const lesson = this.model.lesson;
    return Boolean(this.model.control && lesson && lesson.at_pause && !lesson.finished && lesson !== this.sentAt);
  }

  /**
   * Is there a pause to go back to? Waiting at pause N, Previous goes to N−1; after it (playing
   * on, or at the end) to N — the server's rule (wire.rs, `previous`).
   */
  canPrevious() {
    const lesson = this.model.lesson;
    if (!(this.model.control && lesson && lesson.pauses_total > 0 && lesson !== this.sentAt)) return false;
    return lesson.pauses_done >= (lesson.at_pause ? 2 : 1);
  }

  next() {
    if (!this.canNext()) return;
    this.go('next', 'Next');
  }

  previous() {
    if (!this.canPrevious()) return;
    this.go('previous', 'Previous');
  }

  go(type, name) {
    this.sentAt = this.model.lesson;
    this.onChange();
    this.connection.send({ type }).then((reply) => {
      if (!reply.ok) this.refused(name, reply.error ? reply.error.message : 'refused');
    }, (err) => this.refused(name, err.message));
  }

  refused(name, message) {
    this.sentAt = null;
    this.onChange();
    this.onError(`${name}: ${message}`);
  }

  restart() {
    if (!this.model.control) return;
    this.connection.send({ type: 'restart' }).then((reply) => {
      if (!reply.ok) this.onError(`Restart: ${reply.error ? reply.error.message : 'refused'}`);
    }, (err) => this.onError(`Restart: ${err.message}`));
  }

  /**
   * Keys, called by Controls before its own shortcuts. Returns true when the key was handled.
   * PageDown/PageUp (a remote's buttons) work everywhere but in text fields — a focused timeline
   * must not jump; → only where it would otherwise step.
   */
  handleKey(e) {
    if (!this.on) return false;
    switch (e.key) {
      case 'PageDown':
        if (isTextEntry(e.target)) return false;
        e.preventDefault();
        this.next();
        return true;
      case 'PageUp':
        // A remote's "back"; the page must not scroll even when there is nothing to go back to.
        if (isTextEntry(e.target)) return false;
        e.preventDefault();
        this.previous();
        return true;
      case 'ArrowLeft':
        if (isTyping(e.target) || !this.canPrevious()) return false;
        e.preventDefault();
        this.previous();
        return true;
      case 'ArrowRight':
        if (isTyping(e.target) || !this.canNext()) return false;
        e.preventDefault();
        this.next();
        return true;
      default:
        return false;
    }
  }

  /** A lesson was just picked here: show it the way it is meant to be shown. */
  lessonPicked() {
    this.setOn(true);
  }
}
