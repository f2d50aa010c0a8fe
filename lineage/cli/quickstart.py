"""`lineage quickstart`: the whole product on a demo repository, end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from lineage.cli.common import (
    JsonOpt,
    console,
    err_console,
    handle_errors,
    parse_as_of,
    print_json,
    status,
)
from lineage.cli.main import _print_harvest, app


@app.command()
def quickstart(
    directory: Path = typer.Argument(Path("lineage-demo"), help="Where to build the demo "
                                     "repository (must be empty or absent)."),
    force: bool = typer.Option(False, "--force", help="Replace DIRECTORY if it holds a demo built before "
                               "(never any other folder)."),
    as_json: bool = JsonOpt,
) -> None:
    """Build a demo ML repository, harvest it, push it to DataHub Lite and audit it.

    The demo has a real git history, a real DVC pipeline (prepare → train), training runs recorded by lineage, a churn model registered in two versions (GTO tags), deployments, a risk assessment, approvals, a drift alert and a retraining — and a few deliberate gaps for the audit to find.

    Exit 0 when every step worked (the planted findings included).

    Examples:
      lineage quickstart
      lineage quickstart /tmp/demo --force --json
    """
    from rich.markup import escape

    from lineage import api
    from lineage.audit import resolve_policy, run_audit
    from lineage.audit.formats import render_table
    from lineage.config import load_config
    from lineage.errors import ConfigError
    from lineage.plugins import PushContext, load_demo, load_sink

    out: dict[str, Any] = {}
    quiet = as_json
    with handle_errors():
        target = directory.resolve()
        if target.exists() and not target.is_dir():
            # --force replaces a demo folder, never a file
            raise ConfigError(f"{target} is a file, not a directory",
                              hint="choose a directory for the demo (absent or empty), e.g. "
                                   "lineage quickstart lineage-demo")
        if target.is_dir() and _not_empty(target):
            if not force:
                raise ConfigError(f"{target} exists and is not empty",
                                  hint="choose another directory, or add --force to replace "
                                       "a demo built there before")
            if not _is_demo(target):  # `quickstart . --force` in one's own repository
                raise ConfigError(f"{target} is not a lineage demo: --force replaces only a "
                                  "folder `lineage quickstart` built, and this one holds other "
                                  "files", hint="choose another directory for the demo, e.g. "
                                                "lineage quickstart lineage-demo")
        if not target.exists():
            try:  # before any output: a read-only parent is said in one line
                target.mkdir(parents=True)
            except OSError as exc:
                raise ConfigError(f"cannot create {target}: {exc.strerror or exc}",
                                  hint="choose a writable location for the demo, e.g. "
                                       "lineage quickstart ~/lineage-demo") from None
        step(quiet, 1, "Building the demo repository (git + DVC pipeline + records)")
        build = load_demo()
        with status("running dvc repro twice …", enabled=not quiet):  # stderr, never CI
            demo = build(target, force=force)
        out["repository"] = str(demo.path)
        out["planted_gaps"] = [{"rule": r, "model": m} for r, m in demo.planted_gaps]
        if not quiet:
            console.print(f"  {demo.path}: {len(demo.commits)} commits, "
                          f"tags {', '.join(_tags(demo.path))}", soft_wrap=True, markup=False)

        step(quiet, 2, "Harvesting git, DVC, GTO tags, runs and governance records")
        result = api.harvest(demo.path)
        out["harvest"] = result.as_dict()
        if not quiet:
            _print_harvest(result)

        step(quiet, 3, "Pushing the graph to DataHub Lite")
        cfg = load_config(demo.path)
        store = api.open_store(demo.path, cfg)
        try:
            graph = store.load_graph()
            push = load_sink("datahub-lite")().push(
                graph, PushContext(store=store, config=cfg, repo_path=demo.path))
            out["push"] = push.as_dict()
            lite_file = str(push.details.get("destination") or cfg.store_path(demo.path)
                            / "datahub-lite.db")
            datahub_home = _datahub_home(cfg.store_path(demo.path), lite_file)
            out["datahub_home"] = str(datahub_home)
            if not quiet:
                console.print(f"  wrote {push.written} aspects to "
                              f"{push.details.get('destination', 'DataHub Lite')}",
                              soft_wrap=True)

            step(quiet, 4, "Auditing (EU AI Act / ISO 42001 completeness rules)")
            policy, where = resolve_policy(demo.path, None, cfg.policy)
            # the clock `lineage audit --as-of DATE` (the next step it prints) runs on
            as_of = parse_as_of(demo.as_of)
            report = run_audit(store, policy, now=as_of, source_name="local",
                               policy_source=where)
        finally:
            store.close()
    found = {(f.rule, f.model) for f in report.findings}
    out["audit"] = {"findings": len(report.findings),
                    "rules": sorted({f.rule for f in report.findings})}
    out["planted_gaps_found"] = all(
        (r, n) in found for r, n in demo.planted_gaps)
    if as_json:
        print_json(out)
        return
    console.print(render_table(report))
    console.print()
    console.rule("What to look at next")
    steps = next_steps(demo.path, demo.as_of, datahub_home)
    import textwrap

    width = max(40, console.width - 2)
    for cmd, why in steps:
        # the command on one line, to paste; its comment wrapped, each line a shell comment
        console.print(f"  {escape(cmd)}", soft_wrap=True, highlight=False)
        if why:
            text = textwrap.fill(why, width=width, initial_indent="      # ",
                                 subsequent_indent="      # ", break_long_words=False,
                                 break_on_hyphens=False)
            console.print(f"[dim]{escape(text)}[/]", soft_wrap=True, highlight=False)


def _tags(repo: Path) -> list[str]:
    """The demo's git tags, oldest first (GTO's registrations and stage assignments)."""
    import subprocess

    out = subprocess.run(["git", "-C", str(repo), "for-each-ref", "--sort=creatordate",
                          "--format=%(refname:short)", "refs/tags"],
                         capture_output=True, text=True, check=False).stdout
    return out.split()


def next_steps(repo: Path, as_of: str, datahub_home: Path) -> list[tuple[str, str]]:
    """The commands to try after the demo, each with why; paths quoted for a POSIX shell
    (a demo folder may hold spaces, quotes or ``$``)."""
    from shlex import quote

    return [
        (f"cd {quote(str(repo))}", ""),
        (f"lineage show churn@v1.1.0 --as-of {quote(as_of)}",
         "provenance (version ← run ← commit + data ← stages), then risk tier, approvals, "
         "deployments and audit findings, as of the day the demo's timeline ends"),
        (f"lineage show deployment:churn-prod-2026-01-20 --as-of {quote(as_of)}",
         "the same from the deployment"),
        (f"lineage audit --as-of {quote(as_of)}",
         "the audit above; without --as-of the audit runs today, when the demo's monitoring "
         "evidence is months old (monitoring-active findings)"),
        (f"lineage audit --as-of {quote(as_of)} --format markdown",
         "findings as a pull-request comment"),
        ("lineage record approval --model churn@v1.1.0 --env prod --approver "
         "rita@example.com --role risk-officer --decided-at 2026-01-19T15:00:00Z "
         "--evidence ML-14 --write-file", ""),
        ("lineage record approval --model churn@v1.1.0 --env prod --approver "
         "omar@example.com --role product-owner --decided-at 2026-01-19T16:00:00Z "
         "--evidence ML-14 --write-file",
         "record the two approvals the prod deployment (2026-01-20) had, dated before it, then "
         "audit again: an approval decided after a deployment does not count for it, and one "
         "recorded long after its date counts with a warning saying so"),
        ("lineage verify", "check the tamper-evident event log"),
        (f"HOME={quote(str(datahub_home))} datahub lite ls "
         "/data_platforms/dvc/instances/default/repositorys/churn-model",
         "browse the demo repository in DataHub Lite: DVC files, pipelines, model groups and "
         "versions"),
    ]


# the demo's git remote (connectors/demo): what tells a demo folder from anyone's repository
def _is_demo(folder: Path) -> bool:
    from connectors.demo.build import is_demo

    return is_demo(folder)


def _not_empty(folder: Path) -> bool:
    from lineage.errors import ConfigError

    try:
        return any(folder.iterdir())
    except OSError as exc:
        raise ConfigError(f"cannot read {folder}: {exc.strerror or exc}",
                          hint="choose a directory you can write to for the demo") from None


def _datahub_home(store_dir: Path, lite_file: str) -> Path:
    """A HOME whose ~/.datahubenv points `datahub lite` at the demo's Lite file.

    DataHub's CLI reads its configuration only from ~/.datahubenv (and insists on a gms:
    block); a private HOME keeps the user's own file untouched.
    """
    home = store_dir / "datahub-home"
    home.mkdir(parents=True, exist_ok=True)
    # a JSON string is a YAML string: the path is read back as written (spaces, quotes, #)
    (home / ".datahubenv").write_text(
        "gms:\n  server: http://localhost:8080\n"
        f"lite:\n  type: sqlite\n  config:\n    file: {json.dumps(lite_file, ensure_ascii=False)}\n",
        encoding="utf-8")
    return home


def step(quiet: bool, n: int, text: str) -> None:
    if not quiet:
        console.print()
        console.rule(f"[bold]{n}/4[/] {text}", align="left")


__all__ = ["quickstart", "err_console"]
