"""A confluent-kafka (librdkafka) consumer that reads partition 0 of TOPIC from the beginning
while the test kills the partition's leader: after a leader change librdkafka validates its
position with OffsetForLeaderEpoch (KIP-320) before it fetches from the new leader.

Prints {"ready": n} after its first records (librdkafka's debug log goes to
stderr, so the test sees the validation); then reads until it has COUNT records or 60 s
pass, and prints {"offsets": [...], "values": [...], "errors": [...]}.

Usage: confluent_reader.py BOOTSTRAP TOPIC COUNT
"""

import json
import sys
import time

from confluent_kafka import Consumer, TopicPartition

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])

consumer = Consumer(
    {
        "bootstrap.servers": bootstrap,
        "client.id": "epoch-reader",
        "group.id": "epoch-readers",
        "enable.auto.commit": False,
        "auto.offset.reset": "error",
        "topic.metadata.refresh.interval.ms": 1000,
        # librdkafka logs its offset validation (OFFSETVALID) to stderr, which the test reads.
        "debug": "consumer,fetch,topic",
    }
)
consumer.assign([TopicPartition(topic, 0, 0)])
offsets, values, errors = [], [], []
ready = False
deadline = time.time() + 60
while len(offsets) < count and time.time() < deadline:
    m = consumer.poll(0.5)
    if m is None:
        continue
    if m.error():
        errors.append(m.error().name())
        continue
    offsets.append(m.offset())
    values.append(m.value().decode())
    if not ready and len(offsets) >= 5:
        ready = True
        print(json.dumps({"ready": len(offsets)}), flush=True)
consumer.close()
print(json.dumps({"offsets": offsets, "values": values, "errors": errors}), flush=True)
