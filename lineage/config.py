"""Project configuration: ``lineage.yaml`` at the repository root (optional) + environment.

Environment variables win over the file, so CI jobs configure everything without a file:
``LINEAGE_STORE`` (store folder), ``MLFLOW_TRACKING_URI``, ``MLFLOW_REGISTRY_URI``,
``DATAHUB_GMS_URL`` /
``DATAHUB_GMS_TOKEN``, ``ATLAS_URL`` / ``ATLAS_USERNAME`` / ``ATLAS_PASSWORD``.
Secrets are kept as ``SecretStr`` so they never print.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
)

from lineage import ids
from lineage.errors import ConfigError

if TYPE_CHECKING:
    import yaml

CONFIG_FILE = "lineage.yaml"
DEFAULT_STORE = ".lineage"
# where the keys of lineage.yaml and their values are documented (named in every hint)
CONFIG_DOCS = "README.md#configuration"

# DataHub's environments (acryl-datahub ``FabricTypeClass``; a test keeps the two equal): the
# last part of every model, model group, deployment and flow urn
DATAHUB_ENVS = ("DEV", "TEST", "QA", "UAT", "EI", "PRE", "STG", "NON_PROD", "PROD", "CORP",
                "RVW", "PRD", "TST", "SIT", "SBX", "SANDBOX", "CERT")
# a DataHub platform name as DataHub's own are spelled (dvc, mlflow, sagemaker, s3): written
# into urns unencoded, so nothing an urn reserves (``,`` ``(`` ``)``), no space, no capitals
_PLATFORM = re.compile(r"[a-z0-9][a-z0-9._-]*")


def datahub_platform(v: str) -> str:
    """``v`` if it is a DataHub platform name, else ValueError saying what is allowed (a
    pydantic validator: ``datahub.platform`` here, ``platform`` of the DataHub source)."""
    if not _PLATFORM.fullmatch(v):
        raise ValueError(f"{v!r} is not a DataHub platform name: use lowercase letters, "
                         "digits, '-', '_' and '.', starting with a letter or digit "
                         "(e.g. dvc, mlflow, my-platform)")
    return v


def datahub_env(v: str) -> str:
    """``v`` upper-cased if it is a DataHub environment (in any case, as acryl-datahub's
    sources accept it), else ValueError listing them (``datahub.env``, the source's ``env``)."""
    if v.upper() not in DATAHUB_ENVS:
        raise ValueError(f"{v!r} is not a DataHub environment: use one of "
                         f"{', '.join(DATAHUB_ENVS)}")
    return v.upper()


class _Section(BaseModel):
    # a value pydantic refuses is not quoted in its error, which ``-v`` shows: it may be a
    # secret (a token, a URI with a password)
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


def mlflow_store_uri(v: str | None) -> str | None:
    """``v`` stripped (None when empty), or ValueError when it is a SQLite URI MLflow cannot
    read: ``sqlite:`` needs three slashes (``sqlite:/x.db``, ``sqlite://x.db`` name no file
    SQLAlchemy opens). The URI is shown without its credentials."""
    if v is None or not v.strip():
        return None
    v = v.strip()
    clean = ids.strip_credentials(v)
    if clean.lower().startswith("sqlite:") and not clean[len("sqlite:"):].startswith("///"):
        raise ValueError(f"{clean!r} is not a SQLite store URI: write sqlite:///relative.db "
                         "(in the repository) or sqlite:////absolute/path.db")
    return v


class MlflowConfig(_Section):
    tracking_uri: str | None = Field(None, description="MLFLOW_TRACKING_URI wins")
    registry_uri: str | None = Field(
        None, description="the model registry, when not the tracking store; "
                          "MLFLOW_REGISTRY_URI wins")

    @field_validator("tracking_uri", "registry_uri")
    @classmethod
    def _store_uri(cls, v: str | None) -> str | None:
        return mlflow_store_uri(v)


class OpenLineageConfig(_Section):
    paths: list[str] = Field(default_factory=lambda: ["openlineage"])


class DataHubConfig(_Section):
    server: str | None = None
    token: SecretStr | None = None
    lite_file: str | None = None
    platform: str = "dvc"
    env: str = "PROD"
    # dataset urns with lower-cased names, as DataHub's sources with convert_urns_to_lowercase
    lowercase_urns: bool = False

    @field_validator("platform")
    @classmethod
    def _platform_name(cls, v: str) -> str:
        return datahub_platform(v)

    @field_validator("env")
    @classmethod
    def _fabric_type(cls, v: str) -> str:
        return datahub_env(v)


class AtlasConfig(_Section):
    url: str | None = None
    username: str | None = None
    password: SecretStr | None = None


class Config(_Section):
    store: str = DEFAULT_STORE
    governance_dir: str = "governance"
    harvesters: list[str] | None = Field(
        None, description="None: every enabled harvester; an empty list is an error")
    model_aliases: dict[str, str] = Field(
        default_factory=dict, description="other registry's name → canonical model group name"
    )
    mlflow: MlflowConfig = Field(default_factory=MlflowConfig)
    openlineage: OpenLineageConfig = Field(default_factory=OpenLineageConfig)
    datahub: DataHubConfig = Field(default_factory=DataHubConfig)
    atlas: AtlasConfig = Field(default_factory=AtlasConfig)
    policy: str | None = Field(None, description="audit policy file")
    _yaml: yaml.Node | None = PrivateAttr(None)  # the composed lineage.yaml, for a key's line

    @field_validator("model_aliases")
    @classmethod
    def _named_models(cls, v: dict[str, str]) -> dict[str, str]:
        """Each entry maps a name to a name: an empty one would make ``model_group:`` (no
        name) of every version of the model."""
        for name, canon in v.items():
            if not name.strip() or not canon.strip():
                raise ValueError(f"{name!r}: {canon!r} maps a model to no name: write "
                                 "<other registry's name>: <model group name>, both non-empty")
        return v

    def store_path(self, repo_root: Path) -> Path:
        p = Path(self.store)
        return p if p.is_absolute() else repo_root / p

    def line_of(self, *loc: str | int) -> int | None:
        """The line of ``loc`` (e.g. ``"openlineage", "paths", 0``) in lineage.yaml, when the
        file sets it (for a warning about a configured value)."""
        if self._yaml is None:
            return None
        from lineage.yamlpos import line_of

        return line_of(self._yaml, loc)


def load_config(repo_root: Path) -> Config:
    data: dict[str, Any] = {}
    twice: list[_Problem] = []
    path = repo_root / CONFIG_FILE
    root: yaml.Node | None = None  # the composed document, for the line of a field in an error
    if path.exists() or path.is_symlink():  # a dangling link is no missing file: say so
        import yaml

        from lineage.yamlpos import bad_scalar, given_twice, keys_given_twice

        try:
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:  # a folder, a dangling link, a loop, no permission
                raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}",
                                  hint="fix the file's permissions or link, or remove it "
                                       "(lineage.yaml is optional)") from None
            root = yaml.compose(text, Loader=yaml.SafeLoader)
            bad = bad_scalar(root)
            if bad is not None:  # e.g. the date 2026-02-30, which safe_load cannot build
                where, node, why = bad
                fld = ".".join(str(p) for p in where) or "(top level)"
                raise ConfigError(f"{path}:{node.start_mark.line + 1}: field {fld}: invalid "
                                  f"value {node.value!r} ({why})",
                                  hint="quote the value or fix it")
            # PyYAML keeps the last silently: a setting would be lost. Listed with the
            # file's other problems, in its order
            twice = [(again, f"{path}:{again}: {given_twice(where, first)}", "keep one of them",
                      True) for where, first, again in keys_given_twice(root)]
            # built from the composed document: the file is parsed once
            data = yaml.SafeLoader("").construct_document(root) if root is not None else {}
            data = data or {}
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})",
                              hint="save the file as UTF-8") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f":{mark.line + 1}" if mark else ""
            raise ConfigError(f"{path}{line}: not valid YAML ({getattr(exc, 'problem', exc)})",
                              hint="fix the file or remove it") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping at the top level")
    named = twice + _harvester_problems(data.get("harvesters"), root, path)
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        raise _invalid(path, _field_problems(path, root, exc) + named) from exc
    if named:
        raise _invalid(path, named)
    cfg._yaml = root
    env = os.environ
    if env.get("LINEAGE_STORE"):
        cfg.store = env["LINEAGE_STORE"]
    _check_store(cfg, repo_root, path, from_env=bool(env.get("LINEAGE_STORE")))
    if env.get("MLFLOW_TRACKING_URI"):
        cfg.mlflow.tracking_uri = env["MLFLOW_TRACKING_URI"]
    if env.get("MLFLOW_REGISTRY_URI"):
        cfg.mlflow.registry_uri = env["MLFLOW_REGISTRY_URI"]
    if env.get("DATAHUB_GMS_URL"):
        cfg.datahub.server = env["DATAHUB_GMS_URL"]
    if env.get("DATAHUB_GMS_TOKEN"):
        cfg.datahub.token = SecretStr(env["DATAHUB_GMS_TOKEN"])
    if env.get("ATLAS_URL"):
        cfg.atlas.url = env["ATLAS_URL"]
    if env.get("ATLAS_USERNAME"):
        cfg.atlas.username = env["ATLAS_USERNAME"]
    if env.get("ATLAS_PASSWORD"):
        cfg.atlas.password = SecretStr(env["ATLAS_PASSWORD"])
    return cfg


