// The clock bar: simulated time, play/pause state, speed, the scenario title and the connection.

import { setText, setAttr, setClass, formatTime, plural } from '../text.js';

export class ClockView {
  constructor(model, connection) {
    this.model = model;
    this.connection = connection;
    this.clock = document.getElementById('clock');
    this.play = document.getElementById('play');
    this.speed = document.getElementById('speed');
    this.title = document.getElementById('scenario-title');
    this.status = document.getElementById('conn-status');
  }

  render(change) {
    const m = this.model;
    if (change.clock || change.snapshot) {
      setText(this.clock, `t = ${formatTime(m.clock.now_us)}`);
      setText(this.play, m.clock.playing ? 'Pause' : 'Play');
      setAttr(this.play, 'aria-pressed', m.clock.playing ? 'true' : 'false');
      setClass(this.play, 'playing', m.clock.playing);
      setText(this.speed, `${formatSpeed(m.clock.speed)}×`);
      setClass(document.body, 'paused', !m.clock.playing);
    }
    if (change.audience || change.snapshot) {
      // Real Kafka clients live in wall-clock time: the server holds the room at 1× and
      // refuses speed changes and rewinds while any is connected (room/real_time.rs).
      // Any open connection holds it, whichever program it belongs to.
      const programs = (m.audience && m.audience.kafka_clients) || 0;
      const connections = (m.audience && m.audience.kafka_connections) || 0;
      setClass(this.speed, 'real-time', connections > 0);
      setAttr(this.speed, 'title', connections > 0
        ? `${programs === 1 ? '1 Kafka client program is' : `${programs} Kafka client programs are`} connected (${plural(connections, 'connection')}): the room stays at 1× and cannot rewind while any of their connections is open`
        : 'Simulated seconds per real second');
    }
    if (change.snapshot) {
      setText(this.title, m.title || '');
      if (m.title) document.title = `${m.title} · Kafka Playground`;
    }
  }

  /** Connection status, outside the frame cycle. */
  showStatus(status) {
    if (status === 'open') this.wasOpen = true;
    const text = {
      connecting: this.wasOpen ? 'reconnecting…' : 'connecting…',
      open: 'live',
      closed: 'offline — reconnecting',
    }[status] || status;
    setText(this.status, text);
    setAttr(this.status, 'title', `connection: ${text}`);
    this.status.dataset.status = status;
  }
}

export function formatSpeed(s) {
  if (s >= 1) return Number(s.toFixed(1)).toString();
  return Number(s.toFixed(2)).toString();
}
