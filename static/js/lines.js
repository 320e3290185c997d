// Building scenario lines (docs/scenario-language.md) from clicks and forms. A click sends exactly the text a
// teacher would type, so the console, the scenario files and the page share one language.

const BARE = /^[A-Za-z0-9._\/-]+$/;

/**
 * A word or value as the scenario lexer reads it: bare when it only has [A-Za-z0-9._/-],
 * otherwise in double quotes with `\` and `"` escaped.
 */
export function quote(value) {
  const s = String(value);
  if (BARE.test(s)) return s;
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `name=value`, the value quoted when needed. */
export function opt(name, value) {
  return `${name}=${quote(value)}`;
}

/** Join words, skipping empty ones. */
export function line(...words) {
  return words.filter((w) => w !== null && w !== undefined && w !== '').join(' ');
}

export const lines = {
  brokerKill: (id) => line('broker', 'kill', id),
  brokerStop: (id) => line('broker', 'stop', id),
  brokerRestart: (id) => line('broker', 'restart', id),
  /** Cut broker `id` off from everyone: the other brokers, the controller and the clients. */
  isolate: (id) => line('network', 'isolate', String(id)),
  /** Cut only the links between broker `id` and `others` (ids, comma-separated, no spaces). */
  partitionOff: (id, others) => line('network', 'partition', String(id), '/', others.join(',')),
  heal: () => 'network heal',
  consumer: (verb, name) => line('consumer', verb, quote(name)),
  producer: (verb, name) => line('producer', verb, quote(name)),
  producerRate: (name, perS) => line('producer', 'rate', quote(name), `${perS}/s`),
  topicCreate: ({ name, partitions, replication, minInsync }) =>
    line('topic', 'create', quote(name), `partitions=${partitions}`, `replication=${replication}`, minInsync ? `min-insync=${minInsync}` : ''),
  producerAdd: ({ name, topic, rate, keys, acks }) =>
    line('producer', 'add', quote(name), opt('topic', topic), rate !== '' ? `rate=${rate}/s` : '', keys ? opt('keys', keys) : '', acks ? `acks=${acks}` : ''),
  groupAdd: ({ name, topics, consumers, assignor, offsetReset }) =>
    line('group', 'add', quote(name), opt('topics', topics), consumers !== '' ? `consumers=${consumers}` : '', assignor ? `assignor=${assignor}` : '', offsetReset ? `offset-reset=${offsetReset}` : ''),
  consumerAdd: ({ name, group }) => line('consumer', 'add', quote(name), opt('group', group)),
  produce: ({ topic, key, value }) => line('produce', quote(topic), key !== '' ? opt('key', key) : '', value !== '' ? opt('value', value) : ''),
};
