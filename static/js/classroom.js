// The classroom (`playground serve --share`): who may change this room, and what the page offers
// each person in it.
//
// - Following (this connection may not change the room: a student in the presenter's room): a calm
//   banner says so and offers "Fork a sandbox"; every control that would change the room is
//   disabled, with a tooltip saying why (the other modules also check `model.control` themselves,
//   so a key or a stray click sends nothing).
// - In a sandbox (the room's owner is "open" and it was forked): a banner names the room it came
//   from and leads back to following it.
// - The presenter of a shared server: how many follow and how many sandboxes there are, and the
//   "Class link" panel with the students' URL as a QR code big enough to scan from a projector.
//
// Everything shown is text (textContent); the QR code is an <img> of the server's /class.svg.

import { el, setText, setAttr, setHidden, setClass } from './text.js';

/** Why a control is off while following (its tooltip). */
export const FOLLOWING_REASON = 'Following the presenter: only the presenter changes this room. Fork a sandbox to try it yourself.';

/** Controls that change the room, by id (Next and the timeline are handled by their own views). */
const LOCKED_IDS = ['play', 'step', 'speed-down', 'speed-up', 'add-button', 'lessons-button', 'lessons-demo', 'editor-run', 'restart', 'console-input'];

const CONSOLE_FOLLOWING_PLACEHOLDER = 'following the presenter: fork a sandbox to type commands of your own';

export class Classroom {
  constructor(model, connection, { toast }) {
    this.model = model;
    this.connection = connection;
    this.toast = toast;
    this.root = document.documentElement;
    this.bar = document.getElementById('classroom-bar');
    this.followingBar = document.getElementById('following-bar');
    this.sandboxBar = document.getElementById('sandbox-bar');
    this.sandboxTitle = document.getElementById('sandbox-title');
    this.forkButton = document.getElementById('fork');
    this.back = document.getElementById('back-to-following');
    this.audience = document.getElementById('audience');
    this.classButton = document.getElementById('class-link-button');
    this.panel = document.getElementById('class-panel');
    this.qr = document.getElementById('class-qr');
    this.classUrl = document.body.dataset.classUrl || '';
    this.forking = false;
    this.locked = null;

    this.forkButton.addEventListener('click', () => this.fork());
    this.classButton.addEventListener('click', () => (this.isOpen ? this.close() : this.open()));
    document.getElementById('class-close').addEventListener('click', () => this.close());
    setText(document.getElementById('class-url'), this.classUrl);
    // A click anywhere else closes the panel, like the lessons.
    document.addEventListener('pointerdown', (e) => {
      if (this.isOpen && e.target instanceof Node && !this.panel.contains(e.target) && !this.classButton.contains(e.target)) this.close();
    });
    // Before the server's hello, lock by the page's guess, so a student never sees live controls.
    this.lock(!model.control);
  }

  render(change) {
    if (!(change.access || change.snapshot || change.audience)) return;
    const m = this.model;
    if (change.access || change.snapshot) this.lock(!m.control);
    // Banners only once the server has said who we are and the room has been seen.
    const known = m.greeted && m.snapshots > 0;
    const following = known && !m.control;
    const sandbox = known && !following && m.owner === 'open' && Boolean(m.forkedFrom);
    setHidden(this.followingBar, !following);
    setHidden(this.sandboxBar, !sandbox);
    setHidden(this.bar, !(following || sandbox));
    if (this.root.dataset.classroom !== (following ? 'following' : sandbox ? 'sandbox' : '')) {
      if (following) this.root.dataset.classroom = 'following';
      else if (sandbox) this.root.dataset.classroom = 'sandbox';
      else delete this.root.dataset.classroom;
      // The banner took or gave back a row: the assignment lines must follow.
      dispatchEvent(new Event('resize'));
    }
    if (sandbox) {
      setText(this.sandboxTitle, `Your sandbox (forked from ${m.forkedFrom})`);
      setAttr(this.back, 'href', m.forkedFrom === 'demo' ? '/' : `/r/${encodeURIComponent(m.forkedFrom)}`);
    }
    const presenter = m.greeted && m.access.shared && m.access.role === 'presenter';
    setHidden(this.classButton, !(presenter && this.classUrl));
    setHidden(this.audience, !presenter);
    // The top bar has two more things in it: CSS makes room (the connection shows as a dot).
    if (presenter) this.root.dataset.sharedPresenter = '1'; else delete this.root.dataset.sharedPresenter;
    if (!presenter && this.isOpen) this.close();
    if (presenter) this.showAudience();
  }

