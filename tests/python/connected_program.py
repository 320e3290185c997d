"""One Kafka client program that holds its connections open, for kafka_listener.rs: the presenter
panel counts programs (client.ids), not connections, and one kafka-python program opens several.

  producer: a KafkaProducer writes one record to each partition of TOPIC (acks=all), so it
            connects to every partition's leader besides its bootstrap broker;
  consumer: a KafkaConsumer in GROUP polls TOPIC until it holds partitions (its coordinator's
            connection too).

Prints "ready" with the partitions it wrote to or holds, then keeps its connections open
(polling, as a consumer) until its stdin closes.

Usage: connected_program.py BOOTSTRAP producer|consumer CLIENT_ID TOPIC [GROUP]
"""

import sys
import threading

from kafka import KafkaConsumer, KafkaProducer

bootstrap, role, client_id, topic = sys.argv[1:5]
closed = threading.Event()


def wait_for_stdin_to_close():
    sys.stdin.read()
    closed.set()


threading.Thread(target=wait_for_stdin_to_close, daemon=True).start()

if role == "producer":
    producer = KafkaProducer(bootstrap_servers=bootstrap, client_id=client_id, acks="all")
    partitions = sorted(producer.partitions_for(topic))
    for p in partitions:
        producer.send(topic, b"hello", partition=p).get(timeout=30)
    print("ready", partitions, flush=True)
    closed.wait()
    producer.close()
elif role == "consumer":
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, client_id=client_id, group_id=sys.argv[5]
    )
    while not consumer.assignment() and not closed.is_set():
        consumer.poll(timeout_ms=200)
    print("ready", sorted(tp.partition for tp in consumer.assignment()), flush=True)
    while not closed.is_set():
        consumer.poll(timeout_ms=200)
    consumer.close()
else:
    sys.exit(f"unknown role {role}")
