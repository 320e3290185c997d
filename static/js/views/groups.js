// Consumer groups: one card per group (state, generation, protocol type when not `consumer`,
// protocol, assignor or Connect protocol, coordinator, lag) with
// its consumers, each in its own colour, listing the partitions it holds now (`owned`, so a
// rebalance's revocations are visible as they happen). A crashed consumer is drawn in the alert
// colour and, until its session times out, still marked as a member.

import { el, setHidden, setText, setClass, setAttr, setStyle, formatCount, waitingForBrokers } from '../text.js';
import { consumerColor } from '../colors.js';
import { entity } from '../entities.js';

const REBALANCING = new Set(['PreparingRebalance', 'CompletingRebalance']);

export class GroupsView {
  constructor(root, model) {
    this.root = root;
    this.model = model;
    /** group name → card parts */
    this.cards = new Map();
    this.empty = el('p', { class: 'empty-note', text: 'No consumer groups. Add one with +.' });
    this.root.append(this.empty);
  }

  render(change) {
    if (!(change.snapshot || change.groups || change.consumers)) return;
    const m = this.model;
    setHidden(this.empty, [...m.groups.values()].some((g) => g.state !== 'Dead'));
    // Only a snapshot can drop groups and consumers (another scenario loaded, or a rewind).
    if (change.snapshot) {
      for (const [name, c] of this.cards) if (!m.groups.has(name)) { c.card.remove(); this.cards.delete(name); }
      for (const c of this.cards.values()) {
        for (const [name, row] of c.rows) {
          if (m.consumers.get(name)?.group !== c.card.dataset.group) { row.row.remove(); c.rows.delete(name); }
        }
      }
    }
    for (const g of m.groups.values()) {
      let c = this.cards.get(g.name);
      if (!c) { c = this.makeCard(g.name); this.cards.set(g.name, c); this.root.append(c.card); }
      this.updateCard(g, c);
    }
  }

  makeCard(name) {
    const state = el('span', { class: 'status-pill group-state' });
    const generation = el('b');
    const protocolType = el('span');
    const protocol = el('span');
    const assignor = el('span');
    const coordinator = el('span');
    const lag = el('b');
    const committed = el('span', { class: 'group-committed' });
    const processed = el('b');
    const twice = el('b');
    const topics = el('span', { class: 'group-topics' });
    // A group whose members subscribe to nothing (Connect's workers) has no topics to list.
    const topicsSep = el('span', { text: ' · ' });
    const members = el('div', { class: 'members' });
    const card = el('div', { class: 'group card', dataset: { group: name, click: 'group', entity: entity.group(name) }, attrs: { tabindex: '0', role: 'button' } },
      el('div', { class: 'card-head' }, el('span', { class: 'entity-name', text: name, title: name }), state),
      el('div', { class: 'group-meta' },
        el('span', {}, 'gen ', generation), ' · ', protocolType, protocol, ' · ', assignor),
      el('div', { class: 'group-meta' }, topics, topicsSep, coordinator, ' · ', el('span', { class: 'group-lag' }, 'lag ', lag), committed),
      el('div', { class: 'group-meta group-processed' },
        el('span', { title: 'Records the group\'s applications processed (a record processed twice counts twice)' }, 'processed ', processed),
        ' · ',
        el('span', { title: 'Records processed a second time: after a rebalance or a crash, the new owner starts from the last committed offset' }, 'twice ', twice)),
      members);
    return { card, state, generation, protocolType, protocol, assignor, coordinator, lag, committed, processed, twice, topics, topicsSep, members, rows: new Map() };
  }

