"""confluent-kafka (librdkafka) with enable.idempotence=True and acks=all against the
playground's Kafka listener, while the test kills a partition's leader mid-write.

Writes COUNT keyed records, numbered 0..COUNT-1 in order (key and value both the number),
paced so that the writing lasts several seconds. When it has delivered a quarter it prints
{"ready": ...}; the test then kills a leader and writes "killed" to stdin, and the script
notes what was produced and delivered at that moment (per partition, by librdkafka's keyed
partitioner: CRC-32 of the key). After the last delivery it reads every partition from the
beginning with a consumer and prints {"read": [[partition, offset, number], ...]} and a summary.

Usage: confluent_idempotent.py BOOTSTRAP TOPIC PARTITIONS COUNT (BOOTSTRAP: every broker's
host:port, so that the consumer bootstraps after the leader's broker is gone)
"""

import json
import sys
import threading
import time
import zlib

from confluent_kafka import Consumer, Producer, TopicPartition

bootstrap, topic = sys.argv[1], sys.argv[2]
partitions, count = int(sys.argv[3]), int(sys.argv[4])


def emit(obj):
    print(json.dumps(obj), flush=True)


def partition_of(key):
    # librdkafka's default partitioner for keyed records (`consistent_random`).
    return zlib.crc32(key.encode()) % partitions


producer = Producer(
    {
        "bootstrap.servers": bootstrap,
        "client.id": "idempotent-writer",
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        # Small batches: many requests, so some are in flight when the leader dies.
        "batch.num.messages": 20,
    }
)

lock = threading.Lock()
produced = [0] * partitions
delivered = [0] * partitions
errors = []
deliveries = {}  # number -> (partition, offset)
at_kill = {}


def on_delivery(err, msg):
    with lock:
        if err is not None:
            errors.append(str(err))
            return
        number = int(msg.key().decode())
        if number in deliveries:
            errors.append(f"{number} delivered twice")
        deliveries[number] = (msg.partition(), msg.offset())
        delivered[msg.partition()] += 1


def wait_for_kill():
    line = sys.stdin.readline()
    if line.strip() == "killed":
        with lock:
            at_kill["produced"] = list(produced)
            at_kill["delivered"] = list(delivered)


watcher = threading.Thread(target=wait_for_kill, daemon=True)
watcher.start()

ready = False
for i in range(count):
    key = str(i)
    producer.produce(topic, key=key, value=key, on_delivery=on_delivery)
    with lock:
        produced[partition_of(key)] += 1
    producer.poll(0)
    if i % 20 == 19:
        # About 2,000 records in 8 s: the kill lands in the middle of the writing.
        time.sleep(0.08)
    with lock:
        total = sum(delivered)
    if not ready and total >= count // 4:
        ready = True
        emit({"ready": total})
left = producer.flush(120)
watcher.join(timeout=5)

read = []
consumer = Consumer(
    {
        "bootstrap.servers": bootstrap,
        "group.id": "idempotent-check",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
    }
)
consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
deadline = time.time() + 60
while len(read) < count and time.time() < deadline:
    msg = consumer.poll(0.5)
    if msg is None or msg.error():
        continue
    read.append([msg.partition(), msg.offset(), int(msg.value().decode())])
# A little longer, so that a duplicate after the last expected record would be seen.
end = time.time() + 2
while time.time() < end:
    msg = consumer.poll(0.2)
    if msg is not None and not msg.error():
        read.append([msg.partition(), msg.offset(), int(msg.value().decode())])
consumer.close()

emit({"read": read})
emit(
    {
        "left": left,
        "errors": errors[:20],
        "delivered": len(deliveries),
        "at_kill": at_kill,
        "produced_per_partition": produced,
    }
)
