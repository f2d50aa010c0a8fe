"""Audit report renderers: rich table, JSON, JUnit XML, SARIF 2.1.0, Markdown.

Each ``render_*`` takes an :class:`AuditReport` and, optionally, its :class:`Provenance` (what
ties the report to the store, policy and repository it judged: ``lineage audit`` always gives
one), and returns text (the table returns a rich renderable); none does I/O.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from functools import cache
from typing import Any
from xml.etree import ElementTree as ET

from lineage.audit.engine import AuditReport, Finding
from lineage.audit.policy import Weakening
from lineage.audit.registry import RULES, short
from lineage.serialize import dumps_pretty, utc_iso

FORMATS = ("table", "json", "junit", "sarif", "markdown")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SEV_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan",
              "info": "dim"}
_SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note",
                "info": "note"}


# -- provenance -------------------------------------------------------------------------------
@cache
def rules_version() -> str:
    """The version of the rule catalog the audit ran: lineage's own (the rules ship with it),
    ``+rules.`` and the first 12 hex digits of the sha256 of the catalog (each rule's id,
    title, articles, controls, tiers, severities and description), which tells two builds of
    one version apart whose rules differ."""
    from lineage import __version__

    catalog = [[r.id, r.title, list(r.articles), list(r.controls), list(r.tiers),
                dict(sorted(r.severity.items())), r.description] for r in RULES.values()]
    digest = hashlib.sha256(json.dumps(catalog, sort_keys=True).encode()).hexdigest()
    return f"{__version__}+rules.{digest[:12]}"


@dataclass
class Provenance:
    """What ties a report to what it judged: the store's chain head (``seq``, ``hash``: what
    ``lineage verify`` prints) and whether this run verified the chain (``verified``: True,
    False — not verified in this run —, ``"skipped"`` — a DataHub catalog, with no event log —,
    None — not said: a report rendered outside ``lineage audit``), the head kept elsewhere
    that it was held to (``--expect-head``), the policy file (relative to the repository) and
    its sha256, the repository's HEAD commit, lineage's and the rules' versions, the audit's
    clock, and what the policy asks less than the built-in default (the rules it turns off,
    the settings it weakens)."""

    as_of: datetime
    lineage_version: str = ""
    rules_version: str = ""
    verified: bool | str | None = None
    store_head: tuple[int, str] | None = None
    expected_head: tuple[int, str] | None = None
    policy_file: str | None = None
    policy_sha256: str | None = None
    repository_head: str | None = None
    rules_off: list[str] = field(default_factory=list)
    weaker: list[Weakening] = field(default_factory=list)

    def __post_init__(self) -> None:
        from lineage import __version__

        self.lineage_version = self.lineage_version or __version__
        self.rules_version = self.rules_version or rules_version()

    @classmethod
    def of(cls, report: AuditReport) -> Provenance:
        """What a report says of itself alone (no store, policy file or repository)."""
        return cls(as_of=report.as_of or report.generated_at)

    @property
    def head(self) -> str | None:
        """``SEQ:HASH``, as ``lineage verify`` prints it (and ``--expect-head`` takes it)."""
        return None if self.store_head is None else f"{self.store_head[0]}:{self.store_head[1]}"

    @property
    def kept(self) -> str | None:
        return None if self.expected_head is None else \
            f"{self.expected_head[0]}:{self.expected_head[1]}"

    def as_dict(self) -> dict[str, Any]:
        return {"lineage_version": self.lineage_version, "rules_version": self.rules_version,
                "as_of": utc_iso(self.as_of), "store_head": self.head,
                "verified": self.verified, "expected_head": self.kept,
                "policy_file": self.policy_file, "policy_sha256": self.policy_sha256,
                "repository_head": self.repository_head}

    def weaker_dict(self) -> dict[str, Any]:
        return {"rules_off": list(self.rules_off),
                "settings": [w.as_dict() for w in self.weaker]}

    def weaker_texts(self) -> list[str]:
        """What the policy asks less than the default, one text each (the rules it turns off
        first, together)."""
        off = [f"rules off: {', '.join(self.rules_off)}"] if self.rules_off else []
        return off + [w.text for w in self.weaker]

    def verification(self) -> str | None:
        """What this run did about the store's integrity, for the human formats."""
        if self.verified is True:
            kept = f", and it holds the kept head {self.kept}" if self.kept else ""
            return f"store verified in this run (event log intact{kept})"
        if self.verified is False:
            return "store not verified in this run (lineage audit --verify)"
        if self.verified == "skipped":
            return "no event log to verify (a DataHub catalog)"
        return None


