"""lineage.yaml errors found when it is loaded, not at push time: one line naming
``lineage.yaml:LINE field`` and what is allowed, exit 2; folders configured but absent are
warned about; an unknown harvester is an error, a harvester missing its extra a skip."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage import plugins
from lineage.cli.main import app
from lineage.config import DATAHUB_ENVS, load_config
from tests.conftest import GitRepo

runner = CliRunner()
README = Path(__file__).resolve().parents[2] / "README.md"


def _run(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.output


def _assert_one_error(code: int, out: str, *needles: str) -> None:
    assert code == 2, out
    assert "Traceback" not in out, out
    lines = out.splitlines()
    assert lines[0].startswith("error: ") and lines[1].startswith("hint: "), out
    assert len(out) < 600, out  # one line, not a page of MCP problems
    for n in needles:
        assert n in out, (n, out)


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("train.py", "print('train')\n")
    git_repo.commit("add training code")
    git_repo.tag("churn@v1.0.0", "register churn v1.0.0")
    assert _run("init", "-C", str(git_repo.path))[0] == 0
    return git_repo


@pytest.mark.parametrize("platform", ["bad,x", "DVC", "my platform", "dvc)", ""])
def test_a_datahub_platform_datahub_refuses_is_a_config_error(repo: GitRepo,
                                                             platform: str) -> None:
    repo.write("lineage.yaml", f"store: .lineage\ndatahub: {{platform: '{platform}'}}\n")
    code, out = _run("push", "-C", str(repo.path))
    _assert_one_error(code, out, "lineage.yaml:2: field datahub.platform",
                      "lowercase letters, digits", "README.md#configuration")
    assert "report it" not in out


def test_a_datahub_env_datahub_refuses_is_a_config_error(repo: GitRepo) -> None:
    repo.write("lineage.yaml", "datahub:\n  server: http://localhost:8080\n  env: production\n")
    code, out = _run("push", "-C", str(repo.path))
    _assert_one_error(code, out, "lineage.yaml:3: field datahub.env", "PROD", "DEV")


def test_datahub_platform_and_env_datahub_accepts(repo: GitRepo) -> None:
    repo.write("lineage.yaml", "datahub: {platform: my-ml_platform.v2, env: dev}\n")
    cfg = load_config(repo.path)
    assert (cfg.datahub.platform, cfg.datahub.env) == ("my-ml_platform.v2", "DEV")
    assert _run("harvest", "-C", str(repo.path))[0] == 0
    mcps = repo.path / "mcps.json"
    code, out = _run("push", "-C", str(repo.path), "--to", "datahub-file", str(mcps), "--json")
    assert code == 0, out
    assert "urn:li:mlModelGroup:(urn:li:dataPlatform:my-ml_platform.v2,churn,DEV)" in \
        mcps.read_text()


def test_datahub_envs_are_datahubs_fabric_types() -> None:
    if importlib.util.find_spec("datahub") is None:
        pytest.skip("acryl-datahub not installed")
    from datahub.metadata.schema_classes import FabricTypeClass

    fabric = {v for k, v in vars(FabricTypeClass).items() if not k.startswith("_")}
    assert set(DATAHUB_ENVS) == fabric


def test_config_hint_points_at_the_documented_section(repo: GitRepo) -> None:
    repo.write("lineage.yaml", "datahub:\n  tokn: abc\n")
    code, out = _run("harvest", "-C", str(repo.path))
    _assert_one_error(code, out, "lineage.yaml:2: field datahub.tokn")
    anchor = re.search(r"README\.md#([\w-]+)", out)
    assert anchor, out
    headings = {"-".join(h.strip().lower().split()) for h in
                re.findall(r"^#+ (.+)$", README.read_text(encoding="utf-8"), re.M)}
    assert anchor.group(1) in headings
    assert "ARCHITECTURE.md#configuration" not in out


@pytest.mark.parametrize("content,line", [
    ("harvesters: [git, bogus]\n", 1),
    ("store: .lineage\nharvesters:\n  - git\n  - bogus\n", 4),
])
def test_an_unknown_configured_harvester_is_a_config_error(repo: GitRepo, content: str,
                                                          line: int) -> None:
    repo.write("lineage.yaml", content)
    code, out = _run("harvest", "-C", str(repo.path))
    _assert_one_error(code, out, f"lineage.yaml:{line}: field harvesters",
                      "unknown harvester 'bogus'", "git, dvc, gto")


@pytest.mark.parametrize("content,line", [
    ("harvesters: []\n", 1),
    ("store: .lineage\nharvesters: [ ]\ngovernance_dir: governance\n", 2),
])
def test_an_empty_harvester_list_is_a_config_error_not_every_harvester(
        repo: GitRepo, content: str, line: int) -> None:
    # an empty list reads as "none" (or a list left half-written), never as "all of them"
    repo.write("lineage.yaml", content)
    code, out = _run("harvest", "-C", str(repo.path))
    _assert_one_error(code, out, f"lineage.yaml:{line}: field harvesters",
                      "names no harvester", "remove the key to run every installed harvester")
    from lineage.store import Store

    store = Store.open(repo.path / ".lineage")
    try:
        assert store.head()[0] == 0  # nothing was harvested
    finally:
        store.close()


def test_a_configured_harvester_without_its_extra_is_skipped_with_the_install_hint(
        repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the test extra installs confluent_kafka: hide it, as an installation without the extra
    monkeypatch.setitem(sys.modules, "confluent_kafka", None)
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "lineage_kafka_harvester.py").write_text("import confluent_kafka\n")
    monkeypatch.syspath_prepend(str(mods))
    monkeypatch.setitem(plugins.HARVESTERS, "kafka-topics", "lineage_kafka_harvester:H")
    repo.write("lineage.yaml", "harvesters: [git, kafka-topics]\n")
    code, out = _run("harvest", "-C", str(repo.path))
    assert code == 0, out
    assert "skipped kafka-topics" in out and "pip install 'lineage[kafka]'" in out
    sys.modules.pop("lineage_kafka_harvester", None)


@pytest.mark.parametrize("content,needles", [
    ("governance_dir: nope\n", ("governance_dir", "nope", "does not exist")),
    ("openlineage: {paths: [nope, events.jsonl]}\n",
     ("openlineage.paths", "nope", "events.jsonl", "does not exist")),
])
def test_a_configured_folder_that_does_not_exist_is_warned_about(
        repo: GitRepo, content: str, needles: tuple[str, ...]) -> None:
    repo.write("lineage.yaml", content)
    code, out = _run("harvest", "-C", str(repo.path))
    assert code == 0, out
    assert "warning" in out, out
    assert "lineage.yaml:1" in out, out
    for n in needles:
        assert n in out, (n, out)


def test_default_folders_that_do_not_exist_are_not_warned_about(repo: GitRepo) -> None:
    code, out = _run("harvest", "-C", str(repo.path))
    assert code == 0, out
    assert "warning" not in out and "does not exist" not in out, out


@pytest.mark.parametrize("content,needles", [
    ("store: .lineage\nstore: other\n", ("lineage.yaml:2", "store", "line 1")),
    ("datahub:\n  platform: dvc\n  env: PROD\n  platform: mlflow\n",
     ("lineage.yaml:4", "datahub.platform", "line 2")),
])
def test_a_key_given_twice_is_a_config_error(repo: GitRepo, content: str,
                                            needles: tuple[str, ...]) -> None:
    repo.write("lineage.yaml", content)
    code, out = _run("harvest", "-C", str(repo.path))
    _assert_one_error(code, out, "given twice", *needles)


def test_a_key_given_twice_is_listed_with_the_files_other_problems(repo: GitRepo) -> None:
    """A duplicate key does not hide the other mistakes of the file: all are listed, in the
    file's order, as for a file without one."""
    repo.write("lineage.yaml", "store: .lineage\nbogus: 1\ndatahub: {platform: \"DVC X\"}\n"
               "harvesters: [git, nosuch]\ngovernance_dir: governance\ngovernance_dir: other\n")
    code, out = _run("harvest", "-C", str(repo.path))
    assert code == 2 and "Traceback" not in out, out
    assert "4 problems" in out, out
    at = [out.index(f"lineage.yaml:{n}") for n in (2, 3, 4, 6)]
    assert at == sorted(at), out
    assert "governance_dir given twice (first on line 5) — keep one of them" in out, out
    assert "unknown harvester 'nosuch'" in out, out


