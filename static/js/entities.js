// Test hooks: every drawn entity carries `data-entity="KIND:ID"`, the same in every view, so tests
// and tools find "partition orders/3" whatever draws it (a log row in the detail, a tile in the
// overview). The names follow the engine's own keys:
//   broker:N          a broker card                       partition:T/P   a partition (row, tile)
//   topic:T           a topic's section                   replica:T/P@N   T/P's replica on broker N
//   record:T/P@O      the leader's cell for offset O      producer:NAME   a producer card
//   group:G           a group card                        consumer:NAME   a consumer (member) card
//   owned:T/P         inside a consumer: a partition it holds now
//   app:APP           a Streams application's card      instance:APP/NAME  one of its instances
//   processor:APP/N   a node of its topology (N: Kafka's node name, sources and sinks too)
//   store:APP/S       a state store (in the graph and its table)   task:APP/ID  a task chip (0_1)
//   worker:NAME       a Connect worker's box            connector:NAME   a connector's card
//   connect-task:NAME-ID  a Connect task chip (Kafka's ConnectorTaskId)   system:NAME  an external system
// The page's views use it, and so can tests and tools in the page:
// `const { select } = await import('/static/js/entities.js')`.

export const entity = {
  broker: (id) => `broker:${id}`,
  topic: (name) => `topic:${name}`,
  partition: (id) => `partition:${id}`,
  replica: (id, broker) => `replica:${id}@${broker}`,
  record: (id, offset) => `record:${id}@${offset}`,
  // Engine names of real clients' and Connect tasks' producers hold NULs, which no CSS selector
  // can say (CSS.escape turns NUL into U+FFFD): the attribute writes them as U+2400 (␀).
  producer: (name) => `producer:${name.replaceAll('\u0000', '\u2400')}`,
  group: (name) => `group:${name}`,
  consumer: (name) => `consumer:${name}`,
  owned: (id) => `owned:${id}`,
  app: (name) => `app:${name}`,
  instance: (app, name) => `instance:${app}/${name}`,
  processor: (app, node) => `processor:${app}/${node}`,
  store: (app, store) => `store:${app}/${store}`,
  task: (app, id) => `task:${app}/${id}`,
  worker: (name) => `worker:${name}`,
  connector: (name) => `connector:${name}`,
  'connect-task': (connector, id) => `connect-task:${connector}-${id}`,
  system: (name) => `system:${name}`,
};

/** Every kind, in the order above. */
export const ENTITY_KINDS = ['broker', 'topic', 'partition', 'replica', 'record', 'producer', 'group', 'consumer', 'owned', 'app', 'instance', 'processor', 'store', 'task', 'worker', 'connector', 'connect-task', 'system'];

/** A CSS selector for one entity: `select('partition', 'orders/0')`. */
export function select(kind, ...id) {
  return `[data-entity="${CSS.escape(entity[kind](...id))}"]`;
}

/** A CSS selector for every entity of a kind: `selectKind('partition')`. */
export function selectKind(kind) {
  return `[data-entity^="${kind}:"]`;
}

/** `"replica:orders/0@2"` → `{kind: 'replica', id: 'orders/0@2'}`. */
export function parseEntity(value) {
  const i = value.indexOf(':');
  return { kind: value.slice(0, i), id: value.slice(i + 1) };
}
