"""`lineage show REF`: the provenance of a model version, data path or commit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from lineage.cli.common import (
    JsonOpt,
    RepoOpt,
    console,
    err_console,
    handle_errors,
    open_read_store,
    parse_as_of,
    print_json,
    read_whole,
    repo_path,
    store_option,
)

TREE_DEPTH = 12  # links the tree follows upstream without --depth


def show(
    ref: str = typer.Argument(..., help="Model version (name@version), model name, data path, "
                              "commit sha, git revision (HEAD, a branch, a tag, HEAD~1), a "
                              "record's id as show prints it (churn-prod-2026-01-20), or "
                              "any node id."),
    repo: Path | None = RepoOpt,
    depth: int | None = typer.Option(
        None, "--depth", metavar="N", min=0, show_default=False,
        help="Follow at most N links upstream (0: the node alone); default: 12 for the "
             "tree, everything with --json."),
    as_of: str | None = typer.Option(
        None, "--as-of", show_default=False, metavar="DATE",
        help="Read the records in force and the audit findings as of this date or time "
             "(default: now), as lineage audit --as-of does."),
    as_json: bool = JsonOpt,
    store_at: Path | None = store_option(),
) -> None:
    """Show the provenance of a model version, data path or commit (everything upstream).

    A model name means its greatest semantic version (as `gto show`; MLflow versions by number; with --as-of, the greatest created by then); a data path (from the repository root, or relative to the current folder as DVC reads it), the version the checkout's DVC files name (with --as-of, the version committed last by then); a short sha must name one commit; a git revision, the commit git names by it (which must be harvested); a record's or run's id as show and audit print it (churn-prod-2026-01-20, lineage:…), that record, unless several records have it (type deployment:ID, approval:ID …). A name that is both a model and a git revision of another commit is refused: type model_group:NAME or refs/heads/NAME.

    For a model version (or a deployment of one) the tree is followed by what an auditor asks for, read as `lineage audit` reads it: the training run with its code commit and data hashes, the model group's risk tier, approvals (environment, date, withdrawn or corrected; the author's marked: four-eyes does not count them), deployments (live or retired, the approvals that count for each), documents, retraining, monitoring alerts and the audit's findings. Each record says when it was first recorded — by the store, or by the commit that added it to its governance file (a GTO deployment: its tag) when that is earlier — and how long after its own date when that is more than a day (a back-dated approval).

    For a record (an approval, alert, retraining, risk assessment, deployment or document): its own fields, its status as the audit reads it (in force, withdrawn, corrected, counts …), what it names (model version, group, alert, the records correcting it), each with the command that shows it, and the provenance of the model version it is about (for an assessment or a group's document, the group's latest version): its training run, code commit and data.

    The tree follows the history of the version's commit (a data path: of the checkout's commit): a stage or run of another commit that made the same data bytes (a later dvc repro from new raw data) is named `reproduced later` (or `produced elsewhere`, another branch), and neither it nor what it read is shown as an input; --json lists them under outside_history.

    With --store alone no repository is read (the current folder's is not taken for the store's): the built-in default policy judges the records, a data path names the version the store defined last (not the one a checkout's DVC files name), and a git revision (HEAD, a branch) names nothing; it says so. --repo PATH reads that repository's policy and checkout.

    Examples:
      lineage show churn@v1.1.0
      lineage show churn --as-of 2026-01-22
      lineage show data/prepared --json
      lineage show churn-prod-2026-01-20
      lineage show churn@v1.1.0 --store .lineage/lineage.db --repo .
    """
    from lineage.errors import ConfigError

    # --store without --repo: no repository (not the current folder's: it may be another)
    where: Path | None = None if store_at is not None and repo is None else repo_path(repo)
    with handle_errors():  # (messages are printed as text: refs, commit subjects)
        now = parse_as_of(as_of) or datetime.now(UTC)
        wall = now if as_of is None else datetime.now(UTC)  # the real time, as audit's
        store = open_read_store(repo, store_at, "show")
        try:
            graph = store.load_graph()
            from lineage.report import RunReport

            # what resolving met on the way (a checkout DVC file that cannot be read)
            report = RunReport()
            try:
                node_id = _resolve(graph, ref, where, None if as_of is None else now, report)
            except ConfigError as exc:
                if where is None and exc.hint and "lineage export" in exc.hint:
                    exc.hint += ("; the store was read without its repository: add --repo "
                                 "PATH to name a git revision (HEAD, a branch) or the data "
                                 "version its checkout names")
                raise
            gov = rec = None
            kind = str(graph.kind(node_id))
            judged = kind in ("model", "deployment") or kind in RECORD_LISTS
            if judged:
                from lineage.audit.index import build_index

                policy, policy_source = _policy(where)
                # the audit's own index, read from the store as `lineage audit` reads it (it
                # knows when the store first wrote each record)
                idx = build_index(store)
            if kind in ("model", "deployment"):
                gov = governance(graph, node_id, policy, now, policy_source, source=idx,
                                 wall=wall)
            if kind in RECORD_LISTS:  # what it is about: its fields, what it names, context
                rec = record_context(graph, node_id, policy, now, policy_source,
                                     source=idx, wall=wall, gov=gov)
            read_whole(store, "show")
        finally:
            store.close()
    warnings = [_where(w) + w.message for w in report.warnings]
    if where is None:
        warnings.append(without_repository(store_at, judged))
    warnings += _not_yet(graph, node_id, now) if as_of is not None else []
    # a data path read from the checkout: its DVC files are the commit the version is at
    at = _checkout_commit(graph, ref, node_id, where, None if as_of is None else now)
    if as_json:
        prov = graph.provenance_of(node_id, max_depth=depth, at=at)
        doc = {"ref": ref, "node": node_id, **prov.graph.to_node_link()}
        if prov.outside:  # (as warnings: only when a producer was left out)
            doc["outside_history"] = [o.as_dict() for o in prov.outside]
        if gov is not None:
            doc["governance"] = gov
        if rec is not None:
            doc["record"] = rec
        if warnings:
            doc["warnings"] = warnings
        print_json(doc)
        return
    for w in warnings:
        err_console.print(f"[yellow]warning:[/] {escape(w)}", soft_wrap=True)
    prov = graph.provenance_of(node_id, at=at)
    notes = _notes(gov)
    if rec is not None and rec["audit"] is not None:  # corrected, withdrawn: the record too
        notes.update(_notes({RECORD_LISTS[rec["kind"]]: [rec["audit"]]}))
    console.print(_provenance_tree(prov.graph, node_id, TREE_DEPTH if depth is None else depth,
                                   notes, outside=prov.outside, whole=graph))
    if rec is not None:
        for part in render_record(rec, context=gov is None):
            console.print()
            console.print(part)
    if gov is not None:
        for part in render_governance(gov):
            console.print()
            console.print(part)


def _where(w: Any) -> str:
    """``file:line: `` of a warning (empty when it names no file)."""
    return f"{w.file}{f':{w.line}' if w.line else ''}: " if w.file else ""


def without_repository(store_at: Path | None, policy: bool) -> str:
    """What ``show`` says of a store read with ``--store`` and no ``--repo``."""
    judged = "the built-in default policy judged what is shown (not the repository's), " \
        if policy else ""
    return (f"{store_at} was read without its repository (--store without --repo): "
            f"{judged}a data path names the version the store defined last (not the one the "
            "checkout's DVC files name) and a git revision (HEAD, a branch) names nothing; "
            "add --repo PATH to read the repository's")


def _resolve(graph: Any, ref: str, repo: Path | None, as_of: datetime | None,
             report: Any = None) -> str:
    """:func:`lineage.api.resolve_ref`; a ref that names nothing but is a path, relative to
    the current folder, of a data path the graph holds (``./data/x.csv``, ``x.csv`` inside
    ``data/``) is that data path, as DVC reads paths."""
    from lineage import api
    from lineage.errors import ConfigError
    from lineage.model import NodeKind

    def resolve(name: str) -> str:
        return api.resolve_ref(graph, name, repo=repo, as_of=as_of, rev_parse=_rev_parse(repo),
                               report=report)

    try:
        return resolve(ref)
    except api.AmbiguousRefError:
        raise
    except ConfigError:
        path = _repo_relative(ref, repo)
        if path is None or path == ref or not any(
                n.attrs.get("path") == path for n in graph.nodes(NodeKind.DATA)):
            raise
    return resolve(path)


def _repo_relative(ref: str, repo: Path | None) -> str | None:
    """``ref`` as a path from the repository root, read relative to the current folder (None
    when it is outside the repository, or there is none)."""
    import os

    from lineage import api
    from lineage.errors import NotARepositoryError

    if repo is None:
        return None
    try:
        root = api.find_repo_root(repo)
    except NotARepositoryError:
        return None
    full = Path(os.path.abspath(ref))
    try:
        rel = full.relative_to(root.resolve())
    except ValueError:
        try:
            rel = full.relative_to(root)
        except ValueError:
            return None
    return rel.as_posix() if rel.parts else None


def _not_yet(graph: Any, node_id: str, as_of: datetime) -> list[str]:
    """A model version created, or a data version first committed, after ``as_of`` (it did
    not exist then): one line saying so."""
    from lineage import api
    from lineage.model import EdgeKind

    def iso(t: datetime) -> str:
        return t.astimezone(UTC).isoformat().replace("+00:00", "Z")

    kind = str(graph.kind(node_id))
    if kind == "data":  # where a DVC file first records it (a revert records it again later)
        a = graph.attrs(node_id)
        commits = set(graph.predecessors(node_id, EdgeKind.DEFINES))
        if a.get("first_commit"):
            commits.add(f"commit:{a['first_commit']}")
        times = [t for c in commits if c in graph
                 and (t := api._commit_time(graph, c)) is not None]
        if not times or min(times) <= as_of:
            return []
        name = f"{a.get('path') or node_id}@{a.get('hash') or node_id.rsplit('@', 1)[-1]}"
        return [f"{name} was first committed {iso(min(times))}, after the --as-of time "
                f"{iso(as_of)}: it did not exist then"]
    if kind != "model":
        return []
    created = api._version_time(graph, node_id)
    if created <= as_of:
        return []
    return [f"{node_id.removeprefix('model:')} was created {iso(created)}, after the --as-of "
            f"time {iso(as_of)}: it did not exist then"]


def _checkout_commit(graph: Any, ref: str, node_id: str, repo: Path | None,
                     as_of: datetime | None) -> list[str]:
    """The commit whose history bounds the provenance of a data version named by its path in
    a repository (:meth:`~lineage.graph.LineageGraph.provenance_of` ``at``): HEAD, whose DVC
    files name the version (with ``as_of``, the last commit of HEAD's history by then, as the
    version was resolved); none for a node id, or without a repository (the version's own
    defining commits bound it then)."""
    from lineage import api

    if str(graph.kind(node_id)) != "data" or ref.startswith("data:") or repo is None:
        return []
    head = (_rev_parse(repo) or (lambda _: None))("HEAD")
    commit = f"commit:{head[0].lower()}" if head else ""
    if commit not in graph or graph.is_placeholder(commit):
        return []
    if as_of is None:
        return [commit]
    order = graph.history_order()
    then = [c for c in graph.commit_ancestors(commit)
            if (t := api._commit_time(graph, c)) is not None and t <= as_of]
    return [max(then, key=lambda c: order.get(c, -1))] if then else []


def _rev_parse(repo: Path | None) -> Any:
    """What git names by a revision in the repository (``git rev-parse``), for
    :func:`lineage.api.resolve_ref`: (commit sha, full ref name), None when nothing."""
    import subprocess

    from lineage import api
    from lineage.errors import NotARepositoryError

    if repo is None:
        return None
    try:
        root = api.find_repo_root(repo)
    except NotARepositoryError:
        return None

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                                 check=False, timeout=60)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    def parse(ref: str) -> tuple[str, str] | None:
        sha = git("rev-parse", "--verify", "-q", "--end-of-options", f"{ref}^{{commit}}")
        if not sha:
            return None
        name = (git("rev-parse", "--symbolic-full-name", ref) or "").splitlines()
        return sha, (name[0] if name and name[0].startswith("refs/") else ref)

    return parse


def _policy(repo: Path | None) -> tuple[Any, str]:
    """The audit policy in force in the repository (what ``lineage audit`` would use); the
    built-in default without a repository (``--store`` alone)."""
    from lineage import api
    from lineage.audit import resolve_policy
    from lineage.config import load_config

    if repo is None:
        return resolve_policy(None)
    root = api.find_repo_root(repo)
    cfg = load_config(root)
    return resolve_policy(root, None, cfg.policy)


# -- what the audit reads about one model version -------------------------------------------------
def _rid(node: str) -> str:
    return node.split(":", 1)[1] if ":" in node else node


def _version_for(ctx: Any, graph: Any, node_id: str) -> str | None:
    """The version class a model version or a deployment stands for (None for other nodes)."""
    kind = str(graph.kind(node_id))
    if kind == "model":
        return ctx.version_of(node_id)  # type: ignore[no-any-return]
    if kind == "deployment":
        for v in ctx.versions(unharvested=True):
            if node_id in ctx.linked(ctx.members[v], "deployment", "deployed_as", "model",
                                     outgoing=True, superseded=True):
                return v  # type: ignore[no-any-return]
    return None


def governance(graph: Any, node_id: str, policy: Any, now: datetime,
               policy_source: str = "built-in default", *,
               source: Any = None, wall: datetime | None = None) -> dict[str, Any] | None:
    """What an auditor reads about the model version ``node_id`` stands for (a version or one
    of its deployments), as ``lineage audit`` reads it: the audit's own index and context
    (version classes, corrections, the assessment in force, the approvals that count for each
    deployment) and the audit's findings for that version, from ``source`` (the store the
    graph was loaded from, or its :class:`~lineage.audit.index.AuditIndex`; default: the
    graph). ``wall``: the real time it is read at, as ``lineage audit`` takes it (default:
    now). None for other nodes.

    Each record also says when the store first wrote it (:func:`recorded`), each approval
    whose approver wrote the training code or ran the run its ``author_of``, and each
    deployment which of the approvals that count for it are ``not_independent``
    (:func:`_independence`)."""
    from lineage.audit import run_audit
    from lineage.audit.engine import AuditContext, FilterError
    from lineage.audit.index import build_index
    from lineage.audit.registry import short

    idx = build_index(graph if source is None else source)
    ctx = AuditContext(idx, policy, now, wall=wall)
    v = _version_for(ctx, graph, node_id)
    if v is None:
        return None
    # the data a run read: its path and content hash as the graph describes it
    facts = ctx.explain(v, data_attrs=lambda d: graph.attrs(d) if d in graph else {})
    for key in RECORD_LISTS.values():  # when the store learnt of each record
        for entry in facts[key]:
            entry.update(recorded(idx, entry["id"]))
    for run in facts["runs"]:  # a DVC experiment run again under its name: by which one
        props = graph.attrs(run["id"]).get("properties") if run["id"] in graph else None
        by = props.get("replaced_by") if isinstance(props, dict) else None
        run["replaced_by"] = by if run["deleted"] and isinstance(by, str) and by else None
    _independence(ctx, v, facts)
    out: dict[str, Any] = {k: facts.pop(k) for k in ("version", "aliases", "group")}
    out.update({"as_of": now, "policy": policy_source, **facts})

    # a version created after the as-of time: `lineage audit --model V --as-of` refuses it
    # (nothing of it to audit yet), so nothing of it is required or found either
    out["created_later"] = None
    if v not in ctx.versions(unharvested=True):
        out["created_later"] = min((t for m in ctx.members[v]
                                    if (t := ctx._since(m, "created_at")) is not None),
                                   default=None) or now
        out["documents_missing"], out["findings"], out["waived"] = [], [], []
        return out
    # the audit's own findings about this version (its group's and runs' included)
    try:
        report = run_audit(idx, policy, now=now, model=short(v), policy_source=policy_source)
    except FilterError:  # a version only a deployment names: nothing the filter can select
        out["findings"], out["waived"] = [], []
    else:
        out["findings"] = [{k: f.as_dict().get(k) for k in (
            "rule", "severity", "subject", "message", "environment", "remediation")}
            for f in report.findings]
        out["waived"] = [{"rule": f.rule, "subject": f.subject} for f in report.waived]
    return out


# -- when the store learnt of a record ------------------------------------------------------------
# a record written to the store more than lineage.audit.engine.RECORDED_LATE after the date it
# carries is marked "recorded N days later": a decision back-dated when it was written reads
# like one made at the time (the audit's reports say so of an approval a passed gate counts
# that was recorded more than a week late)


def recorded(idx: Any, nid: str) -> dict[str, Any]:
    """When the record ``nid`` was first recorded (``recorded_at``): the earliest of when the
    store first wrote it (``stored_at``: the event that first wrote it, as the audit's index
    keeps it) and when git first held it — ``committed_at``, in commit ``committed_in``: the
    commit that added it to its record file, as the records harvester keeps it; for a
    deployment GTO made, its tag's date (its ``deployed_at``), the tag named by ``tag`` —;
    ``recorded_by`` says which (``store``, ``commit``, ``tag``); None when its source keeps no
    such time (a graph read back from DataHub). A fresh clone's harvest writes every record
    long after git held it: git is the better evidence then. When ``recorded_at`` is more than
    :data:`lineage.audit.engine.RECORDED_LATE` after the date the record carries (an approval's ``decided_at``, a
    deployment's ``deployed_at``, an assessment's ``assessed_at``, an alert's, retraining's or
    document's ``at``), ``recorded_late``: that ``attribute``, its ``date``, the ``recorded``
    time and ``days`` between them (whole days); else None."""
    from lineage.audit.engine import DATED, RECORDED_LATE
    from lineage.audit.registry import parse_time

    times = idx.recorded.get(nid)
    stored = parse_time(times[0]) if times else None
    a = idx.a(nid) if nid in idx.attrs else {}
    committed = parse_time(a.get("committed_at"))
    sha = a.get("committed_in") if committed is not None else None
    props = a.get("properties")
    tag = props.get("gto_tag") if isinstance(props, dict) and a.get("source") == "gto" \
        else None
    tagged = parse_time(a.get("deployed_at")) if isinstance(tag, str) else None
    # the earliest evidence (at one instant: the store's, then the commit's)
    at, by = min(((t, by) for t, by in ((stored, "store"), (committed, "commit"),
                                         (tagged, "tag")) if t is not None),
                 key=lambda x: x[0], default=(None, None))
    late = None
    attr = next((name for name, first in DATED.get(nid.split(":", 1)[0], ()) if first), None)
    dated = parse_time(a.get(attr)) if attr else None
    if at is not None and dated is not None and at - dated > RECORDED_LATE:
        late = {"attribute": attr, "date": dated, "recorded": at,
                "days": (at - dated).days}
    return {"recorded_at": at, "recorded_by": by, "stored_at": stored,
            "committed_at": committed, "committed_in": sha if isinstance(sha, str) else None,
            "tag": tag if tagged is not None else None, "recorded_late": late}


# -- approvals four-eyes does not count ------------------------------------------------------------
def _independence(ctx: Any, v: str, facts: dict[str, Any]) -> None:
    """Marks the approvals whose approver wrote the version's training code or ran its run:
    ``author_of`` on each approval (that run or commit, else None) and, on each deployment,
    ``not_independent``: the approvals that count for it (``deployment-approved``) that the
    four-eyes rule does not count as independent approvers — by the rule's own reading of who
    the authors are and who is one person."""
    from lineage.audit.rules import _authors, person, same_person

    authors = _authors(ctx, v)

    def author_of(approval: str) -> str | None:
        me = person(str(ctx.idx.a(approval).get("approver") or ""))
        return next((ev for p, ev in authors if me is not None and same_person(me, p)), None)

    for a in facts["approvals"]:
        a["author_of"] = author_of(a["id"])
    for d in facts["deployments"]:
        d["not_independent"] = [ap for ap in d["approved_by"] if author_of(ap) is not None]


# -- a record: what it is about -------------------------------------------------------------------
# the records `show` gives a context, and the list of the governance facts each one is in
RECORD_LISTS = {"approval": "approvals", "alert": "alerts", "retraining": "retraining",
                "risk_assessment": "assessments", "deployment": "deployments",
                "document": "documents"}
# a record's attributes that name another node, and what that node is to the record
_REFS = (("model", "model version"), ("new_model", "new version"),
         ("previous_model", "previous version"), ("run", "training run"),
         ("alert", "triggered by"), ("model_group", "model group"))
# what a node linked to the record is to it, by the link (kind, direction); else its kind
_LINKED = {("approves", "out"): "deployment it approves", ("approves", "in"): "approved by",
           ("triggers", "out"): "retraining it triggered", ("triggers", "in"): "triggered by",
           ("retrains", "in"): "previous version", ("retrains", "out"): "new version",
           ("deployed_as", "in"): "model version", ("alerts", "in"): "monitored by"}
# the order a record's own fields are listed in (the others follow, by name)
_FIELDS = ("approver", "role", "decision", "environment", "endpoint", "decided_at",
           "deployed_at", "deployed_by", "retired_at", "tier", "annex_iii_area", "assessor",
           "assessed_at", "next_review", "intended_purpose", "rationale", "metric", "value",
           "threshold", "status", "at", "description", "trigger", "reason",
           "within_change_plan", "doc_kind", "title", "uri", "content_hash", "evidence",
           "source")


def _typed(graph: Any, nid: str) -> str:
    """What to type after ``lineage show`` for the node ``nid``: its short spelling where
    that names it (``churn@v1.1.0``, ``churn-prod-2026-01-20``), else its id."""
    from lineage import api
    from lineage.model import NodeKind

    kind, _, rest = nid.partition(":")
    if kind == "model" and rest not in graph and f"commit:{rest.lower()}" not in graph:
        return rest
    if kind in RECORD_LISTS or kind == "run":
        clash = rest in graph or f"model:{rest}" in graph or f"model_group:{rest}" in graph \
            or (len(rest) >= 4 and any(c.startswith(f"commit:{rest.lower()}")
                                       for c in graph.node_ids(NodeKind.COMMIT)))
        if not clash and api._records_named(graph, rest) == [nid]:
            return rest
    return nid


def _name(graph: Any, role: str, target: str) -> dict[str, Any]:
    """One node a record names: what it is to the record, its id and kind, whether a harvest
    described it, and the command that shows it."""
    known = target in graph
    return {"role": role, "id": target,
            "kind": str(graph.kind(target)) if known else target.split(":", 1)[0],
            "harvested": known and not graph.is_placeholder(target),
            "show": f"lineage show {_typed(graph, target)}"}


def _named(graph: Any, nid: str) -> list[dict[str, Any]]:
    """The nodes the record ``nid`` names (its attributes and its links, commits left to the
    tree), then the model group of each version it names (:func:`_name`)."""
    from lineage.model import EdgeKind

    a = graph.attrs(nid)
    out: list[dict[str, Any]] = []
    seen = {nid}

    def add(role: str, target: Any) -> None:
        if isinstance(target, str) and ":" in target and target not in seen:
            seen.add(target)
            out.append(_name(graph, role, target))

    for key, role in _REFS:
        add(role, a.get(key))
    kind = str(graph.kind(nid))
    for ref in str((a.get("properties") or {}).get("supersedes") or "").split(","):
        if ref.strip():
            add("corrects", ref.strip() if ":" in ref else f"{kind}:{ref.strip()}")
    for e in graph.out_edges(nid):
        if str(graph.kind(e.target)) != "commit":
            add(_LINKED.get((e.kind.value, "out"), str(graph.kind(e.target))), e.target)
    for e in graph.in_edges(nid):
        if str(graph.kind(e.source)) != "commit":
            add(_LINKED.get((e.kind.value, "in"), str(graph.kind(e.source))), e.source)
    for ref in [r["id"] for r in out if r["kind"] == "model"]:
        if ref in graph:
            for group in graph.successors(ref, EdgeKind.VERSION_OF):
                add("model group", group)
    return out


def _about(graph: Any, nid: str, names: list[dict[str, Any]], now: datetime) -> str | None:
    """The model version a record is about: the one it names (a retraining: the new one),
    else the latest version then of the model group it names (an assessment, a document of
    the group)."""
    from lineage import api

    for role in ("model version", "new version", "previous version"):
        for r in names:
            if r["role"] == role and r["kind"] == "model":
                return str(r["id"])
    for r in names:
        if r["kind"] == "model_group" and r["id"] in graph:
            return api.latest_model_version(graph, r["id"], as_of=now)
    return None


def record_context(graph: Any, node_id: str, policy: Any, now: datetime,
                   policy_source: str = "built-in default", *, source: Any = None,
                   wall: datetime | None = None,
                   gov: dict[str, Any] | None = None) -> dict[str, Any]:
    """What ``show`` says of a governance record (approval, alert, retraining, risk
    assessment, deployment, document) beyond its few links upstream: its own ``fields``; the
    nodes it ``names`` (:func:`_named`); the model version it is ``about`` (:func:`_about`);
    the record as the ``audit`` reads it in that version's governance (None when it is not
    in it, e.g. made after the as-of time); when the store first wrote it (``recorded_at``,
    ``recorded_late``: :func:`recorded`); and the ``context`` of that version — group,
    risk tier and the run(s) that produced it, with their code commit and data. ``gov``:
    :func:`governance` of the version when the caller has it (a deployment's)."""
    from lineage.audit.index import build_index

    names = _named(graph, node_id)
    about = _about(graph, node_id, names, now)
    if about is not None and about not in {r["id"] for r in names}:  # of the group it names
        names.append(_name(graph, "latest version", about))
    idx = build_index(graph if source is None else source)
    if gov is None and about is not None:
        gov = governance(graph, about, policy, now, policy_source, source=idx, wall=wall)
    listed = RECORD_LISTS[str(graph.kind(node_id))]
    entry = next((r for r in (gov or {}).get(listed, ()) if r.get("id") == node_id), None)
    if entry is not None:  # the records that correct or withdraw it, as the audit reads them
        known = {r["id"] for r in names}
        later = [("corrected by", x) for x in entry.get("superseded_by") or ()]
        if entry.get("withdrawn_by"):
            later.append(("withdrawn by", entry["withdrawn_by"]))
        later += [(role, r["id"]) for r in (gov or {}).get(listed, ()) for role, hit in (
            ("corrects", node_id in (r.get("superseded_by") or ())),
            ("withdraws", r.get("withdrawn_by") == node_id)) if hit]
        for role, x in later:
            if x not in known:
                known.add(x)
                names.append(_name(graph, role, x))
    return {
        "id": node_id, "kind": str(graph.kind(node_id)),
        "fields": {k: v for k, v in graph.attrs(node_id).items() if v is not None},
        "names": names, "about": about, "audit": entry, "as_of": now,
        **recorded(idx, node_id),
        "context": None if gov is None else {
            k: gov[k] for k in ("version", "aliases", "group", "risk", "runs", "as_of",
                                "created_later")},
    }


def _record_status(kind: str, entry: dict[str, Any], context: dict[str, Any]) -> str:
    """The record's status cell, as its version's governance table says it."""
    gov = context  # the facts the cells read: as_of, the risk assessment in force
    if kind == "approval":
        return _approval_status(entry)
    if kind == "deployment":
        return _deployment_state(entry) + "\napprovals that count (deployment-approved): " + \
            _deployment_approvals(entry)
    if kind == "risk_assessment":
        return _assessment_status(entry, gov)
    if kind == "document":
        return _document_status(entry, gov)
    if kind == "retraining":
        return _retraining_status(entry, gov)
    return _alert_status(entry, gov) + "\nfollow-up: " + _follow_up(entry)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in sorted(value.items()))
    return str(value)


