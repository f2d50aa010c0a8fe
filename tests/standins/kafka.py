"""A Kafka broker and a schema registry for tests of ``--to datahub-kafka``.

The broker is librdkafka's own mock cluster (``test.mock.num.brokers``: the Kafka protocol as
librdkafka's test suite serves it, in process, on 127.0.0.1), made by a client of its own and
reached by the push like any broker, through ``bootstrap``. ``test.mock.broker.rtt`` gives
every request a round trip, so what a producer waits for takes time a test can see.

The schema registry is a stand-in of Confluent's REST API (what acryl-datahub's Avro
serializer and a consumer use): ``POST /subjects/{subject}/versions`` registers a schema
(the same schema of a subject keeps its id), ``POST /subjects/{subject}`` looks one up,
``GET /schemas/ids/{id}`` and ``GET /subjects/{subject}/versions/latest`` read one; 404 with
Confluent's error codes otherwise.

Needs confluent-kafka (the ``kafka`` extra); importing this module without it fails, so
tests import it after ``pytest.importorskip("confluent_kafka")``.
"""

from __future__ import annotations

import json
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from typing import Any
from urllib.parse import unquote, urlparse

from confluent_kafka import Consumer, Producer, TopicPartition


@dataclass
class Registry:
    schemas: dict[int, str] = field(default_factory=dict)
    subjects: dict[str, list[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def register(self, subject: str, schema: str) -> int:
        with self.lock:
            sid = next((i for i, text in self.schemas.items()
                        if json.loads(text) == json.loads(schema)), None)
            if sid is None:
                sid = len(self.schemas) + 1
                self.schemas[sid] = schema
            versions = self.subjects.setdefault(subject, [])
            if sid not in versions:
                versions.append(sid)
            return sid


class _Handler(BaseHTTPRequestHandler):
    registry: Registry

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"{}")  # type: ignore[no-any-return]

    def _parts(self) -> list[str]:
        return [unquote(p) for p in urlparse(self.path).path.strip("/").split("/")]

    def _version(self, subject: str, sid: int) -> dict[str, Any]:
        versions = self.registry.subjects[subject]
        return {"subject": subject, "id": sid, "version": versions.index(sid) + 1,
                "schema": self.registry.schemas[sid]}

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        parts, body = self._parts(), self._body()
        if len(parts) == 3 and parts[0] == "subjects" and parts[2] == "versions":
            self._answer(200, {"id": self.registry.register(parts[1], body["schema"])})
        elif len(parts) == 2 and parts[0] == "subjects":
            for sid in self.registry.subjects.get(parts[1], []):
                if json.loads(self.registry.schemas[sid]) == json.loads(body["schema"]):
                    self._answer(200, self._version(parts[1], sid))
                    return
            self._answer(404, {"error_code": 40403, "message": "Schema not found"})
        else:
            self._answer(404, {"error_code": 404, "message": "HTTP 404 Not Found"})

    def do_GET(self) -> None:  # noqa: N802
        parts = self._parts()
        if len(parts) == 3 and parts[:2] == ["schemas", "ids"] and \
                int(parts[2]) in self.registry.schemas:
            self._answer(200, {"schema": self.registry.schemas[int(parts[2])]})
        elif len(parts) == 4 and parts[0] == "subjects" and parts[2:] == ["versions", "latest"] \
                and self.registry.subjects.get(parts[1]):
            self._answer(200, self._version(parts[1], self.registry.subjects[parts[1]][-1]))
        elif parts and parts[0] == "subjects" and len(parts) == 1:
            self._answer(200, sorted(self.registry.subjects))  # type: ignore[arg-type]
        else:
            self._answer(404, {"error_code": 40403, "message": "Schema not found"})


@dataclass
class KafkaStandin:
    bootstrap: str
    registry_url: str
    registry: Registry

    def messages(self, topic: str, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Every message of ``topic``, partition by partition in offset order: ``partition``,
        ``offset``, ``timestamp`` (ms, the producer's create time), ``key`` and ``value``
        (the Avro record decoded with the schema its header names)."""
        from fastavro import parse_schema, schemaless_reader

        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "standin-reader",
                             "enable.auto.commit": False})
        try:
            meta = consumer.list_topics(topic, timeout=timeout).topics[topic]
            out: list[dict[str, Any]] = []
            for p in sorted(meta.partitions):
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, p),
                                                           timeout=timeout)
                if high <= low:
                    continue
                consumer.assign([TopicPartition(topic, p, low)])
                while True:
                    msg = consumer.poll(timeout)
                    assert msg is not None, f"partition {p}: no message before offset {high}"
                    assert msg.error() is None, msg.error()
                    raw = msg.value()
                    magic, sid = struct.unpack(">bI", raw[:5])
                    assert magic == 0, "not Confluent's wire format"
                    schema = parse_schema(json.loads(self.registry.schemas[sid]))
                    out.append({"partition": p, "offset": msg.offset(),
                                "timestamp": msg.timestamp()[1],
                                "key": (msg.key() or b"").decode(),
                                "value": schemaless_reader(BytesIO(raw[5:]), schema)})
                    if msg.offset() + 1 >= high:
                        break
            return out
        finally:
            consumer.close()


MCP_TOPIC = "MetadataChangeProposal_v1"  # DataHub's default


@contextmanager
def running_kafka(rtt_ms: int = 0) -> Iterator[KafkaStandin]:
    """A mock Kafka cluster of one broker (a topic is made when first named, with the mock
    cluster's default of 4 partitions) and a schema registry, while the context lasts."""
    owner = Producer({"test.mock.num.brokers": 1, "test.mock.broker.rtt": rtt_ms,
                      "log_level": 0})
    (broker,) = owner.list_topics(timeout=10).brokers.values()
    bootstrap = f"{broker.host}:{broker.port}"
    registry = Registry()
    handler = type("Handler", (_Handler,), {"registry": registry})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield KafkaStandin(bootstrap, f"http://127.0.0.1:{server.server_address[1]}",
                           registry)
    finally:
        server.shutdown()
        server.server_close()
        owner.flush(1)