def test_only_takes_a_comma_separated_list(repo: GitRepo) -> None:
    code, out = _run("harvest", "-C", str(repo.path), "--only", "git,gto", "--json")
    assert code == 0, out
    import json

    assert set(json.loads(out)["harvesters"]) == {"git", "gto"}
    code, out = _run("harvest", "-C", str(repo.path), "--only", "git", "--only", "gto,records")
    assert code == 0, out


def test_only_names_the_unknown_one_in_a_list(repo: GitRepo) -> None:
    code, out = _run("harvest", "-C", str(repo.path), "--only", "git,gtoo")
    _assert_one_error(code, out, "unknown harvester 'gtoo'", "did you mean 'gto'?")
    assert "'git,gtoo'" not in out
    code, out = _run("harvest", "-C", str(repo.path), "--only", ",")
    _assert_one_error(code, out, "--only names no harvester")


def test_a_refused_secret_is_not_shown_even_with_verbose(repo: GitRepo) -> None:
    """A token written as a list (a YAML slip): the error names the field; ``-v``, which shows
    the traceback, does not quote the value either."""
    repo.write("lineage.yaml", "datahub:\n  server: http://localhost:8080\n"
                               "  token: [tok-S3CRET-123]\n")
    for args in (["push", "-C", str(repo.path)], ["-v", "push", "-C", str(repo.path)]):
        code, out = _run(*args)
        assert code == 2, out
        assert "lineage.yaml:3: field datahub.token" in out, out
        assert "S3CRET" not in out, out


