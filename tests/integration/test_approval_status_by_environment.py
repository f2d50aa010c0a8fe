"""Atlas's ``lineage_approval_status.approvalByEnvironment`` on a model version says, per
environment, what DataHub's ``approvalByEnvironment`` says, in the same words
(``connectors.sinks.approval.environment_labels``; docs/atlas.md). An Atlas an earlier
lineage set up (its ``lineage_approval_status`` without the attribute, its
``lineage_approval_state`` without ``not checked``) takes both in an update of the typedefs on
the next push. The quickstart demo's store, pushed to the Atlas stand-in and a DataHub file.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lineage.cli.main import app
from tests.standins.atlas import AtlasStandin

pytest.importorskip("datahub")

runner = CliRunner()
VERSIONS = {"v1.0.0": "model:churn@v1.0.0", "v1.1.0": "model:churn@v1.1.0"}
URN = "urn:li:mlModel:(urn:li:dataPlatform:dvc,churn_{},PROD)"
V110_PROD = "deployment:churn-prod-2026-01-20"
EXEMPT = """version: 1
rules:
  deployment-approved: {tiers: [unacceptable]}
  four-eyes: {tiers: [unacceptable]}
high_risk_documents: [model_card, data_governance, evaluation, bias_report]
"""


def lineage(repo: Path, *args: str) -> str:
    res = runner.invoke(app, [*args, "-C", str(repo)])
    assert res.exit_code == 0, res.output
    return res.stdout


def datahub_by_environment(repo: Path, out: Path) -> dict[str, list[str]]:
    """Each version's ``approvalByEnvironment`` in a DataHub push (its last
    ``structuredProperties``: the file is an append-only log)."""
    lineage(repo, "push", "--to", "datahub-file", str(out))
    mcps = json.loads(out.read_text())
    got = {}
    for version in VERSIONS:
        hits = [m["aspect"]["json"] for m in mcps if m["entityUrn"] == URN.format(version)
                and m["aspectName"] == "structuredProperties"]
        got[version] = next(
            [v["string"] for v in p["values"]] for p in hits[-1]["properties"]
            if p["propertyUrn"].endswith(".approvalByEnvironment"))
    return got


def atlas_status(atlas: AtlasStandin, type_name: str, node: str) -> dict[str, Any]:
    entity = atlas.entity_of(type_name, node + "@lineage")
    return entity["businessAttributes"]["lineage_approval_status"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("policy", [None, EXEMPT], ids=["demo-policy", "tier-exempt"])
def test_atlas_says_per_environment_what_datahub_says(
        quickstart_demo: Path, atlas_env: AtlasStandin, tmp_path: Path,
        policy: str | None) -> None:
    repo = quickstart_demo
    if policy is not None:
        (repo / "lineage-policy.yaml").write_text(policy)
    datahub = datahub_by_environment(repo, tmp_path / "mcps.json")
    lineage(repo, "push", "--to", "atlas")
    atlas = {v: atlas_status(atlas_env, "lineage_model_version", nid).get(
        "approvalByEnvironment") for v, nid in VERSIONS.items()}
    assert atlas == datahub
    if policy is None:  # the audit's verdicts, where each runs and ran
        assert atlas == {"v1.0.0": ["prod: approved", "staging: approved, retired"],
                         "v1.1.0": ["prod: unapproved", "staging: unapproved"]}
    else:  # the audit judged none of their deployments
        assert atlas == {"v1.0.0": ["prod: approved, not checked",
                                    "staging: approved, not checked, retired"],
                         "v1.1.0": ["prod: not checked, deployed",
                                    "staging: approved, not checked"]}
    # a deployment's own status has no per-environment list: it is one environment
    assert "approvalByEnvironment" not in atlas_status(atlas_env, "lineage_deployment",
                                                       V110_PROD)


def test_an_atlas_set_up_by_an_earlier_lineage_takes_the_new_attribute_and_value(
        quickstart_demo: Path, atlas_env: AtlasStandin) -> None:
    from connectors.sinks.atlas.client import AtlasHttp
    from connectors.sinks.atlas.typesystem import load_typedefs

    repo = quickstart_demo
    (repo / "lineage-policy.yaml").write_text(EXEMPT)
    earlier = copy.deepcopy(load_typedefs())
    for d in earlier["businessMetadataDefs"]:
        d["attributeDefs"] = [a for a in d["attributeDefs"]
                              if a["name"] != "approvalByEnvironment"]
    for d in earlier["enumDefs"]:
        d["elementDefs"] = [e for e in d["elementDefs"] if e["value"] != "not checked"]
    AtlasHttp(atlas_env.url, "admin", "pw").create_typedefs(earlier)

    out = json.loads(lineage(repo, "push", "--to", "atlas", "--json"))
    assert (out["typedefs"], out["failed"]) == ("updated", 0), out
    assert atlas_status(atlas_env, "lineage_deployment", V110_PROD)["status"] == "not checked"
    assert atlas_status(atlas_env, "lineage_model_version", VERSIONS["v1.1.0"])[
        "approvalByEnvironment"] == ["prod: not checked, deployed",
                                     "staging: approved, not checked"]
