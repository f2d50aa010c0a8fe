"""A risk assessment lowering the tier after a deployment: DataHub shows the assessment in force
on the model group and, on a version, the tier the audit holds it to (the strictest since its
first deployment, with the assessment holding it), and the audit read back from DataHub is the
store's. The quickstart demo: churn assessed high (churn-2026) on 2026-01-03, churn@v1.1.0
deployed on 2026-01-16 and 2026-01-20; an independent assessor lowers it to minimal on
2026-01-21."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from lineage.cli.main import app

runner = CliRunner()
AS_OF = ["--as-of", "2026-01-22"]
GROUP = "urn:li:mlModelGroup:(urn:li:dataPlatform:dvc,churn,PROD)"
V110 = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_v1.1.0,PROD)"


def lineage(*args: str) -> Any:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res


def downgrade(repo: str) -> None:
    lineage("record", "assessment", "-C", repo, "--group", "churn", "--tier", "minimal",
            "--assessor", "dana@example.com", "--assessed-at", "2026-01-21", "--id",
            "churn-low", "--rationale", "the score no longer gates credit",
            "--annex-iii", "none")


def audit(repo: str, *source: str) -> list[tuple[str, str, str, str]]:
    res = runner.invoke(app, ["audit", "-C", repo, *AS_OF, "--format", "json", *source])
    assert res.exit_code in (0, 1), res.output
    return sorted((f["rule"], f["subject"], f["severity"], f["message"])
                  for f in json.loads(res.stdout)["findings"])


def structured(mcps: list[dict[str, Any]], urn: str) -> dict[str, list[Any]]:
    hits = [m["aspect"]["json"] for m in mcps
            if m["entityUrn"] == urn and m["aspectName"] == "structuredProperties"]
    return {p["propertyUrn"].rsplit(".", 1)[-1]: [next(iter(x.values())) for x in p["values"]]
            for p in (hits[-1]["properties"] if hits else [])}


def terms(mcps: list[dict[str, Any]], urn: str) -> list[str]:
    hits = [m["aspect"]["json"] for m in mcps
            if m["entityUrn"] == urn and m["aspectName"] == "glossaryTerms"]
    return [t["urn"] for t in hits[-1]["terms"]] if hits else []


def test_a_downgrade_shows_the_tier_in_force_on_the_group_and_the_held_tier_on_the_version(
        quickstart_demo: Path, tmp_path: Path) -> None:
    repo = str(quickstart_demo)
    downgrade(repo)
    out = tmp_path / "mcps.json"
    lineage("push", "--to", "datahub-file", str(out), "-C", repo, "-o", "full=true")
    mcps = json.loads(out.read_text())
    group = structured(mcps, GROUP)
    assert group["riskTier"] == ["minimal"] and group["riskAssessedAt"] == ["2026-01-21"]
    assert terms(mcps, GROUP) == ["urn:li:glossaryTerm:EUAIAct.Minimal"]
    facts = json.loads(lineage("show", "model:churn@v1.1.0", "--json", "-C", repo,
                               *AS_OF).stdout)["governance"]["risk"]
    assert (facts["tier"], facts["held_by"]) == ("high", "risk_assessment:churn-2026")
    version = structured(mcps, V110)
    assert version["riskTier"] == ["high"]
    assert version["riskAssessedAt"] == ["2026-01-03"]
    props = [m["aspect"]["json"] for m in mcps if m["entityUrn"] == V110
             and m["aspectName"] == "mlModelProperties"][-1]["customProperties"]
    assert props["risk_tier_held_by"] == "churn-2026"
    assert terms(mcps, V110) == ["urn:li:glossaryTerm:EUAIAct.High"]


def test_the_audit_read_back_after_a_downgrade_is_the_store_s(
        quickstart_demo: Path, tmp_path: Path) -> None:
    repo = str(quickstart_demo)
    downgrade(repo)
    lite = tmp_path / "catalog.db"
    lineage("push", "--to", "datahub-lite", str(lite), "-C", repo)
    store = audit(repo)
    assert {f[2] for f in store if f[0] == "four-eyes"} == {"critical"}  # still high
    assert audit(repo, "--source", "datahub-lite", str(lite)) == store