def render_record(rec: dict[str, Any], *, context: bool = True) -> list[Any]:
    """A record's own fields, what it names (each with the command that shows it) and, with
    ``context``, the version it is about: headline and the run(s) that produced it."""
    from rich.text import Text

    from lineage.audit.registry import short

    kind, fields = rec["kind"], rec["fields"]
    refs = {key for key, _ in _REFS} | {"record_file", "properties", "model"}
    t = _Fields(_s(f"{kind.replace('_', ' ').capitalize()} {_rid(rec['id'])}"))
    keys = [k for k in _FIELDS if k in fields] + sorted(
        k for k in fields if k not in _FIELDS and k not in refs)
    for k in keys:
        t.add_row(_s(k.replace("_", " ")), _s(_value(fields[k])))
    for k, v in sorted((fields.get("properties") or {}).items()):
        t.add_row(_s(k.replace("_", " ")), _s(_value(v)))
    if fields.get("record_file"):
        t.add_row("recorded in", _s(fields["record_file"]))
    if rec.get("recorded_at") is not None:  # when the store first wrote it
        late = rec.get("recorded_late")
        t.add_row("recorded at", _s(_iso(rec["recorded_at"])) + _committed(rec) + (
            f"\n[yellow]{_s(_later(late['recorded'] - late['date']))} than its date "
            f"({_s(late['attribute'])} {_s(_iso(late['date']))})[/]"
            if late else ""))
    if rec["audit"] is not None and rec["context"] is not None:
        t.add_row("status (audit)", _record_status(kind, rec["audit"], rec["context"]))
    elif rec["context"] is not None:
        t.add_row("status (audit)", "[dim]not in the audit of "
                  f"{_s(short(rec['context']['version']))} as of "
                  f"{_iso(rec['context']['as_of'])}[/]")
    elif rec["about"] is not None:
        t.add_row("status (audit)", f"[red]{_s(short(rec['about']))} is not harvested: the "
                  "audit reports it (lineage-continuity)[/]")
    elif any(r["kind"] == "model_group" for r in rec["names"]):
        t.add_row("status (audit)", "[dim]no version of the model group was registered as "
                  f"of {_iso(rec['as_of'])}: none the audit reads it for[/]")
    parts: list[Any] = [t]

    names = _table("What it names", "names", "id!", "show it with!")
    for r in rec["names"]:
        names.add_row(_s(r["role"]), _s(r["id"]) + ("" if r["harvested"]
                                                    else " [red](not harvested)[/]"),
                      _s(r["show"]))
    if not rec["names"]:
        names.add_row("[red]nothing[/]", "", "")
    parts.append(names)

    ctx = rec["context"]
    if context and ctx is not None:
        v = short(ctx["version"])
        parts.append(_headline(ctx))
        if ctx.get("created_later"):
            parts.append(Text.from_markup(
                f"[yellow]{_s(v)} was created {_iso(ctx['created_later'])}, after the as-of "
                "time: it did not exist yet[/]", emoji=False))
        parts.append(_runs_table(ctx, f"Provenance of {v}: training run · code · data"))
        parts.append(Text.from_markup(
            f"[dim]lineage show {_s(v)}: its approvals, deployments, documents, retraining, "
            "alerts and audit findings[/]", emoji=False))
    return parts