def clock(t: datetime) -> str:
    """The audit's clock as a report prints it: ``2026-01-20 (end of day, UTC)`` for a date
    given alone (``--as-of 2026-01-20``: the last instant of that UTC day), else the UTC time."""
    u = t.astimezone(UTC) if t.tzinfo else t.replace(tzinfo=UTC)
    if u.time() == time.max:
        return f"{u.date().isoformat()} (end of day, UTC)"
    return utc_iso(u) or ""


def _where(f: Finding) -> tuple[str, str]:
    group = short(f.group) if f.group else "(no model group)"
    version = short(f.model) if f.model else "—"
    return group, version


def _out_of_scope(report: AuditReport, before: str, after: str = "") -> str:
    """The runs the run rules did not check (OpenLineage jobs no model depends on), if any."""
    n = report.stats.get("runs_out_of_scope", 0)
    return f"{before}{n} run(s) out of scope (no model in their provenance){after}" if n else ""


_LATER_NAMES = {"model_versions": ("version", "versions"), "runs": ("run", "runs"),
                "deployments": ("deployment", "deployments"),
                "approvals": ("approval", "approvals"), "alerts": ("alert", "alerts"),
                "documents": ("document", "documents"),
                "retrainings": ("retraining", "retrainings")}


def _as_of(report: AuditReport, before: str, after: str = "") -> str:
    """The clock the audit ran on, when it was not the time it ran (``--as-of``), and what
    it left out as made after it."""
    if report.as_of is None or report.as_of == report.started_at:
        return ""
    later = [f"{n} {_LATER_NAMES.get(k, (k, k))[n != 1]}"
             for k, n in report.after_as_of().items() if n]
    left = f" ({', '.join(later)} made later left out)" if later else ""
    return f"{before}as of {clock(report.as_of)}{left}{after}"


def _cell(markup: str) -> Any:
    """A table cell from rich markup, with no emoji codes: ``deployment:ghost:prod:…`` is an
    id, not ``deployment👻prod:…``."""
    from rich.text import Text

    return Text.from_markup(markup, emoji=False)


# -- table ------------------------------------------------------------------------------------
# Below this width (a CI log is 80 columns) the findings are stacked, each across the whole
# width, instead of a table whose last column would be ~25 characters wide.
STACK_BELOW = 110


def serves(f: Finding) -> str:
    """The articles and controls a finding serves, short: ``EU AI Act Art. 10, 11 · ISO/IEC
    42001 A.7.5``."""
    arts: list[str] = []
    for a in f.articles:
        a = a.removeprefix("EU AI Act ")
        if arts and a.startswith("Art. ") and any(x.startswith("Art. ") for x in arts):
            a = a.removeprefix("Art. ")
        arts.append(a)
    ctrls = [c.removeprefix("ISO/IEC 42001 ") for c in f.controls]
    out = [f"EU AI Act {', '.join(arts)}"] if arts else []
    if ctrls:
        out.append(f"ISO/IEC 42001 {', '.join(ctrls)}")
    return " · ".join(out)


def _finding_text(f: Finding) -> str:
    """Message, expired waiver, fix and what the finding serves, as rich markup."""
    from rich.markup import escape

    msg = escape(f.message)
    if f.waiver and f.waiver.get("status") == "expired":
        msg += f"\n[dim](waiver by {escape(f.waiver['owner'])} expired "\
               f"{f.waiver['expires']})[/]"
    if f.remediation:
        msg += f"\n[green]→[/] [dim]{escape(f.remediation)}[/]"
    where = serves(f)
    if where:
        msg += f"\n[dim]serves: {escape(where)}[/]"
    return msg


