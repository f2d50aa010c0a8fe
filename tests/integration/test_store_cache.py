"""The store's parse cache and watermarks edited outside lineage, on the demo repository.

The cache is not in the event log, yet a harvest turns what it reads from it into facts of
a legitimate event: an entry written by hand (a forged parse of a file the harvest has not
seen yet) must not become facts that then verify, nor hide a governance record from the
audit. Entries that do not match the hash they were written with are read again from git.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from connectors.harvesters.records import CACHE_NS
from lineage.cli.main import app

runner = CliRunner()
NEW_DEPLOYMENT = "deployment:churn-prod-2026-02-01"


def lineage(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.output


def _git(repo: Path, *args: str) -> str:
    import subprocess

    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout.strip()


def _sql(repo: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(repo / ".lineage" / "lineage.db", isolation_level=None)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-qm",
         message)


def _findings(repo: Path) -> list[dict[str, object]]:
    code, out = lineage("audit", "--repo", str(repo), "--format", "json")
    assert code in (0, 1), out
    return list(json.loads(out)["findings"])


def test_a_forged_cache_entry_does_not_hide_a_new_governance_record(
        quickstart_demo: Path) -> None:
    """A prod deployment file is committed; before the harvest, its parse is put in the
    cache as "no records". The deployment must still be harvested and audited."""
    repo = quickstart_demo
    old = repo / "governance" / "deployment" / "churn-prod-2026-01-20.yaml"
    new = old.with_name("churn-prod-2026-02-01.yaml")
    new.write_text(old.read_text().replace("churn-prod-2026-01-20", "churn-prod-2026-02-01")
                   .replace("2026-01-20T08", "2026-02-01T08"))
    blob = _git(repo, "hash-object", str(new))
    namespace = CACHE_NS  # the records harvester's parses (its other entries are not parses)
    assert _sql(repo, "SELECT 1 FROM cache WHERE namespace=?", namespace)
    _sql(repo, "INSERT INTO cache(namespace, key, value) VALUES (?, ?, '[]')", namespace,
         f"{blob}:governance/deployment/churn-prod-2026-02-01.yaml")
    _commit(repo, "deploy churn v1.1.0 again")
    code, out = lineage("harvest", "--repo", str(repo))
    assert code == 0, out
    assert _sql(repo, "SELECT 1 FROM nodes WHERE id=?", NEW_DEPLOYMENT), out
    assert any(NEW_DEPLOYMENT in json.dumps(f) for f in _findings(repo))
    assert lineage("verify", "--repo", str(repo))[0] == 0


def test_a_forged_dvc_parse_does_not_become_a_data_version(quickstart_demo: Path) -> None:
    """A .dvc file changes; the cache is given another hash for its blob first. The data
    version harvested is the one the file records."""
    repo = quickstart_demo
    dvc_file = repo / "data" / "raw.csv.dvc"
    text = dvc_file.read_text()
    md5 = text.split("md5: ", 1)[1].split()[0]
    dvc_file.write_text(text.replace(md5, "a" * 32))
    blob = _git(repo, "hash-object", str(dvc_file))
    forged = {"s": {"deps": [], "outs": [{"hash": "md5:" + "b" * 32, "hash_kind": "md5",
                                          "path": "raw.csv", "size": 1}]}}
    (version,) = {json.loads(str(v))["v"] for (v,) in _sql(
        repo, "SELECT value FROM cache WHERE namespace='dvc-blob'")}
    forged["v"] = version
    _sql(repo, "INSERT INTO cache(namespace, key, value) VALUES ('dvc-blob', ?, ?)",
         f"dvc:{blob}", json.dumps(forged))
    _commit(repo, "new raw data")
    code, out = lineage("harvest", "--repo", str(repo))
    assert code == 0, out
    data = [r[0] for r in _sql(repo, "SELECT id FROM nodes WHERE kind='data' AND id LIKE "
                               "'%data/raw.csv@%'")]
    assert any(i.endswith("md5:" + "a" * 32) for i in data), data
    assert not any("b" * 32 in str(i) for i in data), data


def test_a_cache_value_edited_into_garbage_is_read_again(quickstart_demo: Path) -> None:
    repo = quickstart_demo
    _sql(repo, "UPDATE cache SET value='not json' WHERE namespace LIKE 'records%'")
    (repo / "governance" / "note.txt").write_text("not a record\n")
    _commit(repo, "a note")
    before = _sql(repo, "SELECT seq, hash FROM events ORDER BY seq")
    code, out = lineage("harvest", "--repo", str(repo))
    assert code == 0 and "Traceback" not in out, out
    assert _sql(repo, "SELECT seq, hash FROM events ORDER BY seq")[: len(before)] == before


def test_a_store_from_before_cache_hashes_harvests_as_before(quickstart_demo: Path) -> None:
    """A store written before cache entries carried a hash: nothing in its cache is taken
    on trust, the files are parsed again, and an unchanged repository writes no event."""
    repo = quickstart_demo
    assert lineage("harvest", "--repo", str(repo))[0] == 0  # the copy's own path, first
    _sql(repo, "ALTER TABLE cache DROP COLUMN hash")
    before = _sql(repo, "SELECT seq, hash FROM events ORDER BY seq")
    code, out = lineage("harvest", "--repo", str(repo))
    assert code == 0 and "new events: 0" in out, out
    assert _sql(repo, "SELECT seq, hash FROM events ORDER BY seq") == before
    assert _sql(repo, "SELECT count(*) FROM cache WHERE hash IS NOT NULL")[0][0] > 0
    assert lineage("verify", "--repo", str(repo))[0] == 0


# -- watermarks ---------------------------------------------------------------------------
def _mark_seen(repo: Path, tag: str) -> None:
    """Edit the git, DVC and GTO watermarks as if ``tag`` had been harvested already."""
    sha = _git(repo, "rev-parse", f"{tag}^{{commit}}")
    obj = _git(repo, "rev-parse", tag)
    for harvester, scope, value in _sql(repo, "SELECT harvester, scope, value FROM watermarks"):
        mark = json.loads(str(value))
        if harvester == "gto" and scope == "tags":
            mark[f"refs/tags/{tag}"] = f"{sha}:{obj}"
        elif scope == "refs":
            mark["refs"][f"refs/tags/{tag}"] = sha
        else:
            continue
        _sql(repo, "UPDATE watermarks SET value=? WHERE harvester=? AND scope=?",
             json.dumps(mark, sort_keys=True, separators=(",", ":")), harvester, scope)


def test_a_watermark_edited_to_skip_a_new_promotion_is_not_trusted(
        quickstart_demo: Path) -> None:
    """A GTO promotion to prod is tagged; before the harvest, the watermarks are edited to
    say that tag was seen. The harvest must still record the prod deployment."""
    repo = quickstart_demo
    assert lineage("harvest", "--repo", str(repo))[0] == 0  # the copy's own path, first
    commit = _git(repo, "rev-parse", "churn@v1.1.0^{commit}")
    _git(repo, "-c", "user.name=Rel", "-c", "user.email=rel@example.com", "tag", "-a",
         "churn#prod#4", "-m", "promote churn v1.1.0 to prod", commit)
    before = {r[0] for r in _sql(repo, "SELECT id FROM nodes WHERE kind='deployment'")}
    _mark_seen(repo, "churn#prod#4")
    code, out = lineage("harvest", "--repo", str(repo))
    assert code == 0, out
    after = {r[0] for r in _sql(repo, "SELECT id FROM nodes WHERE kind='deployment'")}
    assert len(after - before) == 1, (before, after)
    assert lineage("verify", "--repo", str(repo))[0] == 0


def test_watermarks_from_before_their_hashes_are_kept(quickstart_demo: Path) -> None:
    """A store written before watermarks carried a hash: they are taken as they stand at the
    first harvest (nothing walked again for nothing), then carry their hash."""
    repo = quickstart_demo
    assert lineage("harvest", "--repo", str(repo))[0] == 0
    _sql(repo, "ALTER TABLE watermarks DROP COLUMN hash")
    marks = _sql(repo, "SELECT harvester, scope, value FROM watermarks ORDER BY 1, 2")
    events = _sql(repo, "SELECT count(*) FROM events")
    code, out = lineage("harvest", "--repo", str(repo))
    assert code == 0 and "new events: 0" in out, out
    assert _sql(repo, "SELECT count(*) FROM events") == events
    assert _sql(repo, "SELECT harvester, scope, value FROM watermarks ORDER BY 1, 2") == marks
    assert _sql(repo, "SELECT count(*) FROM watermarks WHERE hash IS NULL") == [(0,)]
