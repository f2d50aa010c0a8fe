"""``--to datahub-kafka`` against a Kafka broker and a schema registry (tests/standins/kafka.py:
librdkafka's own mock cluster, a stand-in of Confluent's schema registry REST API), through
acryl-datahub's DatahubKafkaEmitter and a real confluent-kafka producer.

What is checked is what DataHub's consumer would read back from the topic: every MCP, in
Confluent's Avro wire format, and the structured property definitions in Kafka before any
other message of the push was produced. DataHub keys each message by its entity urn, so a
definition and a value using it land in different partitions, which Kafka does not order:
the producer has to wait for the definitions' acknowledgements (as the REST target sends
them in a request of their own).

Needs the ``kafka`` extra (confluent-kafka); skipped without it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("datahub")
pytest.importorskip("confluent_kafka")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "golden" / "datahub"))

from fixture_graph import fixed_graph  # noqa: E402

from connectors.sinks.datahub.remote import DataHubKafkaSink  # noqa: E402
from connectors.sinks.datahub.render import STRUCTURED_PROPERTIES  # noqa: E402
from lineage.config import Config  # noqa: E402
from lineage.errors import SinkError  # noqa: E402
from lineage.plugins import PushContext  # noqa: E402
from lineage.store import Store  # noqa: E402
from tests.standins.kafka import MCP_TOPIC, KafkaStandin, running_kafka  # noqa: E402

RTT_MS = 250  # the broker's round trip: what a producer waiting for an answer must lose


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = Store.init(tmp_path / ".lineage")
    yield s
    s.close()


def _ctx(store: Store, tmp_path: Path, kafka: KafkaStandin, **options: Any) -> PushContext:
    return PushContext(store=store, config=Config(), repo_path=tmp_path, options={
        "bootstrap": kafka.bootstrap, "schema_registry_url": kafka.registry_url,
        "producer.log_level": 0, **options})


def test_a_push_delivers_every_mcp_with_the_definitions_acknowledged_first(
        store: Store, tmp_path: Path) -> None:
    with running_kafka(rtt_ms=RTT_MS) as kafka:
        result = DataHubKafkaSink().push(fixed_graph(), _ctx(store, tmp_path, kafka))
        got = kafka.messages(MCP_TOPIC)
        # nothing changed: nothing produced
        again = DataHubKafkaSink().push(fixed_graph(), _ctx(store, tmp_path, kafka))
        assert len(kafka.messages(MCP_TOPIC)) == len(got)
    assert (result.failed, result.written) == (0, len(got)), result.errors
    assert (again.written, again.failed) == (0, 0)
    defs = [m for m in got if m["value"]["aspectName"] == "propertyDefinition"]
    rest = [m for m in got if m["value"]["aspectName"] != "propertyDefinition"]
    assert sorted(m["key"].rsplit(".", 1)[-1] for m in defs) == sorted(STRUCTURED_PROPERTIES)
    # values using them are in the same batch (the default 100 MCPs), in partitions Kafka
    # does not order against one another
    assert [m for m in rest if m["value"]["aspectName"] == "structuredProperties"]
    assert len({m["partition"] for m in got}) > 1
    # each message is the MCP as DataHub reads it: keyed by its urn, Avro as registered
    assert all(m["key"] == m["value"]["entityUrn"] for m in got)
    assert {m["value"]["changeType"] for m in got} == {"UPSERT"}
    # no other message was produced until the broker had acknowledged every definition:
    # at least one round trip after the last of them
    assert min(m["timestamp"] for m in rest) >= max(m["timestamp"] for m in defs) + RTT_MS


def test_definitions_the_broker_does_not_acknowledge_stop_the_push_before_any_value(
        store: Store, tmp_path: Path) -> None:
    """A broker slower than the producer may wait (its round trip longer than the request
    and message timeouts) acknowledges none of the definitions: the push fails naming them,
    and no other message was produced."""
    with running_kafka(rtt_ms=1000) as kafka:
        with pytest.raises(SinkError) as exc:
            DataHubKafkaSink().push(fixed_graph(), _ctx(store, tmp_path, kafka, **{
                "producer.request.timeout.ms": 200, "producer.message.timeout.ms": 300}))
        assert f"{len(STRUCTURED_PROPERTIES)} of {len(STRUCTURED_PROPERTIES)} structured " \
            "property definitions not delivered" in str(exc.value)
        # (the broker may still have appended some of them, late)
        assert {m["value"]["aspectName"] for m in kafka.messages(MCP_TOPIC)} <= \
            {"propertyDefinition"}
