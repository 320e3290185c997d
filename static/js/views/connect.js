// Kafka Connect's workers, connectors and tasks: a panel of the cluster column, shown only while
// Connect has a worker or a connector. On top, one card per connector (`connector:NAME`): its
// class, its state (and the target state when they differ, e.g. paused but not yet), what it
// reads and writes, and its task count. Below, one box per worker (`worker:NAME`) holding the
// chips of the tasks it runs; a worker that is down is drawn as down. Placement comes from the
// tasks alone (each names its worker): tasks no worker runs sit in the "no worker" tray with the
// state the engine gives them (UNASSIGNED after a crash), and when a task's worker changes its
// chip slides to the new box. External systems are drawn at the edges (connect-systems.js).

import { el, setText, setClass, setHidden, setAttr } from '../text.js';
import { entity } from '../entities.js';
import { liveConnectors, liveTasks, simpleClass } from './connect-model.js';
import { TaskChips, placeChildren } from './connect-tasks.js';

export class ConnectView {
  /** @param {{section: HTMLElement, body: HTMLElement}} panel from `stage.addPanel` */
  constructor(panel, model, { reducedMotion }) {
    this.panel = panel;
    this.model = model;
    this.tasks = new TaskChips({ reducedMotion });
    this.connectorRow = el('div', { class: 'connectors' });
    this.workerRow = el('div', { class: 'connect-workers' });
    this.trayChips = el('div', { class: 'connect-chips' });
    // One line of heading: at 1280×720 a second one pushed the tray's last chip out of the panel.
    this.tray = el('div', { class: 'connect-worker connect-tray', attrs: { title: 'Tasks no live worker runs' } },
      el('div', { class: 'connect-worker-head' }, el('span', { class: 'entity-name', text: 'no worker' })),
      this.trayChips);
    panel.body.append(this.connectorRow, this.workerRow);
    /** connector name → card parts; worker name → box parts */
    this.cards = new Map();
    this.boxes = new Map();
    setHidden(panel.section, true);
  }

  render(change) {
    if (!(change.snapshot || change.connect)) return;
    const m = this.model;
    const connectors = liveConnectors(m);
    setHidden(this.panel.section, m.connectWorkers.size === 0 && connectors.length === 0);
    this.renderConnectors(connectors);
    this.tasks.remember();
    const byConnector = new Map(connectors.map((c) => [c.name, c]));
    const onWorker = new Map([...m.connectWorkers.keys()].map((w) => [w, []]));
    const unplaced = [];
    const present = new Set();
    for (const t of liveTasks(m)) {
      const chip = this.tasks.chip(t, byConnector.get(t.connector), m.connectWorkers.get(t.worker));
      present.add(`${t.connector}-${t.id}`);
      if (t.worker !== null && t.worker !== undefined && onWorker.has(t.worker)) onWorker.get(t.worker).push(chip);
      else unplaced.push(chip);
    }
    this.tasks.prune(present);
    const boxes = [...m.connectWorkers.values()].map((w) => this.renderWorker(w, onWorker.get(w.name)));
    placeChildren(this.trayChips, unplaced);
    if (unplaced.length) boxes.push(this.tray);
    placeChildren(this.workerRow, boxes);
    this.tasks.slide();
  }

  renderConnectors(connectors) {
    const cards = connectors.map((c) => {
      let k = this.cards.get(c.name);
      if (!k) { k = makeConnectorCard(c); this.cards.set(c.name, k); }
      setText(k.state, c.state);
      setClass(k.card, 'failed', c.state === 'FAILED');
      setClass(k.card, 'unassigned', c.state === 'UNASSIGNED');
      // The user asked for something the connector is not (yet): say both.
      const asked = { STARTED: 'RUNNING', PAUSED: 'PAUSED', STOPPED: 'STOPPED' }[c.target];
      const differs = Boolean(asked) && asked !== c.state;
      setText(k.target, differs ? `target state ${c.target}` : '');
      setHidden(k.target, !differs);
      setText(k.flow, c.source ? `${c.systems.join(', ')} → ${c.topics.join(', ')}` : `${c.topics.join(', ')} → ${c.systems.join(', ')}`);
      setText(k.count, `${c.tasks} task${c.tasks === 1 ? '' : 's'}`);
      setAttr(k.card, 'title', `${c.name}: ${c.class}, created on ${c.worker}${c.trace ? `\n${c.trace}` : ''}`);
      return k.card;
    });
    const names = new Set(connectors.map((c) => c.name));
    for (const [name] of this.cards) if (!names.has(name)) this.cards.delete(name);
    placeChildren(this.connectorRow, cards);
  }

  renderWorker(w, chips) {
    let b = this.boxes.get(w.name);
    if (!b) {
      const state = el('span', { class: 'status-pill' });
      const chipsBox = el('div', { class: 'connect-chips' });
      const empty = el('span', { class: 'muted connect-empty' });
      const mode = el('span', { class: 'tag' });
      const lead = el('span', { class: 'tag connect-leader', text: 'group leader' });
      const box = el('div', {
        class: 'connect-worker',
        dataset: { entity: entity.worker(w.name) },
      }, el('div', { class: 'connect-worker-head' },
        el('span', { class: 'entity-name', text: w.name, title: w.name }),
        mode, lead, state),
      chipsBox, empty);
      b = { box, mode, lead, state, chipsBox, empty };
      this.boxes.set(w.name, b);
    }
    // A distributed worker names its Connect cluster (group.id): a name may be reused in another mode.
    setText(b.mode, w.group ? `${w.mode} · ${w.group}` : w.mode);
    // The worker leading its Connect cluster's group: it runs the assignor that places the tasks.
    setHidden(b.lead, !w.leader);
    // A crashed worker is drawn as a failure; one stopped cleanly (`worker stop`: its tasks shut
    // down, offsets flushed, its group left) is only out of the way.
    const state = w.alive ? 'up' : w.crashed ? 'down' : 'stopped';
    setText(b.state, state);
    setClass(b.box, 'down', !w.alive && w.crashed);
    setClass(b.box, 'stopped', !w.alive && !w.crashed);
    setAttr(b.box, 'aria-label', `Connect worker ${w.name}, ${state}, ${chips.length} tasks`);
    placeChildren(b.chipsBox, chips);
    setText(b.empty, chips.length ? '' : (w.alive ? 'no tasks' : `${state}: runs nothing`));
    return b.box;
  }
}

function makeConnectorCard(c) {
  const state = el('span', { class: 'status-pill connector-state' });
  const target = el('div', { class: 'connector-target' });
  const flow = el('div', { class: 'connector-flow' });
  const count = el('span');
  const card = el('div', {
    class: `connector card ${c.source ? 'source' : 'sink'}`,
    dataset: { entity: entity.connector(c.name) },
  },
  el('div', { class: 'card-head' }, el('span', { class: 'entity-name', text: c.name, title: c.name }), state),
  el('div', { class: 'connector-class' }, simpleClass(c.class), ' · ', count),
  flow, target);
  return { card, state, target, flow, count };
}
