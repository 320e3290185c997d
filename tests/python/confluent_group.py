"""confluent-kafka (librdkafka) against the playground's Kafka listener: a producer writes keyed
records with librdkafka's default partitioner, then a group of two consumers splits the topic's
partitions, reads every record and commits. Prints one JSON line per record produced or read,
then one summary line.

Usage: confluent_group.py PORT TOPIC GROUP COUNT
"""

import json
import sys
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition

port, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
bootstrap = f"127.0.0.1:{port}"

# A plain producer (idempotent producers: kafka_idempotent.rs and confluent_idempotent.py),
# acks=all. librdkafka's default partitioner is `consistent_random`: CRC32 of the key.
producer = Producer(
    {
        "bootstrap.servers": bootstrap,
        "client.id": "confluent-test-producer",
        "acks": "all",
        "enable.idempotence": False,
        "linger.ms": 5,
    }
)
produced = {}


def delivered(err, msg):
    if err is None:
        produced[msg.key().decode()] = {"partition": msg.partition(), "offset": msg.offset()}
    else:
        print(json.dumps({"delivery_error": str(err)}), flush=True)


for i in range(count):
    producer.produce(topic, key=f"key-{i}", value=f"value-{i}", on_delivery=delivered)
    producer.poll(0)
left = producer.flush(30)
for key, where in sorted(produced.items()):
    print(json.dumps({"produced": key, **where}), flush=True)

lock = threading.Lock()
read = {}  # key -> list of (consumer, partition, offset)
assigned = {}  # consumer -> partitions last assigned
committed = {}


def run(name, stop):
    c = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "client.id": name,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "session.timeout.ms": 10000,
            "heartbeat.interval.ms": 1000,
        }
    )

    def on_assign(consumer, partitions):
        with lock:
            assigned[name] = sorted(p.partition for p in partitions)

    def on_revoke(consumer, partitions):
        # Commit what was read before giving the partitions up, as an at-least-once consumer
        # does, so the next owner starts after it.
        try:
            consumer.commit(asynchronous=False)
        except Exception:
            pass
        with lock:
            assigned[name] = []

    c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    while not stop.is_set():
        msg = c.poll(0.2)
        if msg is None or msg.error():
            continue
        with lock:
            read.setdefault(msg.key().decode(), []).append(
                (name, msg.partition(), msg.offset())
            )
    try:
        c.commit(asynchronous=False)
    except Exception as e:
        # _NO_OFFSET: nothing read since the last commit (another member read it first).
        print(json.dumps({"commit_note": str(e), "consumer": name}), flush=True)
    # What the coordinator holds for every partition (OffsetFetch).
    n = len(c.list_topics(topic, timeout=10).topics[topic].partitions)
    for p in c.committed([TopicPartition(topic, p) for p in range(n)], timeout=10):
        with lock:
            committed[str(p.partition)] = max(committed.get(str(p.partition), -1), p.offset)
    c.close()


stop = threading.Event()
threads = [threading.Thread(target=run, args=(f"consumer-{n}", stop)) for n in (1, 2)]
for t in threads:
    t.start()
deadline = time.time() + 60
while time.time() < deadline:
    with lock:
        both = all(assigned.get(f"consumer-{n}") for n in (1, 2))
        done = len(read) >= len(produced)
    if both and done:
        break
    time.sleep(0.2)
with lock:
    final_assignment = {k: list(v) for k, v in assigned.items()}
stop.set()
for t in threads:
    t.join(30)
for key, where in sorted(read.items()):
    print(json.dumps({"read": key, "by": where}), flush=True)
print(
    json.dumps(
        {
            "summary": True,
            "unflushed": left,
            "produced": len(produced),
            "read": len(read),
            "assignment": final_assignment,
            "committed": committed,
        }
    ),
    flush=True,
)