  updateCard(g, c) {
    const m = this.model;
    setText(c.state, g.state);
    const rebalancing = REBALANCING.has(g.state);
    setClass(c.card, 'rebalancing', rebalancing);
    setClass(c.card, 'dead', g.state === 'Dead');
    // A deleted group (DeleteGroups) is Dead: ListGroups and kafka-consumer-groups --list no
    // longer show it, and neither does the panel.
    setHidden(c.card, g.state === 'Dead');
    setClass(c.card, 'empty-group', g.state === 'Empty');
    setText(c.generation, g.generation);
    // A group of Connect workers (protocol type `connect`, its protocol `sessioned`, …) says so;
    // consumer groups, the usual case, do not repeat `consumer`.
    const type = g.protocol_type ?? 'consumer';
    setText(c.protocolType, type === 'consumer' ? '' : `${type} · `);
    setText(c.protocol, g.protocol);
    setText(c.assignor, g.assignor);
    setText(c.topics, g.topics.join(', '));
    setHidden(c.topicsSep, g.topics.length === 0);
    setText(c.coordinator, g.coordinator === null || g.coordinator === undefined ? 'no coordinator' : `coordinator: broker ${g.coordinator}`);
    // Lag is measured from committed offsets. Before a group's first commit it has none, and
    // Kafka's kafka-consumer-groups.sh prints LAG "-" for such a partition, not 0.
    const committed = g.offsets.length > 0;
    setText(c.lag, committed ? formatCount(g.lag) : '–');
    // The committed offset itself, where the lag counts from, while it fits on the line: one
    // partition says its offset, more say how many partitions have one.
    setText(c.committed, !committed ? '' : g.offsets.length === 1 ? ` · committed ${formatCount(g.offsets[0].committed)}` : ` · committed on ${g.offsets.length} partitions`);
    setAttr(c.lag, 'title', committed ? 'records past the committed offsets' : 'no committed offset yet: lag is measured from committed offsets');
    // What real Kafka clients process happens in their programs: a broker sees their fetches
    // and commits, not their processing, so a group of only real members says '–'.
    const onlyReal = g.members.length > 0 && g.members.every((mm) => mm.real_client !== null && mm.real_client !== undefined);
    setText(c.processed, onlyReal && !g.consumed ? '–' : formatCount(g.consumed));
    setText(c.twice, onlyReal && !g.consumed ? '–' : formatCount(g.duplicates ?? 0));
    setClass(c.twice, 'alert-text', (g.duplicates ?? 0) > 0);
    setAttr(c.card, 'aria-label', `Group ${g.name}, ${g.state}`);

    const members = new Map(g.members.map((mm) => [mm.member, mm]));
    const consumers = m.consumersOf(g.name);
    for (const con of consumers) {
      let row = c.rows.get(con.name);
      if (!row) { row = this.makeMember(con.name); c.rows.set(con.name, row); c.members.append(row.row); }
      // Members are keyed by member id: a restarted consumer is a new member (`NAME~2`).
      this.updateMember(g, con, members.get(con.member_id ?? con.name), row);
    }
    // A real Kafka client's members (kafkajs, librdkafka, …): the coordinator knows their member
    // id and the assignment their leader gave; the brokers know where the client last asked to
    // fetch each partition (`fetching`), its position as far as the cluster can see.
    const real = g.members.filter((mm) => mm.real_client !== null && mm.real_client !== undefined);
    const realKeys = new Set(real.map((mm) => `real:${mm.member}`));
    for (const [key, row] of c.rows) if (key.startsWith('real:') && !realKeys.has(key)) { row.row.remove(); c.rows.delete(key); }
    for (const mm of real) {
      const key = `real:${mm.member}`;
      let row = c.rows.get(key);
      if (!row) { row = this.makeRealMember(); c.rows.set(key, row); c.members.append(row.row); }
      setText(row.name, mm.real_client || 'a real client');
      setAttr(row.name, 'title', `member id ${mm.member}`);
      setText(row.state, mm.real_client ? 'connected' : 'disconnected: a member until its session times out');
      setText(row.role, g.leader === mm.member ? 'group leader' : '');
      const key2 = mm.assignment.join(' ');
      if (row.assigned !== key2) {
        row.assigned = key2;
        row.chips = new Map();
        row.owned.replaceChildren(...(mm.assignment.length
          ? mm.assignment.map((p) => {
            const pos = el('span', { class: 'owned-pos' });
            row.chips.set(p, pos);
            return el('span', { class: 'owned-chip', dataset: { owned: p } }, el('span', { text: p }), pos);
          })
          : [el('span', { class: 'owned-none', text: 'owns no partition' })]));
      }
      // As for a simulated member, positions only while they fit.
      const fetching = new Map(mm.fetching || []);
      const showPos = mm.assignment.length <= 3;
      for (const [p, pos] of row.chips) {
        const at = fetching.get(p);
        setText(pos, !showPos || at === undefined ? '' : ` @${formatCount(at)}`);
        setAttr(pos.parentElement, 'title', at === undefined ? '' : `${mm.real_client} last asked to fetch ${p} from offset ${at}`);
      }
      setAttr(row.row, 'aria-label', `Real Kafka client ${mm.real_client || ''}, member of ${g.name}`);
    }
  }