# -- rendering ---------------------------------------------------------------------------------
def _notes(gov: dict[str, Any] | None) -> dict[str, str]:
    """What the tree adds to a record's label: corrected, withdrawn, not in force, retired."""
    if gov is None:
        return {}
    out: dict[str, str] = {}
    for run in gov.get("runs", []):
        late = run.get("started_after_registration")
        if late:
            out[run["id"]] = _late_note(gov, late)
    for key in ("approvals", "deployments", "documents", "retraining", "alerts",
                "assessments"):
        for rec in gov.get(key, []):
            if rec.get("superseded_by"):
                out[rec["id"]] = "superseded by " + ", ".join(
                    _rid(x) for x in rec["superseded_by"])
            elif rec.get("status") == "withdrawn":
                out[rec["id"]] = "withdrawn" + (
                    f" by {_rid(rec['withdrawn_by'])}" if rec.get("withdrawn_by") else "")
    return out


def _late_note(gov: dict[str, Any], late: dict[str, Any]) -> str:
    """A run that started after the version was registered: not the run that produced it."""
    from lineage.audit.registry import short

    return (f"started after {short(str(gov.get('version') or late.get('node') or ''))} was "
            f"registered ({_time_text(late.get('registered_at'))}): not the run that "
            "produced it")


def _s(value: Any) -> str:
    from rich.markup import escape

    return "—" if value is None or value == "" else escape(str(value))