  showAudience() {
    const a = this.model.audience;
    if (!a) { setText(this.audience, ''); return; }
    // Connections without control: the students following (the presenter's tabs are not counted).
    const following = a.following ?? Math.max(0, a.viewers - 1);
    const sandboxes = a.sandboxes === 1 ? '1 sandbox' : `${a.sandboxes} sandboxes`;
    setText(this.audience, `${following} following · ${sandboxes}`);
    setClass(this.audience, 'empty', following === 0 && a.sandboxes === 0);
  }

  /** Disable (or give back) every control that changes the room, with the reason as its tooltip. */
  lock(locked) {
    if (this.locked === locked) return;
    this.locked = locked;
    const nodes = LOCKED_IDS.map((id) => document.getElementById(id)).filter(Boolean);
    nodes.push(...document.querySelectorAll('[data-add]'));
    for (const node of nodes) {
      swap(node, 'title', locked ? FOLLOWING_REASON : null);
      node.disabled = locked;
    }
    // Next is switched on and off by its view (views/presenter.js); here only its tooltip.
    swap(document.getElementById('next'), 'title', locked ? FOLLOWING_REASON : null);
    swap(document.getElementById('console-input'), 'placeholder', locked ? CONSOLE_FOLLOWING_PLACEHOLDER : null);
  }

  /** A key that would change the room was pressed while following: point at Fork, quietly. */
  nudge() {
    if (this.followingBar.hidden || !this.forkButton.animate) return;
    if (matchMedia('(prefers-reduced-motion: reduce)').matches) return;
    this.forkButton.animate([{ transform: 'scale(1)' }, { transform: 'scale(1.08)' }, { transform: 'scale(1)' }], { duration: 450, easing: 'ease-out' });
  }

  /** Ask for a sandbox of this room, then open it (the token, if any, stays in sessionStorage). */
  async fork() {
    if (this.forking) return;
    this.forking = true;
    this.forkButton.disabled = true;
    this.forkButton.setAttribute('aria-busy', 'true');
    setText(this.forkButton, 'Forking…');
    let failed = null;
    try {
      const reply = await this.connection.send({ type: 'fork' });
      if (reply.ok && reply.output) {
        location.assign(`/r/${encodeURIComponent(reply.output)}`);
        return;
      }
      failed = reply.error ? reply.error.message : 'refused';
    } catch (err) {
      failed = err.message;
    }
    this.forking = false;
    this.forkButton.disabled = false;
    this.forkButton.removeAttribute('aria-busy');
    setText(this.forkButton, 'Fork a sandbox');
    this.toast(`Fork: ${failed}`);
  }

  get isOpen() {
    return !this.panel.hidden;
  }

  open() {
    // The QR code is fetched the first time the panel opens (students never ask for it).
    if (!this.qr.getAttribute('src')) this.qr.setAttribute('src', '/class.svg');
    this.panel.hidden = false;
    this.classButton.setAttribute('aria-expanded', 'true');
  }

  /** Returns true if it was open. */
  close() {
    if (!this.isOpen) return false;
    const hadFocus = this.panel.contains(document.activeElement);
    this.panel.hidden = true;
    this.classButton.setAttribute('aria-expanded', 'false');
    if (hadFocus) this.classButton.focus({ preventScroll: true });
    return true;
  }
}

/**
 * Put `value` in an attribute, keeping what was there to give back when `value` is null.
 * The original is kept in `data-free-ATTR`.
 */
function swap(node, attr, value) {
  const key = `free${attr[0].toUpperCase()}${attr.slice(1)}`;
  if (value !== null) {
    if (!(key in node.dataset)) node.dataset[key] = node.getAttribute(attr) ?? '';
    node.setAttribute(attr, value);
  } else if (key in node.dataset) {
    if (node.dataset[key]) node.setAttribute(attr, node.dataset[key]); else node.removeAttribute(attr);
    delete node.dataset[key];
  }
}

/** A small note for menus while following (why the actions are off). */
export function followingNote() {
  return el('div', { class: 'menu-note', text: 'Following the presenter: fork a sandbox to change things.' });
}
