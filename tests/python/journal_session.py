"""A session of real clients for kafka_journal.rs: confluent-kafka (librdkafka) writes COUNT keyed
records with headers through an idempotent producer (InitProducerId, producer ids and sequences
in its batches), then a group of one consumer reads every partition from the start, commits
synchronously and leaves. Prints one JSON line per record read (as the live room served it) and
one per committed offset the room reports back (OffsetFetch), then a summary.

Usage: journal_session.py BOOTSTRAP TOPIC PARTITIONS GROUP COUNT
"""

import base64
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition

bootstrap, topic, partitions, group, count = (
    sys.argv[1],
    sys.argv[2],
    int(sys.argv[3]),
    sys.argv[4],
    int(sys.argv[5]),
)


def b64(b):
    return None if b is None else base64.b64encode(b).decode()


producer = Producer(
    {
        "bootstrap.servers": bootstrap,
        "client.id": "journal-producer",
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
    }
)
failed = []


def delivered(err, msg):
    if err is not None:
        failed.append(str(err))


for i in range(count):
    producer.produce(
        topic,
        key=f"key-{i % 17}".encode(),
        value=f"value-{i}".encode(),
        headers=[("seq", str(i).encode()), ("empty", None)],
        on_delivery=delivered,
    )
    producer.poll(0)
left = producer.flush(30)

consumer = Consumer(
    {
        "bootstrap.servers": bootstrap,
        "client.id": "journal-consumer",
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": 10000,
        "heartbeat.interval.ms": 1000,
    }
)
consumer.subscribe([topic])
read = 0
deadline = time.time() + 40
while read < count and time.time() < deadline:
    msg = consumer.poll(0.5)
    if msg is None or msg.error():
        continue
    read += 1
    kind, ts = msg.timestamp()
    headers = [[k, b64(v)] for k, v in (msg.headers() or [])]
    print(
        json.dumps(
            {
                "partition": msg.partition(),
                "offset": msg.offset(),
                "key": b64(msg.key()),
                "value": b64(msg.value()),
                "headers": headers,
                "timestamp_ms": ts,
            }
        ),
        flush=True,
    )
consumer.commit(asynchronous=False)
tps = [TopicPartition(topic, p) for p in range(partitions)]
for tp in consumer.committed(tps, timeout=10):
    print(json.dumps({"committed": tp.partition, "offset": tp.offset}), flush=True)
consumer.close()
print(
    json.dumps({"summary": True, "read": read, "unflushed": left, "failed": failed}),
    flush=True,
)
