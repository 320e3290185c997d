// The presenter panel (#presenter, shown in presenter mode): the narration in large type, the
// lesson's title and progress through its pauses, and Next (prominent while the lesson waits at a
// pause), Previous and Restart. At the end the lesson says it is over, Next is off and Restart
// reads "Start again". What the buttons do is presenter.js.

import { el, plural, setText, setClass, setAttr, setStyle, setHidden } from '../text.js';
import { TextFit } from './fit.js';

export class PresenterView {
  constructor(model, presenter) {
    this.model = model;
    this.presenter = presenter;
    this.panel = document.getElementById('presenter');
    this.narration = document.getElementById('narration');
    this.title = document.getElementById('lesson-title');
    this.state = document.getElementById('lesson-state');
    this.progress = document.getElementById('lesson-progress');
    this.bar = document.getElementById('lesson-bar');
    this.fill = document.getElementById('lesson-bar-fill');
    this.next = document.getElementById('next');
    this.previous = document.getElementById('previous');
    this.restart = document.getElementById('restart');
    this.kafka = document.getElementById('lesson-kafka');
    // The narration is what the teacher reads out: a long one gets smaller type, never a "…".
    this.fit = new TextFit(this.narration, 2);
  }

  render(change) {
    const m = this.model;
    if (change.snapshot || change.audience) this.renderKafka();
    if (change.snapshot || change.caption) {
      setText(this.narration, m.caption || '');
      setClass(this.narration, 'empty', !m.caption);
      this.fit.fit();
      if (m.caption && !change.snapshot && this.narration.animate && !matchMedia('(prefers-reduced-motion: reduce)').matches) {
        this.narration.animate([{ opacity: 0.25 }, { opacity: 1 }], { duration: 350, easing: 'ease-out' });
      }
    }
    if (!(change.snapshot || change.lesson || change.clock || change.access)) return;
    const lesson = m.lesson;
    // A scenario without pauses (the demo) has no progress worth showing.
    setClass(this.panel, 'no-lesson', !lesson || lesson.pauses_total === 0);
    setText(this.title, (lesson && lesson.title) || m.title || (lesson && lesson.id) || '');
    const canNext = this.presenter.canNext();
    if (this.next.disabled === canNext) this.next.disabled = !canNext;
    const canPrevious = this.presenter.canPrevious();
    if (this.previous.disabled === canPrevious) this.previous.disabled = !canPrevious;
    setClass(this.panel, 'at-pause', canNext);
    const over = this.presenter.isOver();
    setClass(this.panel, 'over', over);
    setText(this.restart, over ? '↺ Start again' : '↺ Restart');
    if (!lesson) return;
    // `pauses_done` counts the pauses reached, the one the room waits at included.
    const total = lesson.pauses_total;
    const done = Math.min(lesson.pauses_done, total);
    setClass(this.panel, 'finished', lesson.finished);
    let state;
    if (lesson.finished) state = 'The lesson is over';
    else if (lesson.at_pause) state = 'Waiting for Next';
    else state = m.clock.playing ? 'Playing' : 'Paused';
    setText(this.state, state);
    setText(this.progress, `${done} / ${total}`);
    // The bar counts pauses reached; a finished lesson is full.
    const pct = lesson.finished ? 100 : total > 0 ? Math.round((done / total) * 100) : 0;
    setStyle(this.fill, 'width', `${pct}%`);
    setAttr(this.bar, 'aria-valuenow', pct);
    setAttr(this.bar, 'aria-valuetext', lesson.finished ? 'finished' : `${done} of ${total} pauses done`);
  }

  /**
   * A room with Kafka listeners says where clients connect, how many programs are connected
   * (distinct client.ids: one kafka-python program opens a connection per broker it talks to)
   * and by which names, and how many connections they hold: a lesson whose students' programs
   * failed to connect shows "no client connected" rather than a quiet cluster that looks the
   * same as a working one.
   */
  renderKafka() {
    const m = this.model;
    const a = m.audience || {};
    const programs = a.kafka_clients || 0;
    const connections = a.kafka_connections || 0;
    const ids = a.kafka_client_ids || [];
    setHidden(this.kafka, !m.kafkaBootstrap);
    // A loopback address reaches this computer only: the teacher sees it before a class
    // finds out that their laptops cannot connect (`serve --share` listens on the network).
    const local = /^(127\.|localhost:|\[::1\]:)/.test(m.kafkaBootstrap || '');
    this.kafka.title = local
      ? 'Only programs on this computer can connect. Start the playground with --share so the class can connect from their own computers.'
      : 'Where real Kafka clients connect; the programs connected (by client.id) and their open connections';
    setClass(this.kafka, 'none', programs === 0);
    const key = JSON.stringify([m.kafkaBootstrap, programs, connections, ids]);
    if (this.kafkaKey === key) return;
    this.kafkaKey = key;
    if (!m.kafkaBootstrap) { this.kafka.replaceChildren(); return; }
    this.kafka.replaceChildren(...kafkaLine(m.kafkaBootstrap, local, programs, connections, ids));
  }
}

/**
 * The presenter's Kafka line as nodes, e.g. "Kafka 127.0.0.1:9092 · 2 programs (ada, bob-reader)
 * · 6 connections". Client ids are chosen by the clients: text nodes only, each in its own span
 * that CSS cuts with an ellipsis.
 */
export function kafkaLine(bootstrap, local, programs, connections, ids) {
  const where = el('span', { class: 'lesson-kafka-where' }, 'Kafka ',
    el('span', { class: 'lesson-kafka-address', text: bootstrap }), local ? ' (this computer only)' : '');
  if (programs === 0) return [where, el('span', { class: 'lesson-kafka-count', text: ' · no client connected' })];
  const nodes = [where, el('span', { class: 'lesson-kafka-count', text: ` · ${plural(programs, 'program')}` })];
  if (ids.length > 0) {
    // Programs without a client.id (or still connecting) are counted in "+N more" too.
    const more = programs - ids.length;
    const list = el('span', { class: 'lesson-kafka-ids' }, ' (');
    // The server lists a name once per computer running a program under it (sorted, so
    // repeats are adjacent): "rdkafka ×2" for two students who kept librdkafka's default.
    const runs = [];
    for (const id of ids) {
      if (runs.length > 0 && runs[runs.length - 1].id === id) runs[runs.length - 1].n += 1;
      else runs.push({ id, n: 1 });
    }
    runs.forEach(({ id, n }, i) => {
      if (i > 0) list.append(', ');
      list.append(el('span', { class: 'lesson-kafka-id', title: id, text: id }));
      if (n > 1) list.append(` ×${n}`);
    });
    if (more > 0) list.append(`, +${more} more`);
    list.append(')');
    nodes.push(list);
  }
  nodes.push(el('span', { class: 'lesson-kafka-connections', text: ` · ${plural(connections, 'connection')}` }));
  return nodes;
}
