// The command console: any scenario line, with history (↑/↓, remembered across reloads) and the
// server's error shown just above the input (the line again, a caret at its column, the message and
// the hint), floating over the event log until the line is edited or Escape is pressed. Every part
// of it is text (el's `text` and string children are text nodes): what was typed is never markup.

import { el } from './text.js';

const HISTORY_KEY = 'playground.history';
const HISTORY_LIMIT = 100;

export class Console {
  constructor(connection, model) {
    this.connection = connection;
    /** The input is disabled while following; this guards a submit that slips through. */
    this.model = model;
    this.form = document.getElementById('console');
    this.input = document.getElementById('console-input');
    this.feedback = document.getElementById('console-feedback');
    this.history = loadHistory();
    /** Position while browsing history; history.length = the line being edited. */
    this.cursor = this.history.length;
    this.draft = '';
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.submit(); });
    this.input.addEventListener('keydown', (e) => this.onKey(e));
    this.input.addEventListener('input', () => { if (this.feedback.dataset.kind === 'error') this.clearFeedback(); });
  }

  async submit() {
    const line = this.input.value;
    if (!line.trim() || (this.model && !this.model.control)) return;
    this.remember(line);
    this.input.value = '';
    this.clearFeedback();
    let reply;
    try {
      reply = await this.connection.send({ type: 'command', line });
    } catch (err) {
      this.showError(line, { message: err.message });
      this.input.value = line;
      return;
    }
    if (reply.ok) {
      if (reply.output) this.showOutput(reply.output);
    } else {
      // Give the line back so it can be fixed where the caret points.
      this.input.value = line;
      this.showError(line, reply.error || { message: 'refused' });
      const col = reply.error && reply.error.col;
      if (col) this.input.setSelectionRange(col - 1, col - 1);
    }
  }

  showOutput(text) {
    this.feedback.dataset.kind = 'output';
    this.feedback.replaceChildren(el('pre', { class: 'console-output', text }));
  }

  showError(line, err) {
    this.feedback.dataset.kind = 'error';
    const parts = [];
    if (err.col) {
      // The line and a caret under the column (1-based, in characters).
      const col = Math.max(1, err.col);
      parts.push(el('pre', { class: 'caret-line' }, el('span', { text: line }), '\n', el('span', { class: 'caret', text: `${' '.repeat(col - 1)}^` })));
    }
    parts.push(el('div', { class: 'console-error', id: 'console-error' }, el('b', { text: 'error' }), `${err.col ? ` (column ${err.col})` : ''}: `, err.message));
    if (err.hint) parts.push(el('div', { class: 'console-hint', text: `hint: ${err.hint}` }));
    // One box around the parts: in presenter mode it grows upward from the log line's place
    // (app.css), so the page keeps its height whatever the message's length.
    this.feedback.replaceChildren(el('div', { class: 'console-feedback-body' }, ...parts));
  }

  clearFeedback() {
    delete this.feedback.dataset.kind;
    this.feedback.replaceChildren();
  }

  remember(line) {
    if (this.history[this.history.length - 1] !== line) this.history.push(line);
    if (this.history.length > HISTORY_LIMIT) this.history.splice(0, this.history.length - HISTORY_LIMIT);
    this.cursor = this.history.length;
    this.draft = '';
    try { localStorage.setItem(HISTORY_KEY, JSON.stringify(this.history)); } catch (e) { /* private mode */ }
  }

  onKey(e) {
    if (e.key === 'ArrowUp') {
      if (this.cursor === 0) return;
      e.preventDefault();
      if (this.cursor === this.history.length) this.draft = this.input.value;
      this.cursor--;
      this.setInput(this.history[this.cursor]);
    } else if (e.key === 'ArrowDown') {
      if (this.cursor >= this.history.length) return;
      e.preventDefault();
      this.cursor++;
      this.setInput(this.cursor === this.history.length ? this.draft : this.history[this.cursor]);
    } else if (e.key === 'Escape') {
      this.clearFeedback();
      this.input.blur();
    }
  }

  setInput(value) {
    this.input.value = value;
    this.input.setSelectionRange(value.length, value.length);
  }
}

function loadHistory() {
  try {
    const h = JSON.parse(localStorage.getItem(HISTORY_KEY) || '[]');
    return Array.isArray(h) ? h.filter((x) => typeof x === 'string').slice(-HISTORY_LIMIT) : [];
  } catch (e) {
    return [];
  }
}