class _Findings:
    """The findings as a table, or stacked when the console is narrower than
    :data:`STACK_BELOW` (chosen when printed, from the console's width)."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings

    def __rich_console__(self, console: Any, options: Any) -> Any:
        if options.max_width < STACK_BELOW:
            yield from self._stacked(console, options.max_width)
        else:
            yield self._table()

    def _table(self) -> Any:
        from rich.markup import escape
        from rich.table import Table

        table = Table(show_lines=False, expand=False)
        table.add_column("model / version", no_wrap=True)
        table.add_column("severity")
        table.add_column("rule")
        table.add_column("finding → fix")
        last: tuple[str, str] | None = None
        for f in self.findings:
            where = _where(f)
            if last is not None and where[0] != last[0]:
                table.add_section()
            aka = f"\n[dim]= {', '.join(escape(short(a)) for a in f.aliases)}[/]" if f.aliases else ""
            label = "" if where == last else (
                f"[bold]{escape(where[0])}[/]" + (f"\n{escape(where[1])}{aka}" if f.model else ""))
            last = where
            table.add_row(*map(_cell, (label, f"[{_SEV_STYLE[f.severity]}]{f.severity}[/]",
                                       f"{f.rule}\n[dim]tier: {escape(f.tier)}[/]",
                                       _finding_text(f))))
        return table

    def _stacked(self, console: Any, width: int) -> Any:
        """Per model group a heading; per finding a line naming version, severity, rule and
        tier, then its text indented under it, wrapped at the console's width."""
        from rich.markup import escape
        from rich.rule import Rule
        from rich.text import Text

        group: str | None = None
        for f in self.findings:
            where = _where(f)
            if where[0] != group:
                group = where[0]
                yield Rule(_cell(f"[bold]{escape(group)}[/]"), align="left", style="dim")
            aka = f" [dim](= {', '.join(escape(short(a)) for a in f.aliases)})[/]" \
                if f.aliases else ""
            version = f"{escape(where[1])}{aka} · " if f.model else ""
            head = _cell(f"{version}[{_SEV_STYLE[f.severity]}]{f.severity}[/] · "
                         f"[bold]{f.rule}[/] [dim](tier: {escape(f.tier)})[/]")
            yield from _wrapped(console, head, width, "")
            yield from _wrapped(console, _cell(_finding_text(f)), width, "  ")
            yield Text()


def _wrapped(console: Any, text: Any, width: int, indent: str) -> Any:
    """``text`` wrapped at ``width`` after ``indent``, one line each, no trailing blanks."""
    from rich.text import Text

    for line in text.wrap(console, max(20, width - len(indent))):
        line.rstrip()
        yield Text.assemble(indent, line)


def _weaker_count(prov: Provenance) -> str:
    """``2 rules off, 1 setting weaker``: how much less the policy asks than the default."""
    parts = []
    if prov.rules_off:
        n = len(prov.rules_off)
        parts.append(f"{n} rule{'s' if n != 1 else ''} off")
    if prov.weaker:
        n = len(prov.weaker)
        parts.append(f"{n} setting{'s' if n != 1 else ''} weaker")
    return ", ".join(parts)


def _provenance_line(report: AuditReport, prov: Provenance) -> Any:
    """Store head and verification, policy digest, repository HEAD, versions, clock (a store
    not verified in this run said in yellow)."""
    from rich.text import Text

    parts: list[Any] = []
    if prov.head is not None:
        parts.append(f"store head {prov.head}")
    said = prov.verification()
    if said:
        parts.append((said, "yellow") if prov.verified is False else said)
    if prov.policy_sha256 is not None:
        parts.append(f"policy {prov.policy_file} sha256:{prov.policy_sha256}")
    if prov.repository_head is not None:
        parts.append(f"repository HEAD {prov.repository_head}")
    parts.append(f"lineage {prov.lineage_version}, rules {prov.rules_version}")
    if not _as_of(report, ""):  # the heading says it under --as-of
        parts.append(f"as of {clock(prov.as_of)}")
    line = Text(style="dim")
    for i, part in enumerate(parts):
        line.append_text(Text.assemble(" · " if i else "", part))
    return line


