// What of Kafka Connect is there now, read from the model (wire.rs, `State.connect_*`): the live
// connectors (a deleted one stays in the model, patched by name, so a viewer learns of the
// delete), their tasks (entries past a connector's task count are gone: a connector restarted
// with fewer tasks), and which side of the stage each external system belongs on.

/** Connectors that exist (not deleted), in the engine's order. */
export function liveConnectors(model) {
  return [...model.connectors.values()].filter((c) => !c.deleted);
}

/** The tasks of live connectors, in connector then id order. */
export function liveTasks(model) {
  const out = [];
  for (const c of liveConnectors(model)) {
    for (let id = 0; id < c.tasks; id++) {
      const t = model.connectTasks.get(`${c.name}-${id}`);
      if (t) out.push(t);
    }
  }
  return out;
}

/**
 * `sink` for a system some live sink connector writes and no source reads; `source` for every
 * other one (read by a source, or not used yet: an application's own database or file).
 */
export function systemSide(model, name) {
  let sink = false;
  for (const c of liveConnectors(model)) {
    if (!c.systems.includes(name)) continue;
    if (c.source) return 'source';
    sink = true;
  }
  return sink ? 'sink' : 'source';
}

/** Kafka's client id for a source task's producer (`Worker.taskProducerClientId`'s default). */
export function taskProducerId(task) {
  return `connector-producer-${task.connector}-${task.id}`;
}

/** `io.confluent.connect.jdbc.JdbcSourceConnector` → `JdbcSourceConnector`. */
export function simpleClass(full) {
  return full.slice(full.lastIndexOf('.') + 1);
}