READABLE = 16  # the narrowest a column of text is shown with in a table, else stacked


class _Table:
    """A table whose cells wrap and never cut: an id, a hash or a date cut with an ellipsis
    cannot be looked up. Columns named with a trailing ``!`` keep their values whole (they
    wrap only when longer than 40 characters); the others wrap at words."""

    def __init__(self, title: str, *columns: str) -> None:
        self.title = title
        self.columns = [c.rstrip("!") for c in columns]
        self.keep = [c.endswith("!") for c in columns]
        self.rows: list[tuple[str, ...]] = []
        self.caption: str | None = None
        self.empty: str | None = None  # printed (dim) in place of a table without rows


    def add_row(self, *cells: str) -> None:
        self.rows.append(cells)

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich import box
        from rich.table import Table
        from rich.text import Text

        def lines(i: int) -> list[str]:
            return [self.columns[i], *(line for row in self.rows for line in
                                       Text.from_markup(row[i], emoji=False).plain.splitlines())]

        def width(i: int) -> int:
            return max(len(line) for line in lines(i))

        def word(i: int) -> int:  # rich never makes a column narrower than its longest word
            return max((len(w) for line in lines(i) for w in line.split()), default=0)

        # the title on a line of its own: as a table title it would wrap to the table's width
        yield Text.from_markup(f"[bold]{self.title}[/]", emoji=False)
        if not self.rows and self.empty is not None:
            yield Text(self.empty, style="dim")
            return
        n = len(self.columns)
        natural = [width(i) for i in range(n)]
        # the narrowest each column can be: kept columns whole (up to 40 characters), the
        # others at their longest word and, to be read as a phrase, not a word a line,
        # READABLE characters (or their whole text when shorter)
        least = [max(min(40, natural[i]) if self.keep[i] else min(READABLE, natural[i]),
                     word(i)) for i in range(n)]
        room = options.max_width - (3 * n - 1)  # the box's edges, dividers and padding
        if sum(least) <= room:
            # the widths are set here, not left to rich: when a table is too wide, rich
            # narrows its widest columns first, below their longest word (an id folded
            # mid-way, a status cut at the edge of the terminal)
            widths = _share(least, natural, room)
            wide = Table(expand=False, box=box.SIMPLE_HEAD, pad_edge=False, caption=self.caption)
            for name, w in zip(self.columns, widths, strict=True):
                wide.add_column(name, overflow="fold", width=w)
            for row in self.rows:
                # node ids are no emoji codes (deployment:ghost:prod:…)
                wide.add_row(*(Text.from_markup(cell, emoji=False) for cell in row))
            yield wide
            return
        # too narrow for one column per fact (an 80-column terminal): each record on a line of
        # its own, then its facts one per line, named as the columns are; text wraps at words
        # (a word longer than the line is folded), the lines after a fact's first indented
        # under it
        yield Text()
        width_ = options.max_width
        for row in self.rows:
            head = Text.from_markup(f"[bold]{row[0]}[/]", emoji=False)
            for line in head.wrap(console, width_, overflow="fold"):
                line.rstrip()
                yield line
            for name, cell in zip(self.columns[1:], row[1:], strict=True):
                if not cell:
                    continue
                fact = Text.from_markup((f"[dim]{name}:[/] " if name else "")
                                        + " · ".join(cell.splitlines()), emoji=False)
                for k, line in enumerate(fact.wrap(console, max(20, width_ - 4),
                                                   overflow="fold")):
                    line.rstrip()
                    yield Text.assemble("  " if k == 0 else "    ", line)
        if self.caption:
            yield Text.from_markup(f"[dim]{self.caption}[/]", emoji=False)