# a problem of lineage.yaml: its line (0: unknown), "file:line: field …: what", its hint,
# and whether the hint stands alone (else the keys' documentation is named after it)
_Problem = tuple[int, str, str | None, bool]


def _field_problems(path: Path, root: yaml.Node | None, exc: ValidationError
                    ) -> list[_Problem]:
    """What pydantic found wrong in lineage.yaml, each with its line and did-you-mean."""
    from lineage.spelling import meant_by

    problems: list[_Problem] = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        found = None
        if root is not None:
            from lineage.yamlpos import line_of

            found = line_of(root, err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        meant = meant_by(err, Config, tuple(err["loc"]))
        problems.append((found or 0, f"{path}{f':{found}' if found else ''}: field {loc}: "
                                     f"{msg}", meant or None, False))
    return problems


def _invalid(path: Path, problems: list[_Problem]) -> ConfigError:
    """Every problem of lineage.yaml, in the file's order: a file with two mistakes is not
    fixed one run at a time. One problem is one line (file:line: field: what), with its hint;
    several are listed, each with its own."""
    problems = sorted(problems, key=lambda p: p[0])
    docs = f"the keys and their values: {CONFIG_DOCS}"
    if len(problems) == 1:
        _, text, hint, alone = problems[0]
        return ConfigError(text, hint=hint if hint and alone else f"{hint} " * bool(hint) + docs)
    listed = "\n".join(f"  {text}" + (f" — {hint}" if hint else "")
                        for _, text, hint, _ in problems)
    return ConfigError(f"{path}: {len(problems)} problems:\n{listed}",
                       hint=f"fix each of them; {docs}")


# lineage.yaml settings that hold a secret, and the environment variable to use instead
SECRETS = (("datahub", "token", "DATAHUB_GMS_TOKEN"), ("atlas", "password", "ATLAS_PASSWORD"))


def secret_warnings(cfg: Config, repo_root: Path) -> list[str]:
    """A warning for each secret lineage.yaml holds when git does not ignore the file: a
    token committed with the repository is readable by everyone who can clone it."""
    if cfg._yaml is None:
        return []
    found = [(section, key, env, line) for section, key, env in SECRETS
             if (line := _set_at(cfg._yaml, section, key)) is not None]
    if not found:
        return []
    import subprocess

    try:  # exit 0: ignored; 1: not ignored; 128: not a git repository (say it anyway)
        ignored = subprocess.run(["git", "check-ignore", "-q", CONFIG_FILE], cwd=repo_root,
                                 capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ignored = False
    if ignored:
        return []
    path = repo_root / CONFIG_FILE
    return [f"{path}:{line}: {section}.{key} holds a secret in a file git does not ignore "
            f"(it is committed with the repository): set {env} in the environment instead "
            f"and remove it from {CONFIG_FILE}" for section, key, env, line in found]


def _set_at(root: yaml.Node | None, section: str, key: str) -> int | None:
    """The line where lineage.yaml sets ``section.key`` to a value (not null, not empty)."""
    import yaml

    node, line = root, None
    for name in (section, key):
        if not isinstance(node, yaml.MappingNode):
            return None
        pairs: list[tuple[yaml.Node, yaml.Node]] = node.value
        hit = next(((k, v) for k, v in pairs if k.value == name), None)
        if hit is None:
            return None
        line, node = hit[0].start_mark.line + 1, hit[1]
    if isinstance(node, yaml.ScalarNode) and (node.tag.endswith(":null") or node.value == ""):
        return None
    return line


def _check_store(cfg: Config, repo_root: Path, path: Path, *, from_env: bool) -> None:
    """The store folder is not the repository's folder nor one above it (``store: ''``,
    ``.``): lineage writes a ``.gitignore`` of ``*`` there, which would hide every file of
    the repository from git."""
    root = repo_root.resolve()
    where = cfg.store_path(repo_root).resolve()
    if where != root and where not in root.parents:
        return
    if from_env:
        at = f"LINEAGE_STORE={cfg.store!r}"
    else:
        line = cfg.line_of("store")
        at = f"{path}{f':{line}' if line else ''}: field store: {cfg.store!r}"
    raise ConfigError(f"{at} names the repository's folder ({where}) or one above it: the "
                      "store's folder is ignored by git as a whole",
                      hint=f"name a folder of its own (the default is {DEFAULT_STORE})")


def _harvester_problems(names: Any, root: yaml.Node | None, path: Path) -> list[_Problem]:
    """``harvesters:`` names at least one harvester (leave the key out for every one), and each
    name is a harvester (one whose extra is not installed is skipped at harvest time, with its
    install hint; a misspelt one would be skipped for good). Read from the file's own value,
    so these problems are listed with the others of the file."""
    if not isinstance(names, list) or any(not isinstance(n, str) for n in names):
        return []  # not a list of names: the field's own validation says so
    import difflib

    from lineage.plugins import harvester_names
    from lineage.yamlpos import line_of

    known = harvester_names()

    def at(*loc: str | int) -> int:
        return (line_of(root, loc) if root is not None else None) or 0

    def where(line: int) -> str:
        return f"{path}{f':{line}' if line else ''}"

    if not names:  # "none", or a list left half-written: never "all of them"
        line = at("harvesters")
        return [(line, f"{where(line)}: field harvesters: an empty list names no harvester",
                 "remove the key to run every installed harvester, or name the ones to run "
                 f"({', '.join(known)})", True)]
    problems: list[_Problem] = []
    for i, name in enumerate(names):
        if name in known:
            continue
        line = at("harvesters", i)
        close = difflib.get_close_matches(name, known, n=1)
        listed = f"harvesters: {', '.join(known)}"
        problems.append((line, f"{where(line)}: field harvesters: unknown harvester {name!r}",
                         f"did you mean {close[0]!r}? ({listed})" if close else listed, True))
    return problems


