// The scenario editor (#editor): write or open a scenario, Check it (the server parses it and lists
// problems, running nothing), Run it (the room restarts with it — or, if it has problems, nothing
// runs and they are listed the same way), Download it, or Export this room's session as a file.
// The text is kept in localStorage so a reload loses nothing. Everything shown is user text or
// server text: textContent and value only.

import { el } from './text.js';
import { CodeArea } from './codearea.js';
import { store, recall } from './storage.js';

const DRAFT_KEY = 'playground.editor';
const SAVE_AFTER_MS = 400;

/** What "New" starts from: every line valid, one `pause` to show how lessons stop. */
export const TEMPLATE = `title "My scenario"
# One command per line (the console's language); # starts a comment.
seed 1
brokers 3
topic create orders partitions=3 replication=3
producer add shop topic=orders rate=4/s keys=user-1..user-9
group add billing topics=orders consumers=2 offset-reset=earliest

say "Three brokers, a producer and a group of two consumers."
wait 5s
pause

say "Broker 1 crashes: watch the leaders move."
broker kill 1
wait 10s
`;

export class Editor {
  constructor(model, connection, catalog, { onOpen }) {
    this.model = model;
    this.connection = connection;
    this.catalog = catalog;
    this.onOpen = onOpen;
    this.panel = document.getElementById('editor');
    this.button = document.getElementById('editor-button');
    this.name = document.getElementById('editor-name');
    this.status = document.getElementById('editor-status');
    this.list = document.getElementById('editor-diagnostics');
    this.openSelect = document.getElementById('editor-open');
    this.code = new CodeArea(document.getElementById('editor-text'), document.getElementById('editor-gutter'));
    // Keys typed here are text, not shortcuts (see controls.js).
    this.panel.dataset.noShortcuts = '';
    /** What the last Open/New/Export replaced, for Undo. */
    this.undo = null;
    this.restoreDraft();

    this.button.addEventListener('click', () => (this.isOpen ? this.close() : this.open()));
    document.getElementById('editor-close').addEventListener('click', () => this.close());
    document.getElementById('editor-new').addEventListener('click', () => this.replace('my.scenario', TEMPLATE, 'Started a new scenario.'));
    document.getElementById('editor-check').addEventListener('click', () => this.check());
    document.getElementById('editor-run').addEventListener('click', () => this.run());
    document.getElementById('editor-download').addEventListener('click', () => this.download());
    document.getElementById('editor-export').addEventListener('click', () => this.exportSession());
    this.openSelect.addEventListener('change', () => this.openLesson(this.openSelect.value));
    this.list.addEventListener('click', (e) => {
      const item = e.target instanceof Element ? e.target.closest('li[data-line]') : null;
      if (item) this.code.goTo(Number(item.dataset.line), Number(item.dataset.col) || 1);
    });
    let saveTimer = null;
    const edited = () => {
      // Problems listed for the text before this edit may now point at the wrong line.
      if (this.list.childElementCount) this.list.classList.add('stale');
      clearTimeout(saveTimer);
      saveTimer = setTimeout(() => this.saveDraft(), SAVE_AFTER_MS);
    };
    this.code.textarea.addEventListener('input', edited);
    this.name.addEventListener('input', edited);
  }

  get isOpen() {
    return !this.panel.hidden;
  }

  open() {
    this.onOpen();
    this.panel.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    this.fillLessons();
    this.code.textarea.focus({ preventScroll: true });
  }

  /** Returns true if it was open. The text stays for next time. */
  close() {
    if (!this.isOpen) return false;
    this.panel.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    this.saveDraft();
    if (this.panel.contains(document.activeElement)) this.button.focus({ preventScroll: true });
    return true;
  }