def render_table(report: AuditReport, prov: Provenance | None = None) -> Any:
    from rich.console import Group
    from rich.text import Text

    prov = prov or Provenance.of(report)
    parts: list[Any] = []
    counts = report.count_by_severity()
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no findings"
    weaker = _weaker_count(prov)
    head = Text.assemble(
        ("lineage audit", "bold"),
        f" — {len(report.findings)} finding(s): {summary}; {len(report.checks)} checks, "
        f"{len(report.waived)} waived{_out_of_scope(report, ', ')}{_as_of(report, ' · ')} · "
        f"policy: {report.policy_source}",
        (f" (weaker than the default: {weaker})", "yellow") if weaker else "",
        f" · source: {report.source}")
    parts.append(head)
    if weaker:
        parts.append(Text.assemble(("policy weaker than the default: ", "yellow"),
                                   "; ".join(prov.weaker_texts())))
    parts.append(_provenance_line(report, prov))
    for note in report.warnings:
        parts.append(Text.assemble(("warning: ", "yellow"), note))
    if report.findings:
        parts.append(_Findings(report.findings))
        if any("lineage record " in f.remediation for f in report.findings):
            parts.append(_Note(RECORD_FILE_NOTE))
    if report.waivers:
        parts.append(_Waivers(report.waivers))
    return Group(*parts)


