// Clicks become scenario lines. A click on a broker, consumer, producer or group opens a small menu
// whose items send the same command a teacher would type (`broker kill 1`); a click on a partition
// opens its details. The "+" buttons open small forms (topic, producer, group, consumer, one record)
// that build a line and show the server's error inline.

import { el } from './text.js';
import { lines } from './lines.js';
import { FOLLOWING_REASON, followingNote } from './classroom.js';

/** Menu items that only look (everything else changes the room). */
const LOOKING = new Set(['details']);

export class Actions {
  constructor(model, connection, details, { toast }) {
    this.model = model;
    this.connection = connection;
    this.details = details;
    this.toast = toast;
    this.menu = document.getElementById('menu');
    this.panel = document.getElementById('form-panel');
    document.addEventListener('click', (e) => this.onClick(e));
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && e.target instanceof Element && e.target.matches('[data-click]')) {
        e.preventDefault();
        this.activate(e.target, null);
      }
    });
  }

  /** Close whatever popup is open. Returns true if something was closed. */
  closePopups() {
    const open = !this.menu.hidden || !this.panel.hidden;
    this.closeMenu();
    this.closeForm();
    return open;
  }

  onClick(e) {
    const t = e.target;
    // A click whose target a handler already removed (a menu item, a form's Cancel) is handled.
    if (!(t instanceof Element) || !t.isConnected) return;
    if (this.menu.contains(t) || this.panel.contains(t)) return;
    const add = t.closest('[data-add]');
    if (add) { if (this.model.control) this.openAddForm(add.dataset.add, add); return; }
    if (t.closest('#add-button')) { if (this.model.control) this.addMenu(t.closest('#add-button')); return; }
    const target = t.closest('[data-click]');
    this.closePopups();
    if (target) this.activate(target, e);
  }

  activate(target, e) {
    const kind = target.dataset.click;
    const point = e && e.clientX ? { x: e.clientX, y: e.clientY } : anchorPoint(target);
    switch (kind) {
      case 'broker': this.brokerMenu(Number(target.dataset.broker), point); break;
      case 'consumer': this.consumerMenu(target.dataset.consumer, point); break;
      case 'producer': this.producerMenu(target.dataset.producer, point); break;
      case 'group': this.groupMenu(target.dataset.group, point); break;
      case 'partition': this.details.open('partition', target.dataset.partition); break;
      default:
    }
  }

  // ---- menus ----------------------------------------------------------------------------------

  brokerMenu(id, point) {
    const m = this.model;
    const b = m.brokers.get(id);
    if (!b) return;
    const others = m.brokerList().map((x) => x.id).filter((x) => x !== id);
    const items = [];
    if (b.alive) {
      items.push(['kill', 'Kill (crash)', () => this.run(lines.brokerKill(id))]);
      items.push(['stop', 'Stop (controlled shutdown)', () => this.run(lines.brokerStop(id))]);
    } else {
      items.push(['restart', 'Restart', () => this.run(lines.brokerRestart(id))]);
    }
    if (!m.isIsolated(id)) {
      items.push(['isolate', 'Isolate (no broker, client or controller reaches it)', () => this.run(lines.isolate(id))]);
      if (others.length && !m.network) items.push(['partition', 'Cut from the other brokers only', () => this.run(lines.partitionOff(id, others))]);
    }
    if (m.anyCut()) items.push(['heal', 'Heal network', () => this.run(lines.heal())]);
    items.push(['details', 'Details', () => this.details.open('broker', id)]);
    this.openMenu(`Broker ${id}`, items, point, { broker: String(id) });
  }

  consumerMenu(name, point) {
    const c = this.model.consumers.get(name);
    if (!c) return;
    const items = [...this.consumerActions(c), ['details', 'Details', () => this.details.open('consumer', name)]];
    this.openMenu(`Consumer ${name}`, items, point, { consumer: name });
  }

  /** What a consumer in its current state can be told to do (the menu adds Details). */
  consumerActions(c) {
    const name = c.name;
    const run = (verb) => () => this.run(lines.consumer(verb, name));
    switch (c.state) {
      case 'running':
        return [
          ['stop', 'Stop (leave cleanly)', run('stop')],
          ['crash', 'Crash', run('crash')],
          c.stalled ? ['resume', 'Resume', run('resume')] : ['stall', 'Stall (stop polling)', run('stall')],
        ];
      // A new process of the same name: it joins the group as a new member (`consumer restart`).
      case 'crashed':
      case 'stopped':
        return [['restart', 'Start again', run('restart')]];
      // A `closing` consumer is still committing and leaving: nothing to do until it stops.
      default:
        return [];
    }
  }

  producerMenu(name, point) {
    const p = this.model.producers.get(name);
    if (!p) return;
    const items = [];
    // A stopped producer is gone for good: the scenario language has no `producer start` and
    // refuses `resume` and `rate` for it, so only its details are left to look at.
    if (!p.stopped) {
      if (p.running) items.push(['pause', 'Pause', () => this.run(lines.producer('pause', name))]);
      else items.push(['resume', 'Resume', () => this.run(lines.producer('resume', name))]);
      items.push(['rate', 'Rate…', () => this.rateForm(name, point)]);
    }
    items.push(['details', 'Details', () => this.details.open('producer', name)]);
    this.openMenu(`Producer ${name}`, items, point, { producer: name });
  }

  groupMenu(name, point) {
    this.openMenu(`Group ${name}`, [
      ['add-consumer', 'Add a consumer…', () => this.openAddForm('consumer', null, { group: name }, point)],
      ['details', 'Details', () => this.details.open('group', name)],
    ], point, { group: name });
  }

  addMenu(anchor) {
    const point = anchorPoint(anchor);
    this.openMenu('Add', [
      ['add-topic', 'Topic…', () => this.openAddForm('topic', anchor)],
      ['add-producer', 'Producer…', () => this.openAddForm('producer', anchor)],
      ['add-group', 'Consumer group…', () => this.openAddForm('group', anchor)],
      ['add-consumer', 'Consumer…', () => this.openAddForm('consumer', anchor)],
      ['produce', 'Produce one record…', () => this.openAddForm('produce', anchor)],
    ], point, {});
  }

  /** items: [action, label, fn] */
  openMenu(title, items, point, target) {
    this.closePopups();
    const menu = this.menu;
    menu.replaceChildren(el('div', { class: 'menu-title', text: title }));
    menu.dataset.for = JSON.stringify(target);
    // Following the presenter: the actions are shown (they teach what could be done) but off.
    const locked = !this.model.control;
    for (const [action, label, fn] of items) {
      const off = locked && !LOOKING.has(action);
      const item = el('button', {
        type: 'button', class: `menu-item action-${action}`, dataset: { action },
        attrs: { role: 'menuitem', disabled: off, title: off ? FOLLOWING_REASON : null, 'aria-disabled': off ? 'true' : null }, text: label,
      });
      item.addEventListener('click', (e) => { e.stopPropagation(); if (off) return; this.closeMenu(); fn(); });
      menu.append(item);
    }
    if (locked && items.some(([action]) => !LOOKING.has(action))) menu.append(followingNote());
    menu.hidden = false;
    place(menu, point);
    menu.querySelector('.menu-item:not(:disabled)')?.focus({ preventScroll: true });
  }

  closeMenu() {
    this.menu.hidden = true;
    this.menu.replaceChildren();
  }

  /** Send a scenario line; show the server's refusal as a toast. */
  async run(line) {
    if (!this.model.control) return null;
    try {
      const reply = await this.connection.send({ type: 'command', line });
      if (!reply.ok) this.toast(`${line}: ${errorText(reply.error)}`);
      return reply;
    } catch (err) {
      this.toast(`${line}: ${err.message}`);
      return null;
    }
  }

  // ---- forms ----------------------------------------------------------------------------------

  rateForm(name, point) {
    const p = this.model.producers.get(name);
    const current = p && p.rate_per_s ? Number(p.rate_per_s.toFixed(2)) : 5;
    this.openForm({
      form: 'rate', title: `Rate of ${name}`, submit: 'Set rate',
      fields: [{ name: 'rate', label: 'records per second', type: 'number', value: current, min: 0, step: 'any' }],
      build: (v) => lines.producerRate(name, v.rate),
    }, point);
  }

  openAddForm(kind, anchor, preset = {}, point = null) {
    const m = this.model;
    const topics = [...m.topics.keys()].sort();
    const groups = [...m.groups.keys()].sort();
    const brokers = m.brokers.size || 1;
    const where = point || (anchor ? anchorPoint(anchor) : null);
    const specs = {
      topic: {
        title: 'Create a topic', submit: 'Create',
        fields: [
          { name: 'name', label: 'name', value: freeName('topic', m.topics) },
          { name: 'partitions', label: 'partitions', type: 'number', value: 3, min: 1 },
          { name: 'replication', label: 'replication factor', type: 'number', value: Math.min(3, brokers), min: 1, max: brokers },
          { name: 'minInsync', label: 'min.insync.replicas (optional)', type: 'number', value: '', min: 1 },
        ],
        build: (v) => lines.topicCreate(v),
      },
      producer: {
        title: 'Add a producer', submit: 'Add',
        fields: [
          { name: 'name', label: 'name', value: freeName('producer', m.producers) },
          { name: 'topic', label: 'topic', type: 'select', options: topics },
          { name: 'rate', label: 'records per second', type: 'number', value: 5, min: 0, step: 'any' },
          { name: 'keys', label: 'keys (A..B, none, or one key)', value: 'user-1..user-9' },
          { name: 'acks', label: 'acks', type: 'select', options: ['all', '1', '0'] },
        ],
        build: (v) => lines.producerAdd(v),
      },
      group: {
        title: 'Add a consumer group', submit: 'Add',
        fields: [
          { name: 'name', label: 'name', value: freeName('group', m.groups) },
          { name: 'topics', label: 'topics (comma-separated)', value: topics[0] || '' },
          { name: 'consumers', label: 'consumers', type: 'number', value: 2, min: 0 },
          { name: 'assignor', label: 'assignor', type: 'select', options: ['range', 'roundrobin', 'sticky', 'cooperative-sticky'] },
          { name: 'offsetReset', label: 'offset reset', type: 'select', options: [['', 'default (latest)'], 'earliest', 'latest'] },
        ],
        build: (v) => lines.groupAdd(v),
      },
      consumer: {
        title: 'Add a consumer', submit: 'Add',
        fields: [
          { name: 'group', label: 'group', type: 'select', options: groups, value: preset.group },
          { name: 'name', label: 'name', value: preset.group ? freeConsumerName(preset.group, m.consumers) : '' },
        ],
        build: (v) => lines.consumerAdd(v),
      },
      produce: {
        title: 'Produce one record', submit: 'Send',
        fields: [
          { name: 'topic', label: 'topic', type: 'select', options: topics },
          { name: 'key', label: 'key (optional)', value: 'user-1' },
          { name: 'value', label: 'value (optional)', value: 'hello' },
        ],
        build: (v) => lines.produce(v),
      },
    };
    const spec = specs[kind];
    if (!spec) return;
    this.openForm({ form: kind, ...spec }, where);
    if (kind === 'consumer') {
      // The suggested name follows the chosen group (billing → billing-3).
      const form = this.panel.querySelector('form');
      const group = form.elements.group;
      const name = form.elements.name;
      const suggest = () => { if (!name.dataset.touched) name.value = freeConsumerName(group.value, m.consumers); };
      group.addEventListener('change', suggest);
      name.addEventListener('input', () => { name.dataset.touched = '1'; });
      suggest();
    }
  }

  /**
   * A small form in #form-panel. spec: {form, title, submit, fields: [{name, label, type, value,
   * options, min, max, step}], build(values) → line}.
   */
  openForm(spec, point) {
    if (!this.model.control) return;
    this.closePopups();
    const form = el('form', { class: 'mini-form', dataset: { form: spec.form }, attrs: { novalidate: true } });
    form.append(el('div', { class: 'form-title', text: spec.title }));
    for (const f of spec.fields) {
      const id = `form-${spec.form}-${f.name}`;
      let input;
      if (f.type === 'select') {
        input = el('select', { id, name: f.name });
        for (const o of f.options) {
          const [value, label] = Array.isArray(o) ? o : [o, o];
          input.append(el('option', { value, text: label }));
        }
        if (f.value !== undefined) input.value = f.value;
      } else {
        input = el('input', { id, name: f.name, type: f.type || 'text', attrs: { spellcheck: 'false', min: f.min, max: f.max, step: f.step } });
        input.value = f.value ?? '';
      }
      form.append(el('label', { for: id, class: 'field' }, el('span', { class: 'field-label', text: f.label }), input));
    }
    const preview = el('code', { class: 'form-preview' });
    const error = el('div', { class: 'form-error', attrs: { 'aria-live': 'polite' } });
    const submit = el('button', { type: 'submit', class: 'btn btn-primary', text: spec.submit });
    const cancel = el('button', { type: 'button', class: 'btn', text: 'Cancel' });
    form.append(preview, error, el('div', { class: 'form-buttons' }, cancel, submit));
    const values = () => Object.fromEntries(spec.fields.map((f) => [f.name, String(form.elements[f.name].value).trim()]));
    // Show the line that will be sent: the page teaches the console language by example.
    const update = () => { preview.textContent = spec.build(values()); };
    form.addEventListener('input', update);
    form.addEventListener('change', update);
    cancel.addEventListener('click', () => this.closeForm());
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const line = spec.build(values());
      error.replaceChildren();
      submit.disabled = true;
      try {
        const reply = await this.connection.send({ type: 'command', line });
        if (reply.ok) this.closeForm();
        else {
          error.append(el('div', { text: errorText(reply.error) }));
          if (reply.error && reply.error.hint) error.append(el('div', { class: 'hint', text: `hint: ${reply.error.hint}` }));
        }
      } catch (err) {
        error.append(el('div', { text: err.message }));
      } finally {
        submit.disabled = false;
      }
    });
    this.panel.replaceChildren(form);
    this.panel.hidden = false;
    update();
    place(this.panel, point || { x: innerWidth / 2 - 180, y: 80 });
    form.querySelector('input, select')?.focus({ preventScroll: true });
  }

  closeForm() {
    this.panel.hidden = true;
    this.panel.replaceChildren();
  }
}

/**
 * A refusal of a line the page built (a menu item, a form): its message without the column,
 * which points into a line the user never typed (the console shows its own errors with a caret).
 */
function errorText(error) {
  if (!error) return 'refused';
  return error.message;
}

/** Below-left of an element, for popups opened from the keyboard or a button. */
function anchorPoint(node) {
  const r = node.getBoundingClientRect();
  return { x: r.left + Math.min(24, r.width / 2), y: r.top + Math.min(r.height, 40) };
}

/** Put a popup at a point, kept inside the viewport. */
function place(node, { x, y }) {
  node.style.left = '0px';
  node.style.top = '0px';
  const r = node.getBoundingClientRect();
  const left = Math.max(8, Math.min(x, innerWidth - r.width - 8));
  const top = Math.max(8, Math.min(y, innerHeight - r.height - 8));
  node.style.left = `${left}px`;
  node.style.top = `${top}px`;
}

function freeName(prefix, map) {
  for (let i = 1; ; i++) if (!map.has(`${prefix}-${i}`)) return `${prefix}-${i}`;
}

function freeConsumerName(group, consumers) {
  if (!group) return '';
  for (let i = 1; ; i++) if (!consumers.has(`${group}-${i}`)) return `${group}-${i}`;
}
