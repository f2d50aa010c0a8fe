"""DVC entries that parse as YAML but hold nonsense, and entries that carry secrets: a warning
naming commit, file and line for the first, nothing secret in the store for the second."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from lineage import api
from lineage.cli.main import app
from tests.conftest import GitRepo

GOOD = "0123456789abcdef0123456789abcdef"


def _harvest(repo: GitRepo) -> api.HarvestResult:
    api.init(repo.path)
    return api.harvest(repo.path)


def _data_paths(repo: GitRepo) -> dict[str, str]:
    """data id → path, from the whole exported graph."""
    out = CliRunner().invoke(app, ["export", "--repo", str(repo.path)])
    assert out.exit_code == 0, out.output
    graph = json.loads(out.stdout)
    return {n["id"]: n["attrs"]["path"] for n in graph["nodes"] if n["kind"] == "data"}


@pytest.mark.parametrize("value,shown", [
    ("12345", "12345"),  # a YAML int
    ("1e5", "100000.0"),  # a YAML float
    ("true", "True"),
    ("[a]", "['a']"),
    ("'has space/and:colon@x'", "has space/and:colon@x"),
    ("00000000000000000000000000000000", "0"),  # unquoted: YAML reads an int
    ("0123456789abcdef0123456789abcdeg", "0123456789abcdef0123456789abcdeg"),
])
def test_a_hash_that_is_not_an_md5_digest_is_a_warning_with_its_line(
        git_repo: GitRepo, value: str, shown: str) -> None:
    git_repo.write("good.csv.dvc", f"outs:\n- md5: {GOOD}\n  size: 3\n  path: good.csv\n")
    git_repo.write("bad.csv.dvc", f"outs:\n- size: 3\n  path: bad.csv\n  md5: {value}\n")
    commit = git_repo.commit("track data")
    res = _harvest(git_repo)
    warns = [w for w in res.report.warnings if w.source == "dvc"]
    assert len(warns) == 1, warns
    w = warns[0]
    assert (w.commit, w.file, w.line) == (commit, "bad.csv.dvc", 4), w
    assert "md5" in w.message and "not an MD5 digest" in w.message and shown in w.message
    paths = _data_paths(git_repo)
    assert sorted(paths.values()) == ["good.csv"]  # the bad file is skipped at that commit
    assert not any(shown in i for i in paths if "good" not in i)


def test_an_entry_without_a_path_is_not_a_path_named_md5(git_repo: GitRepo) -> None:
    git_repo.write("x.dvc", f"outs:\n- md5: {GOOD}\n")
    commit = git_repo.commit("an out without a path")
    res = _harvest(git_repo)
    (w,) = [w for w in res.report.warnings if w.source == "dvc"]
    assert (w.commit, w.file, w.line) == (commit, "x.dvc", 2) and "without a path" in w.message
    assert _data_paths(git_repo) == {}


def test_a_lock_stage_that_is_not_a_mapping_names_its_line(git_repo: GitRepo) -> None:
    git_repo.write("dvc.yaml", "stages:\n  prep:\n    cmd: p\n  train:\n    cmd: t\n")
    git_repo.write("dvc.lock", "schema: '2.0'\nstages:\n  prep:\n    cmd: p\n"
                               "  train: [not, a, mapping]\n")
    commit = git_repo.commit("broken lock")
    res = _harvest(git_repo)
    (w,) = [w for w in res.report.warnings if w.source == "dvc"]
    assert (w.commit, w.file, w.line) == (commit, "dvc.lock", 5), w


def test_credentials_in_import_urls_never_reach_the_store(git_repo: GitRepo) -> None:
    # dvc import from a private repository, and import-url from signed / SAS URLs
    git_repo.write("imp.dvc", f"""deps:
- path: data/x
  repo:
    url: https://user:s3cret@github.com/o/r.git
    rev_lock: abc
outs:
- path: x
  md5: {GOOD}.dir
  hash: md5
""")
    git_repo.write("blob.csv.dvc", f"""md5: {GOOD}
frozen: true
deps:
- path: https://acc.blob.core.windows.net/c/f.csv?sv=2020-08-04&sp=r&sig=SASs3cret
  etag: '0x8DA'
outs:
- path: blob.csv
  md5: {GOOD}
""")
    git_repo.write("dvc.yaml", "stages:\n  fetch:\n    cmd: curl -o f.csv $URL\n    deps:\n"
                               "    - https://bob:pw-s3cret@example.com/f.csv\n"
                               "    outs:\n    - f.csv\n")
    git_repo.write("dvc.lock", f"""schema: '2.0'
stages:
  fetch:
    cmd: curl -o f.csv $URL
    deps:
    - path: https://bob:pw-s3cret@example.com/f.csv?X-Amz-Signature=amzs3cret
      etag: abc
    outs:
    - path: f.csv
      hash: md5
      md5: {GOOD}
