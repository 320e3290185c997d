"""DeleteTopics on the playground's Kafka listener with a real admin client: kafka-python's
KafkaAdminClient or confluent-kafka's AdminClient (librdkafka).

Deletes TOPIC (created beforehand in the room), then TOPIC again (now unknown), a topic that
never existed, and __consumer_offsets (refused by the playground). Prints one JSON object with
each answer: "ok" or Kafka's error name.

Usage: delete_topics.py LIBRARY BOOTSTRAP TOPIC   (LIBRARY: kafka-python or confluent)
"""

import json
import sys

library, bootstrap, topic = sys.argv[1], sys.argv[2], sys.argv[3]
STEPS = [("deleted", topic), ("again", topic), ("missing", topic + "-never"),
         ("internal", "__consumer_offsets")]
out = {}


def kafka_python():
    from kafka.admin import KafkaAdminClient
    from kafka.errors import for_code

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="kp-delete")
    for step, name in STEPS:
        answer = admin.delete_topics([name], timeout_ms=10000, raise_errors=False)
        (t,) = answer["topics"]
        code = t["error_code"]
        out[step] = "ok" if code == 0 else for_code(code).__name__
        if step == "internal":
            out["internal_message"] = t.get("error_message")
    admin.close()


def confluent():
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap, "client.id": "ck-delete"})
    for step, name in STEPS:
        (future,) = admin.delete_topics([name], operation_timeout=10).values()
        try:
            future.result(timeout=20)
            out[step] = "ok"
        except KafkaException as e:
            out[step] = e.args[0].name()
            if step == "internal":
                out["internal_message"] = e.args[0].str()


{"kafka-python": kafka_python, "confluent": confluent}[library]()
print(json.dumps(out), flush=True)
