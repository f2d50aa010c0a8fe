"""`lineage show REF`: the provenance of a model version, data path or commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from lineage.cli.common import (
    JsonOpt,
    RepoOpt,
    console,
    handle_errors,
    print_json,
    repo_path,
)


def show(
    ref: str = typer.Argument(..., help="Model version (name@version), model name, data path, "
                              "commit sha, or any node id."),
    repo: Path | None = RepoOpt,
    depth: int = typer.Option(12, "--depth", metavar="N", min=0,
                              help="Maximum depth of the tree."),
    as_json: bool = JsonOpt,
) -> None:
    """Show the provenance of a model version, data path or commit (everything upstream).

    A model name means its greatest semantic version (as `gto show`; MLflow versions by number); a data path, the version the checkout's DVC files name; a short sha must name one commit.

    Examples:
      lineage show churn@v1.1.0
      lineage show churn
      lineage show data/prepared --json
    """
    from lineage import api

    with handle_errors():  # (messages are printed as text: refs, commit subjects)
        store = api.open_store(repo_path(repo))
        graph = store.load_graph()
        node_id = api.resolve_ref(graph, ref, repo=repo_path(repo))
    prov = graph.provenance(node_id)
    if as_json:
        print_json({"ref": ref, "node": node_id, **prov.to_node_link()})
        return
    console.print(_provenance_tree(prov, node_id, depth))


def _cut(text: str, width: int = 72) -> str:
    """``text`` as is when it fits, else cut with an ellipsis: a subject cut mid-parenthesis
    must not read as the sentence it is (nor run into the ``(see above)`` that follows)."""
    return text if len(text) <= width else text[:width - 1].rstrip() + "…"


def _label(graph: Any, nid: str) -> str:
    from rich.markup import escape

    kind = str(graph.kind(nid))
    a = graph.attrs(nid)
    short = nid.split(":", 1)[1]
    detail = ""
    if kind == "commit":
        short = short[:12]
        msg = (a.get("message") or "").strip().splitlines()
        detail = _cut(msg[0]) if msg else ""
    elif kind == "data":
        short = a.get("path", short)
        h = a.get("hash") or ""
        detail = h[:20]
    elif kind == "stage":
        short = a.get("name", short)
        detail = _cut(str(a.get("cmd") or ""))
    elif kind == "run":
        detail = " ".join(x for x in (a.get("source"), a.get("status")) if x)
        if (a.get("properties") or {}).get("lifecycle_stage") == "deleted":
            detail = f"{detail} (deleted)".strip()  # MLflow keeps deleted runs: say so
    elif kind in ("approval",):
        detail = f"{a.get('approver', '')} ({a.get('role', '')}) {a.get('decision', '')}"
    elif kind == "risk_assessment":
        detail = f"tier={a.get('tier')}"
    elif kind == "deployment":
        detail = f"{a.get('environment', '')} {a.get('deployed_at', '')}"
    elif kind == "alert":  # open or resolved is what an auditor reads the tree for
        value = f"{a.get('metric')}={a.get('value')}" if a.get("metric") else ""
        detail = " ".join(str(x) for x in (value, a.get("status"), a.get("at")) if x)
    elif kind == "retraining":
        detail = " ".join(str(x) for x in (a.get("trigger"), a.get("at")) if x)
    elif kind == "document":
        detail = " ".join(str(x) for x in (a.get("doc_kind"), a.get("uri")) if x)
    text = f"[bold cyan]{kind}[/] {escape(short)}"
    if detail:
        text += f" [dim]{escape(detail)}[/]"
    if graph.is_placeholder(nid):
        text += " [red](not harvested)[/]"
    return text


def _provenance_tree(graph: Any, root: str, max_depth: int) -> Any:
    from rich.markup import escape
    from rich.tree import Tree

    tree = Tree(_label(graph, root))
    seen = {root}

    def grow(branch: Any, nid: str, depth: int) -> None:
        if depth >= max_depth:
            return
        for e in sorted(graph.in_edges(nid), key=lambda e: (e.kind.value, e.source)):
            if e.kind.value in ("parent", "contains"):
                continue
            label = f"[magenta]{e.kind.value}[/] ← " + _label(graph, e.source)
            pin = e.attrs.get("pin")
            if pin:
                label += f" [green](pin: {pin})[/]" if pin == "strong" else f" [yellow](pin: {pin})[/]"
            moved = e.attrs.get("moved_to")
            if isinstance(moved, str):  # a GTO tag deleted and made again elsewhere
                label += f" [yellow](tag moved to {escape(moved[:12])})[/]"
            if e.source in seen:
                branch.add(label + " [dim](see above)[/]")
                continue
            seen.add(e.source)
            grow(branch.add(label), e.source, depth + 1)

    grow(tree, root, 0)
    return tree