class _Fields:
    """One record's fields, one a line: the name, then the value wrapped at words under
    itself. A value with a word too long for what is left of the line (a sha256) goes whole
    on the lines after its name, indented: never cut."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.rows: list[tuple[str, str]] = []

    def add_row(self, name: str, value: str) -> None:
        self.rows.append((name, value))

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.text import Text

        yield Text.from_markup(f"[bold]{self.title}[/]", emoji=False)
        width = options.max_width
        names = [Text.from_markup(n, emoji=False) for n, _ in self.rows]
        pad = 2 + max((len(n.plain) for n in names), default=0) + 2
        for name, (_, value) in zip(names, self.rows, strict=True):
            lines = Text.from_markup(value, emoji=False).split("\n")
            longest = max((len(w) for line in lines for w in line.plain.split()), default=0)
            if pad + max(longest, READABLE) > width:  # the value on lines of its own
                yield Text.assemble("  ", name)
                indent, room = "    ", max(20, width - 4)
            else:
                indent, room = " " * pad, width - pad
            first = indent != "    "
            for line in lines:
                for part in line.wrap(console, room, overflow="fold"):
                    part.rstrip()
                    if first:
                        yield Text.assemble("  ", name, " " * (pad - 2 - len(name.plain)),
                                            part)
                        first = False
                    else:
                        yield Text.assemble(indent, part)


def _share(least: list[int], natural: list[int], room: int) -> list[int]:
    """Column widths from their least and natural widths: each its natural width when all
    fit in ``room``; else what is left over the least widths is shared out, the columns that
    lack least made whole first (a status or a date on one line costs a few characters; the
    long text of a reason or a finding wraps into what remains)."""
    if sum(natural) <= room:
        return list(natural)
    widths = list(least)
    spare = room - sum(least)
    order = sorted(range(len(widths)), key=lambda i: (natural[i] - least[i], i))
    for k, i in enumerate(order):
        give = min(natural[i] - least[i], spare // (len(order) - k))
        widths[i] += give
        spare -= give
    return widths


def _table(title: str, *columns: str) -> _Table:
    return _Table(title, *columns)


def _superseded(rec: dict[str, Any]) -> str:
    return "[yellow]superseded by " + ", ".join(_s(_rid(x)) for x in rec["superseded_by"]) + "[/]"


def _made_later(rec: dict[str, Any], as_of: datetime, dated: str = "dated") -> str:
    """Why a retraining or document was not there yet at the as-of time: its date (``at``),
    else its recording."""
    from lineage.audit.registry import parse_time

    at = parse_time(rec.get("at"))
    return (f"{dated} after the as-of time" if at is not None and at > as_of
            else "recorded after the as-of time")


def _ahead(rec: dict[str, Any]) -> str:
    """What a status cell adds for dates later than the record's writing."""
    return "".join(
        f"\n[yellow]{_s(f['attribute'])} is after the record was written "
        f"({_s(f['recorded'].astimezone(UTC).isoformat(timespec='seconds'))})[/]"
        for f in rec.get("future_dated", ()))


# what a retraining record is to the version shown (the JSON's role)
_ROLES = {"trained by": "produced it", "replaced by": "replaced it"}