@pytest.mark.parametrize("entry", ["churn-model: ''", "churn-model:", "'': churn",
                                   "churn-model: '  '"])
def test_a_model_alias_naming_no_model_is_a_config_error(repo: GitRepo, entry: str) -> None:
    """``model_aliases`` maps a registry's name to a model group name: an empty one would
    put every version of the model under ``model_group:`` (no name)."""
    repo.write("lineage.yaml", f"store: .lineage\nmodel_aliases:\n  {entry}\n")
    code, out = _run("harvest", "-C", str(repo.path))
    _assert_one_error(code, out, "lineage.yaml:", "field model_aliases")
    assert re.search(r"lineage\.yaml:[23]:", out), out


@pytest.mark.parametrize("store", ["''", ".", "./", "sub/..", ".."])
def test_a_store_folder_that_holds_the_repository_is_a_config_error(
        git_repo: GitRepo, store: str) -> None:
    """``store: ''`` or ``.``: the store would be the repository itself, and the
    ``.gitignore`` of ``*`` lineage writes in its folder would hide every file of the
    repository from git (``git status`` shows nothing new)."""
    git_repo.write("README.md", "x\n")
    git_repo.commit("init")
    git_repo.write("lineage.yaml", f"store: {store}\n")
    code, out = _run("init", "-C", str(git_repo.path))
    _assert_one_error(code, out, "lineage.yaml:1: field store")
    assert not (git_repo.path / ".gitignore").exists()
    assert not (git_repo.path.parent / ".gitignore").exists()


def test_lineage_store_that_holds_the_repository_is_a_config_error(
        git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    git_repo.commit("init")
    monkeypatch.setenv("LINEAGE_STORE", str(git_repo.path))
    code, out = _run("init", "-C", str(git_repo.path))
    _assert_one_error(code, out, "LINEAGE_STORE")
    assert not (git_repo.path / ".gitignore").exists()


@pytest.mark.parametrize("kind,why", [("folder", "Is a directory"),
                                      ("dangling", "No such file or directory"),
                                      ("loop", "Too many levels of symbolic links")])
@pytest.mark.parametrize("command", [["harvest"], ["push"], ["audit"], ["show", "churn@v1.0.0"]])
def test_a_config_file_that_cannot_be_read_is_a_config_error(repo: GitRepo, kind: str,
                                                             why: str, command: list[str]
                                                             ) -> None:
    # a folder was a traceback; a dangling link was skipped in silence (its settings lost)
    cfg = repo.path / "lineage.yaml"
    if kind == "folder":
        cfg.mkdir()
    else:
        cfg.symlink_to("lineage.yaml" if kind == "loop" else "config/lineage.yaml")
    _assert_one_error(*_run(*command, "-C", str(repo.path)),
                      f"lineage.yaml: cannot read: {why}", "lineage.yaml is optional")


@pytest.mark.parametrize("kind,why", [("dangling", "No such file or directory"),
                                      ("loop", "Too many levels of symbolic links")])
def test_a_policy_file_that_is_a_broken_link_is_an_error_not_the_default_policy(
        repo: GitRepo, kind: str, why: str) -> None:
    assert _run("harvest", "-C", str(repo.path))[0] == 0
    policy = repo.path / "lineage-policy.yaml"
    policy.symlink_to("lineage-policy.yaml" if kind == "loop" else "policies/churn.yaml")
    for args in ([], ["--json"]):
        res = runner.invoke(app, ["audit", "-C", str(repo.path), *args])
        _assert_one_error(res.exit_code, res.output, "lineage-policy.yaml", why)
        assert res.stdout == ""