  /** A member row for a real Kafka client: its client.id, a "real client" mark, its assignment. */
  makeRealMember() {
    const name = el('span', { class: 'entity-name' });
    const role = el('span', { class: 'member-role' });
    const state = el('span', { class: 'member-state' });
    const owned = el('div', { class: 'owned' });
    const row = el('div', { class: 'member real-member' },
      el('div', { class: 'member-head' }, el('span', { class: 'tag real-client', text: 'real client' }), name, role, state),
      owned);
    return { row, name, role, state, owned, assigned: null, chips: new Map() };
  }

  makeMember(name) {
    const swatch = el('span', { class: 'swatch', attrs: { 'aria-hidden': 'true' } });
    const state = el('span', { class: 'member-state' });
    const role = el('span', { class: 'member-role' });
    const owned = el('div', { class: 'owned' });
    const note = el('div', { class: 'member-note' });
    const row = el('div', { class: 'member', dataset: { consumer: name, click: 'consumer', entity: entity.consumer(name) }, attrs: { tabindex: '0', role: 'button' } },
      el('div', { class: 'member-head' }, swatch, el('span', { class: 'entity-name', text: name, title: name }), role, state),
      owned, note);
    return { row, swatch, state, role, owned, note, ownedKey: null };
  }

  updateMember(g, con, member, r) {
    const m = this.model;
    setStyle(r.row, '--mc', consumerColor(m.consumerIndex.get(con.name)));
    const isMember = Boolean(member);
    let state = con.state;
    if (con.state === 'running' && con.stalled) state = 'stalled';
    if (con.state === 'running' && con.phase !== 'stable') state = `${con.phase}`;
    setText(r.state, state);
    for (const s of ['crashed', 'stopped', 'closing']) setClass(r.row, s, con.state === s);
    setClass(r.row, 'stalled', con.stalled);
    setClass(r.row, 'not-member', !isMember);
    setText(r.role, g.leader === (con.member_id ?? con.name) ? 'group leader' : '');
    let note = '';
    if (con.state === 'crashed') note = isMember ? 'crashed — still a member until its session times out' : 'crashed — removed from the group';
    else if (con.state === 'stopped') note = 'stopped — left the group';
    else if (con.stalled) note = 'stalled — not polling';
    else if (!isMember && con.state === 'running') note = 'not a member yet';
    // Its connection to a leader broke: it fetches nothing from there while it reconnects
    // (reconnect.backoff.ms, 50 ms doubling to 1 s) or until the metadata names another leader.
    const waiting = waitingForBrokers(con.waiting_for);
    if (waiting) note = note ? `${note} · ${waiting}` : waiting;
    setText(r.note, note);
    setClass(r.note, 'client-waiting', Boolean(waiting));
    setAttr(r.row, 'aria-label', `Consumer ${con.name}, ${state}`);

    // Owned partitions as chips with the position (next offset to process).
    const key = con.owned.map(([p, pos]) => `${p}@${pos}`).join(' ');
    if (r.ownedKey !== key) {
      const structure = con.owned.map(([p]) => p).join(' ');
      if (r.ownedStructure !== structure) {
        r.ownedStructure = structure;
        r.chips = new Map();
        r.owned.replaceChildren(...con.owned.map(([p]) => {
          const pos = el('span', { class: 'owned-pos' });
          const chip = el('span', { class: 'owned-chip', dataset: { owned: p, entity: entity.owned(p) } }, el('span', { text: p }), pos);
          r.chips.set(p, pos);
          return chip;
        }));
        if (!con.owned.length) r.owned.append(el('span', { class: 'owned-none', text: 'owns no partition' }));
      }
      // Positions only while they fit: a member holding many partitions lists just their names
      // (the details panel has the positions).
      const showPos = con.owned.length <= 3;
      for (const [p, pos] of con.owned) setText(r.chips.get(p), !showPos || pos === null || pos === undefined ? '' : ` @${formatCount(pos)}`);
      r.ownedKey = key;
    }
  }
}