def _source(run: str, source: str | None) -> str:
    """`` (source: …)`` when a run's id does not already name its source (``lineage:…``,
    ``mlflow:…``)."""
    if not source or _rid(run).startswith(f"{source}:"):
        return ""
    return f" (source: {_s(source)})"


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _headline(gov: dict[str, Any]) -> Any:
    """``churn@v1.1.0 · model group churn · risk tier high · as of …``."""
    from rich.text import Text

    from lineage.audit.registry import short

    v = short(gov["version"])
    aka = f" (= {', '.join(short(a) for a in gov['aliases'])})" if gov["aliases"] else ""
    tier = str(gov["risk"]["tier"])
    style = {"high": "bold red", "unacceptable": "bold red", "limited": "yellow",
             "minimal": "green"}.get(tier, "red")
    return Text.assemble((f"{v}{aka}", "bold"), " · model group ",
                         (short(gov["group"]) if gov["group"] else "—", "bold"),
                         " · risk tier ", (tier, style), f" · as of {_iso(gov['as_of'])}")


def _runs_table(gov: dict[str, Any], title: str = "Training run · code · data") -> _Table:
    """The run(s) that produced the version: status, code commit, data read and its pins."""
    t = _table(title, "run!", "status", "code commit!", "data read (content hash, pin)")
    for r in gov["runs"]:
        status = _s(r["status"] or "unknown") + _source(r["id"], r["source"])
        if r["deleted"]:
            by = r.get("replaced_by")
            status += f" (replaced by {_s(_rid(by))})" if by else " (deleted)"
        if r.get("status_conflict"):  # the two sources ended it differently: both words
            said = ", ".join(f"{st or 'unknown'} ({_rid(s).split(':', 1)[0]})"
                             for s, st in (r.get("statuses") or {}).items())
            status += f"\n[red]status conflict: {_s(said)}[/]"
        for other in r.get("same_as") or ():  # one job, seen by another source too
            status += f"\nsame as run {_s(_rid(other))}"
        if r["dirty"]:
            status += "\n[red]dirty tree[/]"
        times = _run_times(r)
        if times:
            status += f"\n{_s(times)}"
        if r.get("started_after_registration"):
            status += f"\n[red]{_s(_late_note(gov, r['started_after_registration']))}[/]"
        data = "\n".join(f"{_s(i['path'])} {_s(i['hash'])} ({_s(i['pin'])})"
                         for i in r["inputs"]) or "[red]no input recorded[/]"
        commit = _s(_rid(r["commit"])[:12]) if r["commit"] else "[red]none[/]"
        t.add_row(_s(_rid(r["id"])), status, commit, data)
    if not gov["runs"]:
        t.add_row("[red]no run produced this version[/]", "", "", "")
    return t


# -- a record's status as the audit reads it (a cell of the governance tables) ------------------
def _assessment_status(a: dict[str, Any], gov: dict[str, Any]) -> str:
    return (_superseded(a) if a["superseded_by"] else (
        "[green]in force[/]" if a["status"] == "in force"
        else "[yellow]not in force yet: dated after the as-of time[/]"
        if a["status"] == "not in force yet"
        else f"not in force ({_s(_rid(gov['risk']['assessment']))} is)"
        if gov["risk"]["assessment"] else _s(a["status"]))) + _holds(a, gov) + _ahead(a)


def _holds(a: dict[str, Any], gov: dict[str, Any]) -> str:
    """What an assessment no longer in force still sets: after a downgrade, the stricter
    tier of the one in force when the version was first deployed holds for its deployments
    (the audit's ``risk.held_by``)."""
    if a["id"] != gov["risk"].get("held_by") or a["status"] == "in force":
        return ""
    return (f"\n[yellow]its tier {_s(a['tier'])} still holds for the deployments made while "
            "it was in force[/]")


def _approval_status(a: dict[str, Any]) -> str:
    if a["superseded_by"]:
        status = _superseded(a)
    elif a["status"] == "withdrawn":
        by = f" by {_s(_rid(a['withdrawn_by']))}" if a["withdrawn_by"] else ""
        status = f"[red]withdrawn{by}[/]" + _still_counts(a)
    elif a["status"] == "in force":
        counts = ", ".join(_s(_rid(d)) for d in a["counts_for"])
        status = "[green]in force[/]" + (f"; counts for {counts}" if counts else "")
    elif a["status"] == "not counted" and a["counts_for"]:
        # not for a deployment made now (a moved tag's new bytes), yet for those made before
        status = "[yellow]not counted for a deployment made now[/]" + _still_counts(a)
    else:
        status = f"[red]{_s(a['status'])}[/]" + _still_counts(a)
    if a["note"] and a["status"] != "withdrawn":
        status += f"\n[dim]{_s(a['note'])}[/]"
    return status + _author_note(a) + _ahead(a)


def _still_counts(a: dict[str, Any]) -> str:
    """``; counts for …``: the deployments an approval that does not stand now still counts
    for (made while it stood)."""
    counts = ", ".join(_s(_rid(d)) for d in a.get("counts_for") or ())
    return f"; [green]counts for {counts}[/]" if counts else ""


def _recorded(rec: dict[str, Any], as_of: datetime) -> str:
    """A record's ``recorded`` cell: when it was first recorded (the store's first writing, or
    the commit that added it to its file when that is earlier: ``(committed 3adf15852b27)``),
    and how long after the date it carries when that is more than :data:`lineage.audit.engine.RECORDED_LATE`
    (``319 days later``)."""
    at = rec.get("recorded_at")
    if at is None:  # a source that keeps no such time (a graph read back from DataHub)
        return "—"
    cell = _s(_iso(at)) + _committed(rec, "\n")
    late = rec.get("recorded_late")
    if late:
        cell += f"\n[yellow]{_s(_later(late['recorded'] - late['date']))}[/]"
    if at > as_of:
        cell += "\n[dim]after the as-of time[/]"
    return cell


def _committed(rec: dict[str, Any], sep: str = " ") -> str:
    """``(committed 3adf15852b27)`` when a record's ``recorded_at`` is the commit that added it
    to its file, ``(tag churn#prod#3)`` the GTO tag that made a deployment; nothing when it is
    the store's writing."""
    if rec.get("recorded_by") == "commit":
        return f"{sep}[dim](committed {_s(str(rec.get('committed_in') or '?')[:12])})[/]"
    if rec.get("recorded_by") == "tag":
        return f"{sep}[dim](tag {_s(rec.get('tag'))})[/]"
    return ""


def _later(delta: timedelta) -> str:
    """``319 days later``, ``30 hours later``."""
    if delta >= timedelta(days=2):
        return f"{delta.days} days later"
    return f"{int(delta.total_seconds() // 3600)} hours later"


def _author_note(a: dict[str, Any]) -> str:
    """What an approval by the author of the training code or run is to four-eyes."""
    ev = a.get("author_of")
    if not ev:
        return ""
    # (the run is the one the table above lists: author_of in JSON names it)
    did = (f"wrote its training code (commit {_rid(ev)[:12]})" if ev.startswith("commit:")
           else "ran its training run")
    return f"\n[yellow]the approver {_s(did)}: not an independent approver for four-eyes[/]"


def _deployment_state(d: dict[str, Any]) -> str:
    if d["superseded_by"]:
        state = _superseded(d)
    elif d["state"] == "not deployed yet":
        state = "[dim]not deployed yet (dated after the as-of time)[/]"
    elif d["live"]:
        state = "[green]live[/]"
    else:
        state = f"retired {_s(d['retired_at'])}"
    return state + _ahead(d)


def _deployment_approvals(d: dict[str, Any]) -> str:
    """The approvals that count for a deployment (``deployment-approved``), those by the
    author of the training code or run marked: four-eyes does not count them."""
    mine = set(d.get("not_independent") or ())
    ok = ", ".join(_s(_rid(a)) + (" [yellow](author: not counted by four-eyes)[/]"
                                  if a in mine else "") for a in d["approved_by"])
    notes = "; ".join(_s(n) for n in d["approval_notes"])
    return (ok or ("—" if d["state"] in ("superseded", "not deployed yet")
                   else "[red]none[/]")) + (f"\n[dim]{notes}[/]" if notes else "")


def _document_status(d: dict[str, Any], gov: dict[str, Any]) -> str:
    return (_superseded(d) if d["superseded_by"] else "[green]counts[/]" if d["counts"]
            else f"[dim]not there yet ({_made_later(d, gov['as_of'], 'issued')})[/]")


