"""JSON Schemas of the node model, generated from the pydantic attrs models.

``python -m lineage.schemas`` rewrites ``schemas/nodes/``; a test fails when the committed
files drift from the code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from lineage.model import ATTRS_MODELS, EdgeKind, NodeKind


def node_schemas() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for kind, model in ATTRS_MODELS.items():
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://lineage.dev/schemas/nodes/{kind.value}.schema.json"
        schema["title"] = f"{kind.value} node attributes"
        out[f"{kind.value}.schema.json"] = schema
    out["graph.schema.json"] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://lineage.dev/schemas/nodes/graph.schema.json",
        "title": "lineage export --format node-link",
        "type": "object",
        "required": ["nodes", "edges"],
        "properties": {
            "directed": {"type": "boolean"},
            "multigraph": {"type": "boolean"},
            "nodes": {"type": "array", "items": {
                "type": "object", "required": ["id", "kind", "attrs"],
                "properties": {"id": {"type": "string"},
                               "kind": {"enum": [k.value for k in NodeKind]},
                               "attrs": {"type": "object"},
                               "placeholder": {"type": "boolean"}}}},
            "edges": {"type": "array", "items": {
                "type": "object", "required": ["kind", "source", "target"],
                "properties": {"kind": {"enum": [k.value for k in EdgeKind]},
                               "source": {"type": "string"}, "target": {"type": "string"},
                               "attrs": {"type": "object"}}}},
        },
    }
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write_folder(folder: Path, schemas: dict[str, dict[str, Any]]) -> list[Path]:
    """Write ``{file name: schema}`` into ``folder`` in the committed layout."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas.items():
        path = folder / name
        path.write_text(render(schema))
        written.append(path)
    return written


def write(root: Path) -> list[Path]:
    return write_folder(root / "schemas" / "nodes", node_schemas())


if __name__ == "__main__":
    for p in write(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()):
        print(p)
