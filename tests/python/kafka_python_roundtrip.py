"""kafka-python against the playground's Kafka listener: produce keyed records, then read them
back with a plain consumer assigned to every partition (no group: the group APIs do not exist
yet). Prints one JSON line per record read, then one summary line.

Usage: kafka_python_roundtrip.py PORT TOPIC COUNT
"""

import json
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

port, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
bootstrap = f"127.0.0.1:{port}"

# kafka-python 3's defaults: an idempotent producer (InitProducerId, then sequence numbers per
# partition), acks=all. (A plain producer: confluent_group.py; a leader killed under an
# idempotent one: kafka_idempotent.rs.)
producer = KafkaProducer(
    bootstrap_servers=bootstrap,
    client_id="kafka-python-test",
    acks="all",
    retries=20,
    retry_backoff_ms=200,
    request_timeout_ms=15000,
    linger_ms=5,
)
sent = {}
futures = []
for i in range(count):
    key = f"key-{i}".encode()
    value = f"value-{i}".encode()
    futures.append((key, value, producer.send(topic, key=key, value=value)))
producer.flush(timeout=20)
for key, value, future in futures:
    meta = future.get(timeout=20)
    sent[key.decode()] = {"partition": meta.partition, "offset": meta.offset}
producer.close(timeout=5)

consumer = KafkaConsumer(
    bootstrap_servers=bootstrap,
    client_id="kafka-python-test-consumer",
    group_id=None,
    enable_auto_commit=False,
    auto_offset_reset="earliest",
    request_timeout_ms=15000,
)
partitions = sorted(consumer.partitions_for_topic(topic) or [])
tps = [TopicPartition(topic, p) for p in partitions]
consumer.assign(tps)
consumer.seek_to_beginning(*tps)
end = consumer.end_offsets(tps)
begin = consumer.beginning_offsets(tps)
read = 0
deadline = time.time() + 20
while time.time() < deadline and any(consumer.position(tp) < end[tp] for tp in tps):
    for tp, records in consumer.poll(timeout_ms=500).items():
        for r in records:
            read += 1
            print(
                json.dumps(
                    {
                        "partition": r.partition,
                        "offset": r.offset,
                        "key": r.key.decode(),
                        "value": r.value.decode(),
                        "timestamp": r.timestamp,
                        "produced": sent.get(r.key.decode()),
                    }
                )
            )
consumer.close()
print(
    json.dumps(
        {
            "summary": True,
            "sent": len(sent),
            "read": read,
            "end_offsets": {str(tp.partition): o for tp, o in end.items()},
            "beginning_offsets": {str(tp.partition): o for tp, o in begin.items()},
        }
    )
)
