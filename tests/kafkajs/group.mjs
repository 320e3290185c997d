// kafkajs against the playground's listener: a producer writes COUNT keyed records (acks=all,
// kafkajs's default partitioner: Java's murmur2), then a group of two consumers splits the
// partitions through the room's group coordinator, reads every record and commits.
//   node group.mjs KAFKA_PORT TOPIC GROUP COUNT
// Prints one JSON line per produced and read record, then a summary line.
import { Kafka, logLevel } from 'kafkajs';

const [port, topic, groupId, countText] = process.argv.slice(2);
const count = Number(countText);
const kafka = new Kafka({
  clientId: 'kafkajs-test',
  brokers: [`127.0.0.1:${port}`],
  logLevel: logLevel.ERROR,
  retry: { retries: 8 },
});
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const deadline = setTimeout(() => {
  process.stderr.write('kafkajs: the group did not read everything within 90 s\n');
  process.exit(1);
}, 90000);

const producer = kafka.producer({ allowAutoTopicCreation: false });
await producer.connect();
const messages = Array.from({ length: count }, (_, i) => ({ key: `key-${i}`, value: `value-${i}` }));
// Ten sends of ten records: several Produce requests, each acknowledged by acks=all (-1).
for (let i = 0; i < count; i += 10) {
  const sent = await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 10) });
  for (const r of sent) out({ sent: r.partition, base: Number(r.baseOffset), keys: messages.slice(i, i + 10).length });
}
await producer.disconnect();

const read = new Map();
const assignment = {};
const consumers = [1, 2].map((n) => kafka.consumer({
  groupId,
  sessionTimeout: 10000,
  heartbeatInterval: 1000,
  rebalanceTimeout: 10000,
}));
let done;
const allRead = new Promise((resolve) => { done = resolve; });
for (const [n, consumer] of consumers.entries()) {
  const name = `consumer-${n + 1}`;
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    assignment[name] = (e.payload.memberAssignment[topic] ?? []).slice().sort((a, b) => a - b);
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: true,
    autoCommitInterval: 500,
    eachMessage: async ({ partition, message }) => {
      const key = message.key.toString();
      if (!read.has(key)) {
        read.set(key, { partition, offset: Number(message.offset), by: name });
        out({ read: key, partition, offset: Number(message.offset), value: message.value.toString(), by: name });
      }
      if (read.size === count) done();
    },
  });
}
await allRead;
// The group has settled when the two members' latest assignments split the partitions (the
// first member to join held all of them until the second joined and both synced again).
const settled = () => {
  const owned = Object.values(assignment).flat();
  return Object.keys(assignment).length === 2 && new Set(owned).size === owned.length
    && Object.values(assignment).every((a) => a.length > 0);
};
const settle = Date.now() + 40000;
while (!settled() && Date.now() < settle) {
  await new Promise((r) => setTimeout(r, 200));
}
// The split as it stood (a member that leaves below makes the other rejoin alone).
const split = JSON.parse(JSON.stringify(assignment));
// Commit what was read (kafkajs commits resolved offsets on its interval; disconnect commits too).
for (const consumer of consumers) await consumer.disconnect();
// The committed offsets, as the coordinator answers OffsetFetch.
const admin = kafka.admin();
await admin.connect();
const committed = {};
for (const t of await admin.fetchOffsets({ groupId, topics: [topic] })) {
  for (const p of t.partitions) committed[p.partition] = Number(p.offset);
}
await admin.disconnect();
clearTimeout(deadline);
out({ produced: count, read: read.size, assignment: split, committed });
