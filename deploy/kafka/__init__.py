"""A real Apache Kafka broker (KRaft) for tests, the demo and benchmarks, without Docker."""

from deploy.kafka.runner import KafkaCluster, KafkaNode, ensure_kafka_jars

__all__ = ["KafkaCluster", "KafkaNode", "ensure_kafka_jars"]