  fileName() {
    // A name for the download and for the server's messages: no folders, never empty.
    const name = this.name.value.trim().replace(/[\\/:*?"<>|]+/g, '-');
    return name || 'my.scenario';
  }

  async fillLessons() {
    if (this.openSelect.options.length > 1) return;
    let lessons;
    try {
      lessons = await this.catalog.list();
    } catch (err) {
      return; // the select just stays empty; the Lessons panel says why
    }
    if (this.openSelect.options.length > 1) return;
    for (const l of lessons) this.openSelect.append(el('option', { value: l.id, text: l.title ? `${l.id} — ${l.title}` : l.id }));
  }

  async openLesson(id) {
    this.openSelect.value = '';
    if (!id) return;
    try {
      const lesson = (await this.catalog.list()).find((l) => l.id === id);
      if (lesson) this.replace(`${lesson.id}.scenario`, lesson.source, `Opened the lesson ${lesson.id}.`);
    } catch (err) {
      this.say(`Could not list the lessons: ${err.message}`, 'error');
    }
  }

  async check() {
    await this.submit('check', { type: 'check', name: this.fileName(), source: this.code.value });
  }

  async run() {
    if (!this.model.control) return;
    await this.submit('run', { type: 'load', name: this.fileName(), source: this.code.value });
  }

  /** Check and Run answer the same way: a list of problems, or none. */
  async submit(kind, body) {
    this.say(kind === 'run' ? 'Loading…' : 'Checking…');
    let reply;
    try {
      reply = await this.connection.send(body);
    } catch (err) {
      this.say(err.message, 'error');
      return;
    }
    let problems = Array.isArray(reply.diagnostics) ? reply.diagnostics : [];
    // A refusal without diagnostics (an old server, a malformed request) is still one problem.
    if (!reply.ok && !problems.length) problems = [reply.error || { message: 'refused' }];
    this.showProblems(problems);
    if (problems.length) {
      this.say(`${problems.length === 1 ? '1 problem' : `${problems.length} problems`}${kind === 'run' ? ': nothing ran' : ''}. Click one to go to its line.`, 'error');
    } else if (kind === 'run') {
      this.say(`Running ${body.name}.`, 'ok');
      this.close();
    } else {
      this.say('No problems found.', 'ok');
    }
  }

  showProblems(problems) {
    this.code.mark(problems);
    this.list.classList.remove('stale');
    this.list.replaceChildren(...problems.map((p) => {
      const where = p.line ? `line ${p.line}${p.col ? `:${p.col}` : ''}` : 'file';
      const button = el('button', { type: 'button', class: 'diagnostic' },
        el('span', { class: 'diagnostic-where', text: where }), ' ',
        el('span', { class: 'diagnostic-message', text: p.message }),
        p.hint ? el('span', { class: 'diagnostic-hint', text: ` (${p.hint})` }) : null);
      return el('li', { dataset: p.line ? { line: String(p.line), col: String(p.col || 1) } : {} }, button);
    }));
  }

  download() {
    const name = this.fileName();
    const url = URL.createObjectURL(new Blob([this.code.value], { type: 'text/plain;charset=utf-8' }));
    const a = el('a', { href: url, attrs: { download: name }, hidden: '' });
    document.body.append(a);
    a.click();
    a.remove();
    // The download has started by the time the click returns; free the text on the next turn.
    setTimeout(() => URL.revokeObjectURL(url), 0);
    this.say(`Saved as ${name}.`, 'ok');
  }

  async exportSession() {
    this.say('Exporting…');
    let reply;
    try {
      reply = await this.connection.send({ type: 'export' });
    } catch (err) {
      this.say(err.message, 'error');
      return;
    }
    if (!reply.ok || typeof reply.output !== 'string') {
      this.say(`Export: ${reply.error ? reply.error.message : 'no file in the reply'}`, 'error');
      return;
    }
    this.replace('session.scenario', reply.output, 'This session, as a scenario. Download keeps it.');
  }

  /** Put another text in the editor, keeping the one it replaces for Undo. */
  replace(name, text, message) {
    const previous = { name: this.name.value, text: this.code.value };
    this.name.value = name;
    this.code.value = text;
    this.list.replaceChildren();
    this.saveDraft();
    const unchanged = previous.text === text || !previous.text.trim();
    this.undo = unchanged ? null : previous;
    this.say(message, 'ok', this.undo ? el('button', { type: 'button', class: 'btn btn-mini', text: 'Undo', on: { click: () => this.restore() } }) : null);
  }

  restore() {
    if (!this.undo) return;
    const { name, text } = this.undo;
    this.undo = null;
    this.name.value = name;
    this.code.value = text;
    this.list.replaceChildren();
    this.saveDraft();
    this.say('Restored the previous text.');
  }

  say(text, kind = '', extra = null) {
    if (kind) this.status.dataset.kind = kind; else delete this.status.dataset.kind;
    this.status.replaceChildren(el('span', { text }), extra || '');
  }

  saveDraft() {
    store(DRAFT_KEY, JSON.stringify({ name: this.name.value, text: this.code.value }));
  }

  restoreDraft() {
    let draft = null;
    try { draft = JSON.parse(recall(DRAFT_KEY) || 'null'); } catch (e) { /* unreadable: start afresh */ }
    const ok = draft && typeof draft.text === 'string' && typeof draft.name === 'string';
    this.name.value = ok ? draft.name : 'my.scenario';
    this.code.value = ok ? draft.text : TEMPLATE;
  }
}
