"""``lineage push --to datahub-kafka`` whose broker dies in the middle of the push: the push
fails within the transport's ``timeout`` (how long a produced message may wait for the
broker's acknowledgement; librdkafka's and acryl-datahub's defaults held it 300 s), says so in
one line, and keeps what the broker did not acknowledge for the next push.

The broker is librdkafka's mock cluster, made here by a client of the test's own so that the
test can destroy it (the cluster goes with its last client) once the first batch of the push
was acknowledged; the schema registry is the stand-in of tests/standins/kafka.py. Needs the
``kafka`` extra."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("datahub")
pytest.importorskip("confluent_kafka")

from confluent_kafka import Producer  # noqa: E402

from connectors.sinks.datahub.remote import DataHubKafkaSink, kafka_settings  # noqa: E402
from connectors.sinks.datahub.render import render  # noqa: E402
from connectors.sinks.datahub.sink import VIEW_PREFIX  # noqa: E402
from lineage.config import Config  # noqa: E402
from lineage.errors import SinkError  # noqa: E402
from lineage.plugins import PushContext  # noqa: E402
from lineage.store import Store  # noqa: E402
from tests.golden.datahub.fixture_graph import fixed_graph  # noqa: E402
from tests.standins.kafka import running_kafka  # noqa: E402

BATCH = 20


class Broker:
    """A mock Kafka broker this test can kill: librdkafka's mock cluster lives as long as the
    client that made it."""

    def __init__(self) -> None:
        self._owner: Producer | None = Producer({"test.mock.num.brokers": 1, "log_level": 0})
        (b,) = self._owner.list_topics(timeout=10).brokers.values()
        self.bootstrap = f"{b.host}:{b.port}"
        self.killed_at: float | None = None

    def kill(self) -> None:
        self._owner = None  # rd_kafka_destroy: the cluster and its listening socket go
        self.killed_at = time.monotonic()


@contextmanager
def broker_and_registry() -> Iterator[tuple[Broker, str]]:
    with running_kafka() as kafka:
        broker = Broker()
        try:
            yield broker, kafka.registry_url
        finally:
            broker.kill()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.init(tmp_path / ".lineage")
    yield s
    s.close()


def ctx(store: Store, tmp_path: Path, broker: Broker, registry: str,
        progress: Any = None, **options: Any) -> PushContext:
    return PushContext(store=store, config=Config(), repo_path=tmp_path,
                       progress=progress or (lambda what, done, total: None),
                       options={"bootstrap": broker.bootstrap, "schema_registry_url": registry,
                                "batch_size": BATCH, **options})


def remembered(store: Store, c: PushContext) -> list[str]:
    return [k for k in store.state_get_all(DataHubKafkaSink().state_namespace(c))
            if not k.startswith(VIEW_PREFIX)]


def test_a_broker_dying_mid_push_fails_it_within_the_timeout_and_keeps_the_rest(
        store: Store, tmp_path: Path) -> None:
    total = len(render(fixed_graph()))
    assert total > 2 * BATCH
    with broker_and_registry() as (broker, registry):
        def kill_after_first_batch(what: str, done: int, _total: int | None) -> None:
            if what == "push datahub-kafka" and done and broker.killed_at is None:
                broker.kill()

        c = ctx(store, tmp_path, broker, registry, kill_after_first_batch, timeout=2)
        with pytest.raises(SinkError) as exc:
            DataHubKafkaSink().push(fixed_graph(), c)
        took = time.monotonic() - (broker.killed_at or 0)
        err = exc.value
        # the next batch waited 2 s for acknowledgements (and 2 s more for librdkafka's
        # reports), not librdkafka's 300 s
        assert took < 10, took
        assert err.exit_code == 3
        assert err.message.startswith(f"Kafka at {broker.bootstrap}: {BATCH} of {BATCH} "
                                      "messages not delivered: not acknowledged within 2 s"), \
            err.message
        assert "Connection refused" in err.message, err.message  # librdkafka's reason
        hint = err.hint or ""
        assert "--option timeout=SECONDS (now 2)" in hint and "run the push again" in hint, hint
        # the acknowledged batch is remembered, nothing else
        result = err.result  # type: ignore[attr-defined]
        assert (result.written, result.failed) == (BATCH, total - BATCH)
        assert len(remembered(store, c)) == BATCH
        # the next push to that address has the rest to send, and says the broker is gone
        with pytest.raises(SinkError) as again:
            DataHubKafkaSink().push(fixed_graph(), ctx(store, tmp_path, broker, registry,
                                                       timeout=2))
        assert again.value.message.startswith(
            f"cannot reach the Kafka broker(s) at {broker.bootstrap}"), again.value.message
        assert again.value.result.failed == total - BATCH  # type: ignore[attr-defined]


def test_a_producer_message_timeout_given_is_the_bound_and_the_hint_names_it(
        store: Store, tmp_path: Path) -> None:
    with broker_and_registry() as (broker, registry):
        def kill_after_first_batch(what: str, done: int, _total: int | None) -> None:
            if what == "push datahub-kafka" and done and broker.killed_at is None:
                broker.kill()

        c = ctx(store, tmp_path, broker, registry, kill_after_first_batch,
                **{"producer.message.timeout.ms": "1500"})
        with pytest.raises(SinkError) as exc:
            DataHubKafkaSink().push(fixed_graph(), c)
        took = time.monotonic() - (broker.killed_at or 0)
    assert took < 9, took
    assert "not acknowledged within 1.5 s" in exc.value.message, exc.value.message
    assert "--option producer.message.timeout.ms=MS (now 1500)" in (exc.value.hint or "")


def test_the_producer_is_told_the_bound() -> None:
    """What librdkafka and acryl-datahub's emitter are given: a message's time to be
    acknowledged is ``timeout`` (10 s by default), unless a producer option sets it, and a
    flush waits that and 2 s more."""
    base = {"bootstrap": "127.0.0.1:9092", "schema_registry_url": "http://127.0.0.1:8081"}
    cfg = kafka_settings(base).emitter_config()
    assert cfg["connection"]["producer_config"]["message.timeout.ms"] == 10_000
    assert cfg["max_queue_full_block_seconds"] == 12
    cfg = kafka_settings({**base, "timeout": "30"}).emitter_config()
    assert cfg["connection"]["producer_config"]["message.timeout.ms"] == 30_000
    assert cfg["max_queue_full_block_seconds"] == 32
    for key in ("producer.message.timeout.ms", "producer.delivery.timeout.ms"):
        cfg = kafka_settings({**base, key: "60000"}).emitter_config()
        producer = cfg["connection"]["producer_config"]
        assert producer == {key.removeprefix("producer."): "60000"}
        assert cfg["max_queue_full_block_seconds"] == 62