def _retraining_status(r: dict[str, Any], gov: dict[str, Any]) -> str:
    if r["superseded_by"]:
        status = _superseded(r)
    elif r["status"] == "not made yet":
        status = f"[dim]not made yet ({_made_later(r, gov['as_of'])})[/]"
    elif r["status"] == "counts":
        status = "[green]counts[/]"
    elif r["note"]:
        status = f"[red]does not count: {_s(r['note'])}[/]"
    else:  # the record of a later version: its own, not this one's
        status = "—"
    return status + _ahead(r)


def _alert_status(a: dict[str, Any], gov: dict[str, Any]) -> str:
    status = _superseded(a) if a["superseded_by"] else (
        f"[red]{_s(a['status'])}[/]" if a["status"] == "open" else _s(a["status"]))
    return status + _ahead(a) + (
        f"\n[dim]not raised yet ({_made_later(a, gov['as_of'], 'raised')})[/]"
        if a.get("raised_later") else "")


def _follow_up(a: dict[str, Any]) -> str:
    return (", ".join(_s(_rid(x)) for x in a["follow_up"]) or "—") + "".join(
        f"\n[dim]{_s(x['why'])}[/]" for x in a["not_follow_up"])


def render_governance(gov: dict[str, Any]) -> list[Any]:
    """The tables an auditor reads after the tree (one per fact), from :func:`governance`."""
    from rich.text import Text

    from lineage.audit.registry import short

    parts: list[Any] = [_headline(gov), _runs_table(gov)]
    v = short(gov["version"])
    tier = str(gov["risk"]["tier"])
    as_of = _iso(gov["as_of"])

    at = gov["as_of"]
    t = _table("Risk tier (assessments of the model group)", "assessment!", "tier",
               "assessed!", "recorded!", "assessor", "next review!", "status")
    for a in gov["assessments"]:
        t.add_row(_s(_rid(a["id"])), _s(a["tier"]), _s(a["assessed_at"]), _recorded(a, at),
                  _s(a["assessor"]), _s(a["next_review"]), _assessment_status(a, gov))
    if not gov["assessments"]:
        t.add_row("[red]none: the system is unassessed[/]", "", "", "", "", "", "")
    parts.append(t)

    t = _table("Approvals", "approval!", "approver", "role", "decision", "environment",
               "decided!", "recorded!", "evidence", "status")
    for a in gov["approvals"]:
        t.add_row(_s(_rid(a["id"])), _s(a["approver"]), _s(a["role"]),
                  _s(a["decision"] or "approved"), _s(a["environment"] or "any"),
                  _s(a["decided_at"]), _recorded(a, at), _s(a["evidence"]),
                  _approval_status(a))
    if not gov["approvals"]:
        t.add_row("[red]none on record[/]", "", "", "", "", "", "", "", "")
    parts.append(t)

    t = _table("Deployments", "deployment!", "environment", "deployed!", "recorded!", "by",
               "state", "approvals that count (deployment-approved)")
    for d in gov["deployments"]:
        where = _s(d["environment"]) + (f"\n[dim]{_s(d['endpoint'])}[/]" if d.get("endpoint")
                                          else "")
        t.add_row(_s(_rid(d["id"])), where, _s(d["deployed_at"]),
                  _recorded(d, at), _s(d["deployed_by"]), _deployment_state(d),
                  _deployment_approvals(d))
    if not gov["deployments"]:
        t.add_row("[dim]not deployed[/]", "", "", "", "", "", "")
    parts.append(t)

    t = _table("Documents (of the version and of its model group)", "kind!", "document!", "uri",
               "of", "issued!", "recorded!", "status")
    missing = list(gov["documents_missing"])
    for d in gov["documents"]:
        status = _document_status(d, gov)
        if d.get("unpinned") and d["doc_kind"] in gov["documents_missing"]:
            status += f"\n[red]does not count: {_s(d['unpinned'])}[/]"
        if d["doc_kind"] in missing and (not d["counts"] or d.get("unpinned")):
            # one line per kind: why it is missing
            missing.remove(d["doc_kind"])
            status += f"\n[red]so missing: required at {_s(tier)} risk[/]"
        t.add_row(_s(d["doc_kind"]), _s(_rid(d["id"])), _s(d["uri"]), d["scope"], _s(d["at"]),
                  _recorded(d, at), status)
    for kind in missing:
        t.add_row(_s(kind), "[red]missing[/]", "", "", "", "",
                  f"[red]required at {_s(tier)} risk[/]")
    t.empty = "no documents recorded"  # none, and none required: no header without a row
    parts.append(t)

    t = _table("Retraining", "record!", "for this version", "trigger", "at!", "recorded!",
               "reason", "previous → new", "change plan", "status")
    for r in gov["retraining"]:
        prev = short(str(r["previous_model"])) if r["previous_model"] else "—"
        new = short(str(r["new_model"])) if r["new_model"] else "—"
        plan = {True: "within", False: "[yellow]outside[/]"}.get(r["within_change_plan"], "—")
        t.add_row(_s(_rid(r["id"])), _ROLES.get(r["role"], _s(r["role"])), _s(r["trigger"]),
                  _s(r["at"]), _recorded(r, at), _s(r["reason"]), f"{_s(prev)} → {_s(new)}",
                  plan, _retraining_status(r, gov))
    t.empty = "no retraining recorded"  # a line, not a header over an empty row
    parts.append(t)

    t = _table("Monitoring (alerts and checks of this version)", "alert!", "metric value / threshold",
               "date!", "recorded!", "status", "follow-up")
    for a in gov["alerts"]:
        t.add_row(_s(_rid(a["id"])), f"{_s(a['metric'])} {_s(a['value'])} / {_s(a['threshold'])}",
                  _s(a["at"]), _recorded(a, at), _alert_status(a, gov), _follow_up(a))
    for c in gov["monitoring_checks"]:
        t.add_row(_s(_rid(c["node"])), "monitoring check", _s(c["checked_at"]), "", "", "—")
    t.empty = "no alert or check recorded"
    parts.append(t)

    if gov.get("created_later"):  # nothing of it to audit yet: no findings, none required
        made = gov["created_later"].astimezone(UTC).isoformat(timespec="seconds")
        parts.append(Text.from_markup(
            f"[bold]Audit findings: none yet[/] — {_s(v)} did not exist yet as of {as_of}: it "
            f"was created {made.replace('+00:00', 'Z')}, so lineage audit --model {_s(v)} "
            f"--as-of {as_of} has nothing of it to audit", emoji=False))
        return parts
    n = len(gov["findings"])
    t = _table(f"Audit findings: {n} (as lineage audit --model {v} reports them)",
               "severity", "rule!", "subject!", "finding")
    for f in gov["findings"]:
        t.add_row(_s(f["severity"]), _s(f["rule"]), _s(_rid(f["subject"])), _s(f["message"]))
    if not gov["findings"]:
        t.add_row("[green]none[/]", "", "", "")
    if gov["waived"]:
        t.caption = f"{len(gov['waived'])} waived by the policy"
    parts.append(t)
    return parts


def _cut(text: str, width: int = 72) -> str:
    """``text`` as is when it fits, else cut with an ellipsis: a subject cut mid-parenthesis
    must not read as the sentence it is (nor run into the ``(see above)`` that follows)."""
    return text if len(text) <= width else text[:width - 1].rstrip() + "…"


def _stage_name(a: dict[str, Any], fallback: str) -> str:
    """A stage's name, with its ``dvc.yaml`` when that is not the root one (two folders' stages
    of one name are two stages): ``prepare``, ``models/a/dvc.yaml:prepare``."""
    name = str(a.get("name") or fallback)
    file = str(a.get("dvc_yaml") or "dvc.yaml")
    if file == "dvc.yaml" or file == name or file.endswith(f"/{name}"):  # (a DVC 0.x stage file)
        return name if file == "dvc.yaml" else file
    return f"{file}:{name}"


