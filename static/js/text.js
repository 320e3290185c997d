// Safe DOM construction. Everything from the cluster or a user (keys, values, names, narration, errors)
// goes through textContent or setAttribute, never through an HTML parser: there is no innerHTML here.

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Create an element. `props` keys: `class`, `text`, `title`, `dataset` (object), `attrs` (object),
 * `on` (object of event listeners); `children` are nodes or strings (strings become text nodes).
 */
export function el(tag, props = {}, ...children) {
  return decorate(document.createElement(tag), props, children);
}

/** Same as `el` for SVG elements. */
export function svgEl(tag, props = {}, ...children) {
  return decorate(document.createElementNS(SVG_NS, tag), props, children);
}

function decorate(node, props, children) {
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (name === 'class') node.setAttribute('class', value);
    else if (name === 'text') node.textContent = String(value);
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name === 'attrs') for (const [a, v] of Object.entries(value)) { if (v !== undefined && v !== null && v !== false) node.setAttribute(a, v === true ? '' : String(v)); }
    else if (name === 'on') for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
    else node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  return node;
}

/**
 * Set a node's text only when it changed. The last value is cached on the node so an unchanged
 * value costs no DOM access at all (this runs for hundreds of nodes per frame).
 */
export function setText(node, text) {
  const s = text === null || text === undefined ? '' : String(text);
  if (node._text === s) return;
  node._text = s;
  // Changing the data of the existing text node is cheaper than replacing it and does not
  // count as a structural (childList) mutation.
  const only = node.firstChild;
  if (only && only === node.lastChild && only.nodeType === Node.TEXT_NODE && s !== '') only.data = s;
  else node.textContent = s;
}

/** Toggle a class only when its state changes. */
export function setClass(node, cls, on) {
  on = Boolean(on);
  const key = '_c_' + cls;
  if (node[key] !== on) { node[key] = on; node.classList.toggle(cls, on); }
}

/** Set an attribute only when it changed (`null` removes it). */
export function setAttr(node, name, value) {
  const key = '_a_' + name;
  const v = value === null || value === undefined || value === false ? null : String(value);
  if (node[key] === v) return;
  node[key] = v;
  if (v === null) node.removeAttribute(name); else node.setAttribute(name, v);
}

/** Set a CSS custom property or style only when it changed. */
export function setStyle(node, prop, value) {
  const key = '_s_' + prop;
  if (node[key] === value) return;
  node[key] = value;
  if (value === null) node.style.removeProperty(prop); else node.style.setProperty(prop, value);
}

/** Show or hide a node only when that changes. */
export function setHidden(node, hidden) {
  hidden = Boolean(hidden);
  if (node.hidden !== hidden) node.hidden = hidden;
}

/** Remove every child. */
export function clear(node) {
  node.replaceChildren();
}

/** Simulated microseconds as `12.4 s` (or minutes past 10 minutes). */
export function formatTime(us) {
  const s = us / 1e6;
  if (s < 600) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${(s - m * 60).toFixed(0).padStart(2, '0')} s`;
}

/** `t=12.3s`, the event log's compact timestamp. */
export function formatStamp(us) {
  return `t=${(us / 1e6).toFixed(1)}s`;
}

/** A rate per second, short: `5/s`, `0.5/s`, `2000/s`. */
export function formatRate(perS) {
  if (perS === null || perS === undefined) return '—';
  if (perS >= 100) return `${Math.round(perS)}/s`;
  if (perS >= 1) return `${Number(perS.toFixed(1))}/s`;
  return `${Number(perS.toFixed(2))}/s`;
}

/** "1 connection", "3 connections": a count with its noun, plural by adding an s. */
export function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * A client's line for the brokers it cannot reach and waits for (the snapshot's `waiting_for`:
 * leaders whose connection broke, retried on the reconnect backoff): "waiting for broker 1",
 * "waiting for brokers 1, 2"; empty when it waits for none.
 */
export function waitingForBrokers(ids) {
  if (!ids || !ids.length) return '';
  return `waiting for broker${ids.length === 1 ? '' : 's'} ${ids.join(', ')} · reconnecting`;
}

/** A count with thin thousands separators: 12 345. */
export function formatCount(n) {
  if (n === null || n === undefined) return '—';
  // Not toLocaleString: it is slow enough to matter at hundreds of calls per frame.
  const s = String(n);
  return s.length <= 4 ? s : s.replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
}

/** `{1,2,3}` */
export function formatSet(ids) {
  return `{${ids.join(',')}}`;
}
