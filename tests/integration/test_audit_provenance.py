"""Every `lineage audit` report names what it judged: the store's chain head (as `lineage
verify` prints it) and whether this run verified it, the policy file and its sha256, the
repository's HEAD, lineage's and the rules' versions and the clock. `--verify` (and
`--expect-head`) check the event log first: a store whose rows were deleted in SQLite fails
with verify's one line, and no report is written."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
from typer.testing import CliRunner

from lineage import __version__
from lineage.cli.main import app

SARIF_SCHEMA = Path(__file__).parents[1] / "fixtures" / "sarif-schema-2.1.0.json"
NOT_VERIFIED = "store not verified in this run (lineage audit --verify)"
runner = CliRunner()


def audit(repo: Path, *args: str, code: int = 0):  # type: ignore[no-untyped-def]
    res = runner.invoke(app, ["audit", "-C", str(repo), "--fail-on", "never", *args],
                        env={"COLUMNS": "200"})
    assert res.exit_code == code, res.output
    return res


def verify_head(repo: Path) -> str:
    res = runner.invoke(app, ["verify", "-C", str(repo), "--json"])
    assert res.exit_code == 0, res.output
    return str(json.loads(res.stdout)["head"])


def flat(text: str) -> str:
    return " ".join(text.split())


def test_every_format_names_the_head_verify_prints_the_policy_digest_and_the_commit(
        quickstart_demo: Path) -> None:
    head = verify_head(quickstart_demo)
    policy = quickstart_demo / "lineage-policy.yaml"
    digest = hashlib.sha256(policy.read_bytes()).hexdigest()
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=quickstart_demo, check=True,
                            capture_output=True, text=True).stdout.strip()

    prov = json.loads(audit(quickstart_demo, "--json").stdout)["provenance"]
    assert prov["store_head"] == head
    assert prov["verified"] is False
    assert prov["expected_head"] is None
    assert (prov["policy_file"], prov["policy_sha256"]) == ("lineage-policy.yaml", digest)
    assert prov["repository_head"] == commit
    assert prov["lineage_version"] == __version__
    assert prov["rules_version"].startswith(f"{__version__}+rules.")

    sarif = json.loads(audit(quickstart_demo, "--format", "sarif").stdout)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(sarif)
    run = sarif["runs"][0]
    assert run["tool"]["driver"]["version"] == __version__
    assert run["properties"]["provenance"]["storeHead"] == head
    assert run["properties"]["provenance"]["policySha256"] == digest
    assert run["properties"]["provenance"]["repositoryHead"] == commit
    assert run["properties"]["provenance"]["verified"] is False

    suite = ET.fromstring(audit(quickstart_demo, "--format", "junit").stdout).find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert (props["store_head"], props["verified"], props["policy_sha256"],
            props["repository_head"]) == (head, "false", digest, commit)

    for fmt in ("table", "markdown"):
        out = flat(audit(quickstart_demo, "--format", fmt).stdout)
        for said in (head, NOT_VERIFIED, digest, commit, prov["rules_version"]):
            assert said in out, (fmt, said, out)


def test_verify_checks_the_store_first_and_the_report_says_so(quickstart_demo: Path) -> None:
    head = verify_head(quickstart_demo)
    prov = json.loads(audit(quickstart_demo, "--verify", "--json").stdout)["provenance"]
    assert (prov["store_head"], prov["verified"]) == (head, True)
    out = flat(audit(quickstart_demo, "--verify").stdout)
    assert "store verified in this run (event log intact)" in out, out
    assert NOT_VERIFIED not in out


def _delete_approvals(repo: Path) -> int:
    with sqlite3.connect(repo / ".lineage" / "lineage.db") as conn:
        gone = conn.execute("DELETE FROM nodes WHERE kind = 'approval'").rowcount
    assert gone
    return gone


def test_rows_deleted_in_sqlite_fail_audit_verify_with_no_report(quickstart_demo: Path,
                                                                 tmp_path: Path) -> None:
    _delete_approvals(quickstart_demo)
    told = runner.invoke(app, ["verify", "-C", str(quickstart_demo)])
    assert told.exit_code == 1 and told.stderr.startswith("TAMPERED: "), told.output
    tampered = told.stderr.splitlines()[0]

    # without --verify the audit runs on what is left, and says it did not check
    plain = audit(quickstart_demo)
    assert NOT_VERIFIED in flat(plain.stdout)

    for fmt in ("json", "sarif", "table"):
        out = tmp_path / f"report.{fmt}"
        res = audit(quickstart_demo, "--verify", "--format", fmt, "-o", str(out), code=1)
        assert res.stderr.splitlines()[0] == tampered, res.output
        assert res.stderr.splitlines()[1].startswith("hint: "), res.output
        assert "no audit report was written" in flat(res.stderr)
        assert res.stdout == "" and not out.exists(), res.output
    res = audit(quickstart_demo, "--verify", "--json", code=1)
    assert res.stdout == "" and "Traceback" not in res.output, res.output


def test_a_kept_head_is_held_as_lineage_verify_holds_it(quickstart_demo: Path,
                                                        tmp_path: Path) -> None:
    kept = tmp_path / "kept-head.json"
    kept.write_text(runner.invoke(app, ["verify", "-C", str(quickstart_demo), "--json"]).stdout)
    head = json.loads(kept.read_text())["head"]

    for given in (str(kept), head):
        prov = json.loads(audit(quickstart_demo, "--expect-head", given, "--json").stdout)
        assert prov["provenance"]["verified"] is True  # --expect-head implies --verify
        assert prov["provenance"]["expected_head"] == head
    assert f"holds the kept head {head}" in flat(audit(quickstart_demo, "--expect-head",
                                                       head).stdout)

    seq, h = head.split(":")
    later = f"{int(seq) + 1}:{h}"  # a head the log never reached: its last events removed
    res = audit(quickstart_demo, "--expect-head", later, "--json", code=1)
    said = runner.invoke(app, ["verify", "-C", str(quickstart_demo), "--expect-head", later])
    assert said.exit_code == 1
    assert res.stderr.splitlines()[0] == said.stderr.splitlines()[0], res.output
    assert res.stdout == ""

    # the same parser as verify's: a head typed wrong is a usage error, named as verify names it
    bad = audit(quickstart_demo, "--expect-head", f"0{head}", code=2)
    told = runner.invoke(app, ["verify", "-C", str(quickstart_demo), "--expect-head",
                               f"0{head}"])
    assert told.exit_code == 2
    assert bad.stderr.splitlines()[0] == told.stderr.splitlines()[0], bad.output


def test_verify_of_a_catalog_is_a_usage_error(quickstart_demo: Path) -> None:
    lite = quickstart_demo / ".lineage" / "datahub-lite.db"
    res = audit(quickstart_demo, "--source", "datahub-lite", str(lite), "--verify", code=2)
    assert "keeps no event log to verify" in flat(res.stderr), res.output
    prov = json.loads(audit(quickstart_demo, "--source", "datahub-lite", str(lite),
                            "--json").stdout)["provenance"]
    assert (prov["verified"], prov["store_head"]) == ("skipped", None)


def test_the_built_in_default_policy_has_no_file_and_no_digest(quickstart_demo: Path) -> None:
    (quickstart_demo / "lineage-policy.yaml").unlink()
    data = json.loads(audit(quickstart_demo, "--json").stdout)
    assert data["policy"] == "built-in default"
    assert (data["provenance"]["policy_file"], data["provenance"]["policy_sha256"]) == (None,
                                                                                        None)
    assert data["policy_weaker"] == {"rules_off": [], "settings": []}


def test_a_store_missing_a_table_fails_audit_verify_as_it_fails_verify(
        quickstart_demo: Path) -> None:
    with sqlite3.connect(quickstart_demo / ".lineage" / "lineage.db") as conn:
        conn.execute("DROP TABLE fact_log")
    told = runner.invoke(app, ["verify", "-C", str(quickstart_demo)])
    assert told.exit_code == 1, told.output
    res = audit(quickstart_demo, "--verify", "--format", "markdown", code=1)
    assert res.stderr.splitlines()[0] == told.stderr.splitlines()[0], res.output
    assert res.stdout == ""
