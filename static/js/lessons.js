// The bundled lessons: the list from the server (`lessons`, asked once and shared with the editor)
// and the picker panel under the "Lessons" button. Picking one sends `load` with its id; "Demo"
// loads the demo scenario's text (it is not a lesson, so it goes by name and source). Each lesson
// says how long it plays: the server ran it headless once (`duration_us`: simulated time, so at 1×
// its wall time, without the time spent waiting at its pauses).

import { el } from './text.js';

const DEMO_URL = '/static/scenarios/demo.scenario';

/** The lessons, asked once; a failed answer is forgotten so the next call asks again. */
export class LessonCatalog {
  constructor(connection) {
    this.connection = connection;
    this.promise = null;
  }

  /** @returns {Promise<{id:string, title:string|null, pauses:number, duration_us:number|null, source:string}[]>} */
  list() {
    if (!this.promise) {
      this.promise = this.connection.send({ type: 'lessons' }).then((reply) => {
        if (!reply.ok || !Array.isArray(reply.lessons)) throw new Error(reply.error ? reply.error.message : 'no lessons in the reply');
        return reply.lessons;
      });
      this.promise.catch(() => { this.promise = null; });
    }
    return this.promise;
  }
}

/** `54 s`, `3 min 20 s`: how long a lesson plays at 1× (whole seconds, rounded up). */
export function playsFor(us) {
  const s = Math.ceil(us / 1e6);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
}

export class LessonPicker {
  /** onPicked(): a lesson was loaded from here (presenter mode comes on). */
  constructor(model, connection, catalog, { onPicked, onOpen }) {
    this.model = model;
    this.connection = connection;
    this.catalog = catalog;
    this.onPicked = onPicked;
    this.onOpen = onOpen;
    this.button = document.getElementById('lessons-button');
    this.panel = document.getElementById('lessons-panel');
    this.list = document.getElementById('lessons-list');
    this.error = document.getElementById('lessons-error');
    this.demoButton = document.getElementById('lessons-demo');
    // Opened from the keyboard (a click with detail 0), focus goes into the list; with the mouse it
    // stays put, so no focus ring is left on a projected screen.
    this.button.addEventListener('click', (e) => (this.isOpen ? this.close() : this.open({ focus: e.detail === 0 })));
    this.demoButton.addEventListener('click', () => this.loadDemo());
    this.list.addEventListener('click', (e) => {
      const item = e.target instanceof Element ? e.target.closest('[data-lesson]') : null;
      if (item) this.load(item.dataset.lesson, item);
    });
    // A click anywhere else closes the panel, like the menus.
    document.addEventListener('pointerdown', (e) => {
      if (this.isOpen && e.target instanceof Node && !this.panel.contains(e.target) && !this.button.contains(e.target)) this.close();
    });
  }

  get isOpen() {
    return !this.panel.hidden;
  }

  async open({ focus = true } = {}) {
    if (!this.model.control) return;
    this.onOpen();
    this.panel.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    this.place();
    this.error.replaceChildren();
    if (!this.list.childElementCount) this.list.replaceChildren(el('li', { class: 'muted lessons-loading', text: 'Loading…' }));
    let lessons;
    try {
      lessons = await this.catalog.list();
    } catch (err) {
      this.list.replaceChildren();
      this.showError(`Could not list the lessons: ${err.message}`);
      return;
    }
    if (!this.isOpen) return;
    this.draw(lessons);
    if (focus) (this.list.querySelector('[aria-current="true"]') || this.list.querySelector('[data-lesson]'))?.focus({ preventScroll: true });
  }

  /** Returns true if it was open. */
  close() {
    if (!this.isOpen) return false;
    const hadFocus = this.panel.contains(document.activeElement);
    this.panel.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    // Keyboard users land where they opened it, not on <body>.
    if (hadFocus) this.button.focus({ preventScroll: true });
    return true;
  }

  /** Under the button, right edges aligned, kept on screen. */
  place() {
    const r = this.button.getBoundingClientRect();
    this.panel.style.top = `${r.bottom + 6}px`;
    this.panel.style.right = `${Math.max(8, innerWidth - r.right)}px`;
  }

  draw(lessons) {
    const current = this.model.lesson ? this.model.lesson.id : null;
    this.list.replaceChildren(...lessons.map((l) => {
      const pauses = l.pauses === 1 ? '1 pause' : `${l.pauses} pauses`;
      const plays = typeof l.duration_us === 'number' ? playsFor(l.duration_us) : null;
      const item = el('button', {
        type: 'button',
        class: 'lesson-item',
        title: `${l.id}.scenario`,
        dataset: { lesson: l.id },
        attrs: { 'aria-current': l.id === current ? 'true' : null },
      },
      el('span', { class: 'lesson-item-title', text: l.title || l.id }),
      el('span', { class: 'lesson-item-meta' },
        el('span', { class: 'lesson-item-duration', text: plays, title: plays ? `plays ${plays} at 1×, plus the time spent at its pauses` : null }),
        plays ? ' · ' : null,
        pauses));
      return el('li', {}, item);
    }));
  }

  async load(id, item) {
    if (!this.model.control) return;
    await this.send({ type: 'load', lesson: id }, item);
  }

  async loadDemo() {
    if (!this.model.control) return;
    let source;
    try {
      const res = await fetch(DEMO_URL);
      if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
      source = await res.text();
    } catch (err) {
      this.showError(`Could not read the demo: ${err.message}`);
      return;
    }
    await this.send({ type: 'load', name: 'demo.scenario', source }, this.demoButton, { demo: true });
  }

  /** Send a `load`; on success close (a snapshot of the new room follows), else say why. */
  async send(body, item, { demo = false } = {}) {
    this.error.replaceChildren();
    item.classList.add('loading');
    item.setAttribute('aria-busy', 'true');
    try {
      const reply = await this.connection.send(body);
      if (reply.ok) {
        this.close();
        if (!demo) this.onPicked();
      } else {
        const first = reply.diagnostics && reply.diagnostics[0];
        const e = first || reply.error || { message: 'refused' };
        this.showError(e.line ? `line ${e.line}: ${e.message}` : e.message);
      }
    } catch (err) {
      this.showError(err.message);
    } finally {
      item.classList.remove('loading');
      item.removeAttribute('aria-busy');
    }
  }

  showError(text) {
    this.error.replaceChildren(el('div', { text }));
  }
}