""")
    git_repo.commit("imports")
    res = _harvest(git_repo)
    assert [w for w in res.report.warnings if w.source == "dvc"] == []
    out = CliRunner().invoke(app, ["export", "--repo", str(git_repo.path)])
    assert out.exit_code == 0
    assert "s3cret" not in out.stdout
    graph = json.loads(out.stdout)
    data = {n["attrs"]["path"]: n["attrs"] for n in graph["nodes"] if n["kind"] == "data"}
    assert data["x"]["import_url"] == "https://github.com/o/r.git"
    assert data["x"]["import_rev_lock"] == "abc"
    assert data["blob.csv"]["import_url"] == (
        "https://acc.blob.core.windows.net/c/f.csv?sv=2020-08-04&sp=r&sig=REDACTED")
    stage = next(n["attrs"] for n in graph["nodes"] if n["kind"] == "stage")
    assert stage["deps"] == ["https://example.com/f.csv?X-Amz-Signature=REDACTED"]
    # and not in the store file either (e.g. in the parsed-blob cache)
    db = (git_repo.path / ".lineage" / "lineage.db").read_bytes()
    assert b"s3cret" not in db


def test_a_lock_with_a_key_given_twice_is_skipped_as_dvc_refuses_it(git_repo: GitRepo) -> None:
    """A badly resolved merge conflict leaves ``train:`` twice in dvc.lock. DVC refuses the
    file ("YAML file structure is corrupted"); lineage must not pick one of the two entries:
    a warning naming the line of the second one, the file skipped at that commit."""
    from dvc.utils.serialize import YAMLFileCorruptedError, parse_yaml

    def entry(cmd: str, md5: str) -> str:
        return (f"  train:\n    cmd: {cmd}\n    outs:\n    - path: model.pkl\n      hash: md5\n"
                f"      md5: {md5}\n")

    text = "schema: '2.0'\nstages:\n" + entry("python a.py", GOOD) + entry("python b.py",
                                                                          GOOD[::-1])
    with pytest.raises(YAMLFileCorruptedError):
        parse_yaml(text, "dvc.lock")
    git_repo.write("dvc.lock", text)
    git_repo.commit("conflict resolved badly")
    warns = [w for w in _harvest(git_repo).report.warnings if w.file == "dvc.lock"]
    assert len(warns) == 1 and warns[0].line == 9, [str(w) for w in warns]
    assert "duplicate" in warns[0].message and "train" in warns[0].message
    assert _data_paths(git_repo) == {}


def test_a_tab_dvc_refuses_is_a_warning_not_a_data_version(git_repo: GitRepo) -> None:
    """``size: 3<TAB>``: yaml-rs reads it, DVC (ruamel.yaml) calls the file invalid."""
    import subprocess
    import sys

    pytest.importorskip("dvc")
    git_repo.run(sys.executable, "-m", "dvc", "init", "-q")
    git_repo.write("data.csv", "ab\n")
    git_repo.run(sys.executable, "-m", "dvc", "add", "-q", "data.csv")
    dvc_file = git_repo.path / "data.csv.dvc"
    text = dvc_file.read_text()
    assert "\n  size: 3\n" in text
    dvc_file.write_text(text.replace("\n  size: 3\n", "\n  size: 3\t\n"))
    commit = git_repo.commit("a tab at the end of a line")
    dvc = subprocess.run([sys.executable, "-m", "dvc", "status"], cwd=git_repo.path,
                         capture_output=True, text=True, env=git_repo.env(), check=False)
    assert dvc.returncode != 0 and "'\\t'" in dvc.stdout + dvc.stderr
    res = _harvest(git_repo)
    (w,) = [w for w in res.report.warnings if w.source == "dvc"]
    assert (w.commit, w.file, w.line) == (commit, "data.csv.dvc", 3), w
    assert "not valid YAML" in w.message and "tab" in w.message
    assert _data_paths(git_repo) == {}


def test_a_dvc_file_of_several_documents_says_so(git_repo: GitRepo) -> None:
    git_repo.write("data.csv.dvc", f"outs:\n- md5: {GOOD}\n  path: data.csv\n---\n"
                   f"outs:\n- md5: {GOOD[::-1]}\n  path: data.csv\n")
    commit = git_repo.commit("two documents in one .dvc file")
    res = _harvest(git_repo)
    (w,) = [w for w in res.report.warnings if w.source == "dvc"]
    assert (w.commit, w.file, w.line) == (commit, "data.csv.dvc", 4), w
    assert "2 YAML documents" in w.message and "top level" not in w.message
    assert _data_paths(git_repo) == {}