def _stage_version(nid: str, a: dict[str, Any]) -> str:
    """``(lock 3adf15852b27, commit 71d2fbc0bfd6)``: what tells the versions of one stage
    apart, the hash of its ``dvc.lock`` entry (its id ends with it) and the commit that first
    locked it."""
    lock = nid.rsplit("@", 1)[-1] if "@" in nid else ""
    commit = str(a.get("commit") or "")[:12]
    parts = [f"lock {lock[:12]}" if lock else "", f"commit {commit}" if commit else ""]
    return f"({', '.join(p for p in parts if p)})" if any(parts) else ""


def _label(graph: Any, nid: str, notes: dict[str, str] | None = None,
           again: bool = False) -> str:
    """A node's line in the tree; ``again``: a node shown above (``(see above)``), whose
    run times the first line gives."""
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
    elif kind == "stage":  # versions of one stage: told apart by their lock entry and commit
        short = _stage_name(a, short)
        detail = " ".join(x for x in (_cut(str(a.get("cmd") or "")), _stage_version(nid, a))
                          if x)
    elif kind == "run":  # its id names its source (lineage:…, mlflow:…): said otherwise
        source = a.get("source")
        detail = " ".join(str(x) for x in (
            a.get("status"), None if not source or short.startswith(f"{source}:")
            else f"(source: {source})") if x)
        gone = _gone(a.get("properties"))
        if gone:  # MLflow keeps deleted runs, the lineage replaced experiments: say so
            detail = f"{detail} ({gone})".strip()
        if not again:  # when it ran (to read against the version's registration), and the
            # commit that added its record file
            detail = " ".join(x for x in (detail, _run_times(a), _run_commit(a)) if x)
    elif kind in ("approval",):  # (no empty parentheses for an approval without a role)
        env = a.get("environment") or "any environment"
        detail = " ".join(str(x) for x in (
            a.get("approver"), f"({a['role']})" if a.get("role") else None,
            a.get("decision") or "approved", f"for {env}", a.get("decided_at")) if x)
    elif kind == "risk_assessment":
        detail = " ".join(str(x) for x in (f"tier={a.get('tier')}", a.get("assessed_at"),
                                           a.get("assessor")) if x)
    elif kind == "deployment":
        detail = f"{a.get('environment', '')} {a.get('deployed_at', '')}"
        if a.get("retired_at"):
            detail += f" retired {a.get('retired_at')}"
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
    if notes and nid in notes:
        text += f" [yellow]({escape(notes[nid])})[/]"
    return text


def _gone(props: Any) -> str:
    """``deleted`` for a run deleted in its tracking store, ``replaced by dvc-exp:…`` for a
    DVC experiment run again under its name (``dvc exp run -f -n e1``); empty otherwise."""
    if not isinstance(props, dict) or props.get("lifecycle_stage") != "deleted":
        return ""
    by = props.get("replaced_by")
    return f"replaced by {_rid(by)}" if isinstance(by, str) and by else "deleted"


def _run_commit(a: dict[str, Any]) -> str:
    """``recorded in commit 3adf15852b27 on 2026-01-01T02:00:00Z``: the commit that added a
    run's record file and its date (``committed_in``, ``committed_at``); empty when the run
    was not harvested from a committed file."""
    sha = a.get("committed_in")
    if not isinstance(sha, str) or not sha:
        return ""
    at = a.get("committed_at")
    return f"recorded in commit {sha[:12]}" + (
        f" on {_time_text(at)}" if at not in (None, "") else "")


def _time_text(value: Any) -> str:
    """A time as show prints times (UTC, to the second); one that is not a time, as it is."""
    from lineage.audit.registry import parse_time

    t = parse_time(value)
    return _iso(t) if t is not None else str(value)


def _run_times(a: dict[str, Any]) -> str:
    """``started … ended …`` of a run, what its source kept of them (nothing when neither):
    a reader compares them with the version's registration, as model-has-run does."""
    return " ".join(f"{word} {_time_text(a[key])}" for word, key in
                    (("started", "start_time"), ("ended", "end_time"))
                    if a.get(key) not in (None, ""))


# how a producer left out of a provenance (lineage.graph.OutsideHistory) is introduced
OUTSIDE_WORDS = {"later": "reproduced later", "elsewhere": "produced elsewhere",
                 "started_later": "reproduced later"}


def _outside_note(o: Any, root_kind: str) -> str:
    """Why a producer of the same bytes is no part of the provenance: ``made at commit …,
    after …`` (or not in the history of …; a run: ``started …, after …``)."""
    whose = {"model": "this version's", "deployment": "this version's",
             "data": "this data version's"}.get(root_kind, "this")
    of = ", ".join(c.removeprefix("commit:")[:12] for c in o.history_of[:2]) + (
        ", …" if len(o.history_of) > 2 else "")
    at = o.commits[0].removeprefix("commit:")[:12] if o.commits else ""
    if o.relation == "started_later":
        why = f"started {_time_text(o.start_time)}, after {_time_text(o.until)}"
    elif o.relation == "later":
        why = f"made at commit {at}, after {of}"
    else:
        why = f"made at commit {at}, not in the history of {of}"
    return f"{why}: not in {whose} provenance"


def _provenance_tree(graph: Any, root: str, max_depth: int,
                     notes: dict[str, str] | None = None, *, outside: Any = (),
                     whole: Any = None) -> Any:
    """The provenance ``graph`` of ``root`` as a tree (``max_depth`` links); ``outside``: the
    producers of its data left out of it (:class:`lineage.graph.OutsideHistory`), each one
    line under its data version, not followed, labelled from ``whole`` (the graph they are
    in)."""
    from rich.markup import escape
    from rich.text import Text
    from rich.tree import Tree

    tree = Tree(Text.from_markup(_label(graph, root, notes), emoji=False))
    seen = {root}
    aside: dict[str, list[Any]] = {}
    for o in outside:
        aside.setdefault(o.data, []).append(o)
    root_kind = str(graph.kind(root))

    def grow(branch: Any, nid: str, depth: int) -> None:
        if depth >= max_depth:
            return
        for e in sorted(graph.in_edges(nid), key=lambda e: (e.kind.value, e.source)):
            if e.kind.value in ("parent", "contains"):
                continue
            label = f"[magenta]{e.kind.value}[/] ← " + _label(graph, e.source, notes,
                                                              again=e.source in seen)
            pin = e.attrs.get("pin")
            if pin:
                label += f" [green](pin: {pin})[/]" if pin == "strong" else f" [yellow](pin: {pin})[/]"
            moved = e.attrs.get("moved_to")
            if isinstance(moved, str):  # a GTO tag deleted and made again elsewhere
                label += f" [yellow](tag moved to {escape(moved[:12])})[/]"
            if e.source in seen:
                branch.add(Text.from_markup(label + " [dim](see above)[/]", emoji=False))
                continue
            seen.add(e.source)
            grow(branch.add(Text.from_markup(label, emoji=False)), e.source, depth + 1)
        for o in aside.get(nid, ()):  # the same bytes made outside the history: named only
            label = (f"[magenta]{OUTSIDE_WORDS.get(o.relation, o.relation)}[/] ← "
                     + _label(whole if whole is not None else graph, o.producer, notes)
                     + f" [yellow]({escape(_outside_note(o, root_kind))})[/]")
            branch.add(Text.from_markup(label, emoji=False))
        for e in sorted(graph.out_edges(nid), key=lambda e: e.target):
            if e.kind.value != "same_as":
                continue  # a twin in another registry is this version: its upstream is ours
            label = "[magenta]same_as[/] → " + _label(graph, e.target, notes,
                                                       again=e.target in seen)
            if e.target in seen:
                branch.add(Text.from_markup(label + " [dim](see above)[/]", emoji=False))
                continue
            seen.add(e.target)
            grow(branch.add(Text.from_markup(label, emoji=False)), e.target, depth + 1)

    grow(tree, root, 0)
    return tree