class _Note:
    """A dim paragraph wrapped to the console's width at spaces, with no trailing blanks (a CI
    log keeps them)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __rich_console__(self, console: Any, options: Any) -> Any:
        import textwrap

        from rich.text import Text

        for line in textwrap.wrap(self.text, width=max(20, options.max_width)):
            yield Text(line, style="dim")


# said under findings whose fix is a `lineage record` command: without --write-file the record
# is in this store alone, and the audit of a fresh clone (CI) still reports the finding
RECORD_FILE_NOTE = ("note: give `lineage record` --write-file and commit the file it writes: a "
                    "fresh clone (CI) reads records from git, not from this store")


class _Waivers:
    """The policy's waivers as a table, or stacked as the findings are below
    :data:`STACK_BELOW`, and wherever the table could not hold every id whole: the node a
    waiver names is an id, never cut (folded only when longer than a line)."""

    COLUMNS = ("status", "rule", "node", "owner", "expires", "reason")
    REASON_MIN = 24  # the narrowest reason column the table is shown with

    def __init__(self, waivers: list[Any]) -> None:
        self.waivers = waivers

    @staticmethod
    def _status(w: Any) -> str:
        st = {"used": "green", "expired": "red", "unused": "dim"}[w.status]
        return f"[{st}]{w.label}[/]"

    def _cells(self, w: Any) -> tuple[str, ...]:
        return (w.label, w.waiver.rule, w.waiver.node, w.waiver.owner, str(w.waiver.expires),
                w.waiver.reason)

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.markup import escape
        from rich.table import Table
        from rich.text import Text

        widths = [max(len(c), *(len(self._cells(w)[i]) for w in self.waivers))
                  for i, c in enumerate(self.COLUMNS)]
        # a box table takes 3 characters per column and 1 more; every cell but the reason
        # whole, the reason wrapped at its words in what is left
        room = options.max_width - sum(widths[:-1]) - 3 * len(self.COLUMNS) - 1
        words = max(len(x) for w in self.waivers for x in [*w.waiver.reason.split(), "reason"])
        if options.max_width >= STACK_BELOW and room >= max(words, min(self.REASON_MIN,
                                                                       widths[-1])):
            wt = Table(title="Waivers")
            for col in self.COLUMNS[:-1]:
                wt.add_column(col, no_wrap=True)
            wt.add_column("reason", width=min(room, widths[-1]))
            for w in self.waivers:
                wt.add_row(*map(_cell, (self._status(w), escape(w.waiver.rule),
                                        escape(w.waiver.node), escape(w.waiver.owner),
                                        str(w.waiver.expires), escape(w.waiver.reason))))
            yield wt
            return
        width = options.max_width
        yield Text("Waivers", style="bold")
        for w in self.waivers:
            head = _cell(f"{self._status(w)} · [bold]{escape(w.waiver.rule)}[/] · "
                         f"{escape(w.waiver.node)}")
            yield from _wrapped(console, head, width, "")
            yield from _wrapped(console, _cell(
                f"[dim]owner:[/] {escape(w.waiver.owner)} · [dim]expires:[/] "
                f"{w.waiver.expires}"), width, "  ")
            yield from _wrapped(console, _cell(f"[dim]reason:[/] {escape(w.waiver.reason)}"),
                                width, "  ")


# -- json -------------------------------------------------------------------------------------
def render_json(report: AuditReport, prov: Provenance | None = None) -> str:
    """The report (:meth:`AuditReport.as_dict`), its ``provenance`` and ``policy_weaker``
    (the rules the policy turns off, the settings it weakens: both empty for the default)."""
    prov = prov or Provenance.of(report)
    return dumps_pretty({**report.as_dict(), "provenance": prov.as_dict(),
                         "policy_weaker": prov.weaker_dict()}) + "\n"


# -- junit ------------------------------------------------------------------------------------
def render_junit(report: AuditReport, prov: Provenance | None = None) -> str:
    """One testsuite per rule, one testcase per rule × subject; failures are findings,
    waived findings are skipped test cases. Each suite's properties carry the provenance
    (JUnit has no place for it on the whole report) and what the policy weakens."""
    prov = prov or Provenance.of(report)
    about = [(k, "" if v is None else str(v).lower() if isinstance(v, bool) else str(v))
             for k, v in prov.as_dict().items() if k != "as_of"]
    about += [("rule_off", r) for r in prov.rules_off]
    about += [("policy_weaker", w.text) for w in prov.weaker]
    root = ET.Element("testsuites", name="lineage audit", tests=str(len(report.checks)),
                      failures=str(len(report.findings)), errors="0",
                      skipped=str(len(report.waived)))
    # when the audit ran, in the JUnit schema's form (UTC, no zone, whole seconds); the clock
    # it ran on (--as-of) is a property of each suite
    stamp = report.generated_at.astimezone(UTC).replace(tzinfo=None).isoformat("T", "seconds")
    as_of = utc_iso(report.as_of or report.generated_at) or ""
    by_rule: dict[str, list[Any]] = {r.id: [] for r in report.rules}
    for c in report.checks:
        by_rule.setdefault(c.rule, []).append(c)
    titles = {r.id: r for r in report.rules}
    for rid, checks in by_rule.items():
        spec = titles.get(rid)
        fails = sum(1 for c in checks if c.finding is not None and not c.waived)
        skipped = sum(1 for c in checks if c.waived)
        suite = ET.SubElement(root, "testsuite", name=rid, tests=str(len(checks)),
                              failures=str(fails), errors="0", skipped=str(skipped),
                              timestamp=stamp)
        props = ET.SubElement(suite, "properties")
        if spec is not None:
            ET.SubElement(props, "property", name="title", value=spec.title)
            ET.SubElement(props, "property", name="serves", value=spec.serves)
        ET.SubElement(props, "property", name="as_of", value=as_of)
        for name, value in about:
            ET.SubElement(props, "property", name=name, value=value)
        if rid == "four-eyes":  # the policy's approver requirements are four-eyes's
            for note in report.warnings:
                ET.SubElement(props, "property", name="warning", value=note)
        for c in checks:
            case = ET.SubElement(suite, "testcase", classname=f"lineage.audit.{rid}",
                                 name=c.subject, time="0")
            f = c.finding
            if f is None:
                continue
            if c.waived:
                w = f.waiver or {}
                ET.SubElement(case, "skipped", message=f"waived by {w.get('owner')} until "
                              f"{w.get('expires')}: {w.get('reason')}")
                continue
            fail = ET.SubElement(case, "failure", message=f.message, type=f.severity)
            fail.text = "\n".join([
                f"severity: {f.severity} (tier {f.tier})",
                f"serves: {'; '.join(f.articles + f.controls)}",
                f"evidence: {', '.join(f.evidence)}",
                f"fix: {f.remediation}",
            ])
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


# -- sarif ------------------------------------------------------------------------------------
def _fingerprint(f: Finding) -> str:
    return hashlib.sha256(f"{f.rule}\n{f.subject}".encode()).hexdigest()


def _sarif_result(f: Finding, index: dict[str, int], waived: bool,
                  anchor: str | None) -> dict[str, Any]:
    text = f"{f.message}. Fix: {f.remediation}" if f.remediation else f.message
    res: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": _SARIF_LEVEL[f.severity],
        "message": {"text": text},
        "partialFingerprints": {"lineageFinding/v1": _fingerprint(f)},
        "properties": {"severity": f.severity, "tier": f.tier, "subject": f.subject,
                       "evidence": f.evidence, "remediation": f.remediation,
                       **({"model": f.model} if f.model else {}),
                       **({"environment": f.environment} if f.environment else {})},
    }
    logical = [{"fullyQualifiedName": f.subject, "kind": "object"}]
    if f.location and f.location.get("file"):
        phys: dict[str, Any] = {"artifactLocation": {"uri": f.location["file"]}}
        if f.location.get("line"):
            phys["region"] = {"startLine": int(f.location["line"])}
        res["locations"] = [{"physicalLocation": phys, "logicalLocations": logical}]
    elif anchor:
        res["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": anchor}},
                             "logicalLocations": logical,
                             "message": {"text": f"recorded in the lineage graph as {f.subject}"}}]
        res["properties"]["anchored"] = True
    else:
        res["locations"] = [{"logicalLocations": logical}]
    if waived and f.waiver:
        res["suppressions"] = [{"kind": "external", "status": "accepted",
                                "justification": f"{f.waiver.get('reason')} (owner "
                                                 f"{f.waiver.get('owner')}, expires "
                                                 f"{f.waiver.get('expires')})"}]
    return res


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(p.capitalize() for p in rest)


def render_sarif(report: AuditReport, prov: Provenance | None = None) -> str:
    """SARIF 2.1.0. A finding whose evidence names a governance record file (or a DVC
    pipeline) points at it; any other is anchored at ``report.anchor_file`` when set (GitHub
    code scanning needs a file on every result) and always carries its node id as a logical
    location. The run's properties carry the provenance and ``policyWeaker``; each rule the
    policy turns off and each setting it weakens is also a warning notification."""
    prov = prov or Provenance.of(report)
    rules = []
    index: dict[str, int] = {}
    for i, r in enumerate(report.rules):
        index[r.id] = i
        worst = max(r.severity.values(), key=lambda s: ("info", "low", "medium", "high",
                                                        "critical").index(s))
        rules.append({
            "id": r.id,
            "name": "".join(p.capitalize() for p in r.id.split("-")),
            "shortDescription": {"text": r.title},
            "fullDescription": {"text": r.description or r.title},
            "help": {"text": f"Serves: {r.serves}. {r.description}"},
            "defaultConfiguration": {"level": _SARIF_LEVEL[worst]},
            "properties": {"tags": ["compliance", *r.articles, *r.controls]},
        })
    notes = [{"level": "warning", "message": {"text": note}, "descriptor": {"id": "policy"}}
             for note in report.warnings]
    notes += [{"level": "warning", "message": {"text": f"the policy is weaker than the "
                                                       f"default: {text}"},
               "descriptor": {"id": "policy-weaker"}} for text in prov.weaker_texts()]
    anchor = report.anchor_file
    results = [_sarif_result(f, index, False, anchor) for f in report.findings]
    results += [_sarif_result(f, index, True, anchor) for f in report.waived]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "lineage", "version": prov.lineage_version,
                                "informationUri": "https://github.com/lineage-dev/lineage",
                                "rules": rules}},
            "automationDetails": {"id": f"lineage-audit/{report.source}/"},
            # real times (SARIF 3.20.7/8); the audit's clock (--as-of) is a property
            "invocations": [{"executionSuccessful": True,
                             "startTimeUtc": utc_iso(report.started_at or report.generated_at),
                             "endTimeUtc": utc_iso(report.generated_at),
                             "properties": {"asOf": utc_iso(report.as_of
                                                            or report.generated_at)},
                             **({"toolConfigurationNotifications": notes} if notes else {})}],
            "results": results,
            "properties": {
                "provenance": {_camel(k): v for k, v in prov.as_dict().items()},
                "policyWeaker": {"rulesOff": list(prov.rules_off),
                                 "settings": [w.as_dict() for w in prov.weaker]}},
        }],
    }
    return dumps_pretty(log) + "\n"


# -- markdown ---------------------------------------------------------------------------------
def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_text(text: str) -> str:
    """Text outside code: also a colon that would open a GitHub emoji shortcode
    (``deployment:ghost:prod:…``) is escaped, so the id reads as it is."""
    return re.sub(r":(?=[A-Za-z0-9_+\-]+:)", r"\\:", _md(text))


def render_markdown(report: AuditReport, prov: Provenance | None = None) -> str:
    prov = prov or Provenance.of(report)
    counts = report.count_by_severity()
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no findings"
    weaker = _weaker_count(prov)
    # no finding under a policy weaker than the default is no clean pass
    icon = "❌" if report.findings else "⚠️" if weaker else "✅"
    out = [f"## {icon} lineage audit: {len(report.findings)} finding(s)"
           + (f" · policy weaker than the default ({weaker})" if weaker else ""), "",
           f"{summary} · {len(report.checks)} checks · {len(report.waived)} waived · "
           f"{_out_of_scope(report, '', ' · ')}{_as_of(report, '', ' · ')}"
           f"policy: `{report.policy_source}` · source: `{report.source}`", ""]
    if weaker:
        out += ["> **policy weaker than the default:** "
                + "; ".join(_md_text(t) for t in prov.weaker_texts()), ""]
    out += [_md_provenance(report, prov), ""]
    out += [f"> **warning:** {_md_text(note)}" for note in report.warnings]
    out += [""] if report.warnings else []
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in report.findings:
        groups.setdefault(_where(f), []).append(f)
    for (group, version), items in groups.items():
        out.append(f"### {group}" + (f" @ {version.split('@', 1)[-1]}" if version != "—" else ""))
        out.append("")
        out.append("| Severity | Rule | Subject | Finding | Fix |")
        out.append("|---|---|---|---|---|")
        for f in items:
            out.append(f"| **{f.severity}** | `{f.rule}` | `{_md(f.subject)}` | {_md_text(f.message)} "
                       f"| {_md_text(f.remediation)} |")
        out.append("")
    if report.waivers:
        out += ["### Waivers", "", "| Status | Rule | Node | Owner | Expires | Reason |",
                "|---|---|---|---|---|---|"]
        for w in report.waivers:
            out.append(f"| {w.label} | `{w.waiver.rule}` | `{_md(w.waiver.node)}` | "
                       f"{_md_text(w.waiver.owner)} | {w.waiver.expires} | "
                       f"{_md_text(w.waiver.reason)} |")
        out.append("")
    out += ["<details><summary>Rules</summary>", "", "| Rule | Serves |", "|---|---|"]
    out += [f"| `{r.id}` {_md(r.title)} | {_md(r.serves)} |" for r in report.rules]
    out += ["", "</details>", ""]
    return "\n".join(out)


def _md_provenance(report: AuditReport, prov: Provenance) -> str:
    parts: list[str] = []
    if prov.head is not None:
        parts.append(f"store head `{prov.head}`")
    said = prov.verification()
    if said:
        parts.append(f"**{said}**" if prov.verified is False else said)
    if prov.policy_sha256 is not None:
        parts.append(f"policy `{prov.policy_file}` sha256 `{prov.policy_sha256}`")
    if prov.repository_head is not None:
        parts.append(f"repository HEAD `{prov.repository_head}`")
    parts.append(f"lineage `{prov.lineage_version}`, rules `{prov.rules_version}`")
    if not _as_of(report, ""):
        parts.append(f"as of {clock(prov.as_of)}")
    return " · ".join(parts)


RENDERERS: dict[str, Callable[..., Any]] = {
    "table": render_table, "json": render_json, "junit": render_junit, "sarif": render_sarif,
    "markdown": render_markdown,
}

__all__ = ["FORMATS", "RENDERERS", "Provenance", "clock", "render_json", "render_junit",
           "render_markdown", "render_sarif", "render_table", "rules_version"]
