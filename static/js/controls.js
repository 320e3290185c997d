// Transport controls and keyboard shortcuts: space play/pause, → step, + (or =) faster, − slower.
// Shortcuts never fire while the user types in a field, nor inside a panel marked
// `data-no-shortcuts` (the scenario editor). Presenter mode may claim keys first (`keyHook`).
// While following the presenter (`model.control` false) the keys that would change the room send
// nothing (the server would refuse them): they only point at the Fork button (`onLocked`).

/** The speeds the − / + buttons step through (the server accepts 0.1 ..= 20). */
export const SPEEDS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20];

export class Controls {
  /** keyHook(e) → true when it handled the key (presenter mode: PageDown, → at a pause).
      onLocked(): a key or button that would change the room, while following. */
  constructor(model, connection, { onError, onEscape, keyHook, onLocked = () => {} }) {
    this.model = model;
    this.connection = connection;
    this.onError = onError;
    this.onEscape = onEscape;
    this.keyHook = keyHook;
    this.onLocked = onLocked;
    document.getElementById('play').addEventListener('click', () => this.togglePlay());
    document.getElementById('step').addEventListener('click', () => this.step());
    document.getElementById('speed-up').addEventListener('click', () => this.faster());
    document.getElementById('speed-down').addEventListener('click', () => this.slower());
    document.addEventListener('keydown', (e) => this.onKey(e));
  }

  togglePlay() {
    this.request({ type: this.model.clock.playing ? 'pause' : 'play' });
  }

  step() {
    this.request({ type: 'step' });
  }

  faster() {
    const s = this.model.clock.speed;
    const next = SPEEDS.find((x) => x > s + 1e-9);
    if (next !== undefined) this.request({ type: 'speed', speed: next });
  }

  slower() {
    const s = this.model.clock.speed;
    const next = [...SPEEDS].reverse().find((x) => x < s - 1e-9);
    if (next !== undefined) this.request({ type: 'speed', speed: next });
  }

  request(body) {
    if (!this.model.control) { this.onLocked(); return; }
    this.connection.send(body).then((reply) => {
      if (!reply.ok) this.onError(reply.error ? reply.error.message : 'refused');
    }, (err) => this.onError(err.message));
  }

  onKey(e) {
    if (e.key === 'Escape') { this.onEscape(); return; }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target instanceof Element && e.target.closest('[data-no-shortcuts]')) return;
    if (this.keyHook && this.keyHook(e)) return;
    if (isTyping(e.target)) return;
    switch (e.key) {
      case ' ':
        // A focused button would also "click" on space: let buttons keep that meaning.
        if (e.target instanceof HTMLButtonElement) return;
        e.preventDefault();
        this.togglePlay();
        break;
      case 'ArrowRight':
        e.preventDefault();
        this.step();
        break;
      case '+':
      case '=':
        e.preventDefault();
        this.faster();
        break;
      case '-':
      case '_':
        e.preventDefault();
        this.slower();
        break;
      case '/':
        e.preventDefault();
        document.getElementById('console-input').focus();
        break;
      default:
    }
  }
}

/**
 * Do keys edit text here (a text field, a textarea, a select, an editable element)? Unlike
 * `isTyping`, a range or a checkbox is not text entry: page-wide keys like PageDown still apply.
 */
export function isTextEntry(target) {
  if (!isTyping(target)) return false;
  return !(target instanceof HTMLInputElement && NOT_TEXT.has(target.type));
}
const NOT_TEXT = new Set(['range', 'checkbox', 'radio', 'button', 'submit', 'reset', 'color', 'file']);

/** Is the user typing somewhere (an input, a textarea, a select, an editable element)? */
export function isTyping(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT';
}
