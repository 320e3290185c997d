"""The admin APIs of the playground's Kafka listener with a real admin client: kafka-python's
KafkaAdminClient or confluent-kafka's AdminClient (librdkafka).

Creates TOPIC with 3 partitions, replication 2 and retention.ms=3600000, min.insync.replicas=2;
creates it again (TopicAlreadyExists expected); creates TOPIC-v with validate_only (nothing
created); asks for a config the playground does not model (INVALID_CONFIG expected); describes
TOPIC's configs and broker 1's. Prints one JSON object with what each step answered.

Usage: admin_clients.py LIBRARY BOOTSTRAP TOPIC   (LIBRARY: kafka-python or confluent)
"""

import json
import sys

library, bootstrap, topic = sys.argv[1], sys.argv[2], sys.argv[3]
out = {}
CONFIGS = {"retention.ms": "3600000", "min.insync.replicas": "2"}
# Kafka's `DescribeConfigsResponse.ConfigSource` ids: kafka-python reports the names.
SOURCES = {
    "UNKNOWN": 0,
    "DYNAMIC_TOPIC_CONFIG": 1,
    "DYNAMIC_BROKER_CONFIG": 2,
    "DYNAMIC_DEFAULT_BROKER_CONFIG": 3,
    "STATIC_BROKER_CONFIG": 4,
    "DEFAULT_CONFIG": 5,
}


def kafka_python():
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient
    from kafka.errors import TopicAlreadyExistsError, InvalidConfigurationError

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="kp-admin")
    created = admin.create_topics(
        {topic: {"num_partitions": 3, "replication_factor": 2, "configs": CONFIGS}}
    )
    t = created["topics"][0]
    out["created"] = "ok" if t["error_code"] == 0 else t["error_code"]
    out["created_numbers"] = [t.get("num_partitions"), t.get("replication_factor")]
    try:
        admin.create_topics({topic: {"num_partitions": 3, "replication_factor": 2}})
        out["again"] = "created twice"
    except TopicAlreadyExistsError:
        out["again"] = "TOPIC_ALREADY_EXISTS"
    admin.create_topics(
        {topic + "-v": {"num_partitions": 1, "replication_factor": 1}}, validate_only=True
    )
    out["validated"] = "ok"
    try:
        admin.create_topics(
            {topic + "-z": {"num_partitions": 1, "replication_factor": 1,
                            "configs": {"compression.type": "zstd"}}}
        )
        out["unmodelled"] = "created"
    except InvalidConfigurationError:
        out["unmodelled"] = "INVALID_CONFIG"
    described = admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, topic)], config_filter="all"
    )
    configs = described["topic"][topic]
    out["configs"] = {
        name: {"value": c["value"], "source": SOURCES[c["config_source"]]}
        for name, c in configs.items()
    }
    broker = admin.describe_configs(
        [ConfigResource(ConfigResourceType.BROKER, "1")], config_filter="all"
    )
    out["broker"] = {name: c["value"] for name, c in broker["broker"]["1"].items()}
    admin.close()


def confluent():
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap, "client.id": "ck-admin"})

    def create(new, **kw):
        (future,) = admin.create_topics([new], **kw).values()
        try:
            future.result(timeout=20)
            return "ok"
        except KafkaException as e:
            return e.args[0].name()

    out["created"] = create(NewTopic(topic, num_partitions=3, replication_factor=2, config=CONFIGS))
    out["again"] = create(NewTopic(topic, num_partitions=3, replication_factor=2))
    out["validated"] = create(
        NewTopic(topic + "-v", num_partitions=1, replication_factor=1), validate_only=True
    )
    out["unmodelled"] = create(
        NewTopic(topic + "-z", num_partitions=1, replication_factor=1,
                 config={"compression.type": "zstd"})
    )
    (future,) = admin.describe_configs([ConfigResource("topic", topic)]).values()
    entries = future.result(timeout=20)
    out["configs"] = {
        name: {"value": e.value, "source": int(e.source)} for name, e in entries.items()
    }
    (future,) = admin.describe_configs([ConfigResource("broker", "1")]).values()
    out["broker"] = {name: e.value for name, e in future.result(timeout=20).items()}


{"kafka-python": kafka_python, "confluent": confluent}[library]()
print(json.dumps(out), flush=True)
