"""Project configuration: ``lineage.yaml`` at the repository root (optional) + environment.

Environment variables win over the file, so CI jobs configure everything without a file:
``LINEAGE_STORE`` (store folder), ``MLFLOW_TRACKING_URI``, ``DATAHUB_GMS_URL`` /
``DATAHUB_GMS_TOKEN``, ``ATLAS_URL`` / ``ATLAS_USERNAME`` / ``ATLAS_PASSWORD``.
Secrets are kept as ``SecretStr`` so they never print.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from lineage.errors import ConfigError

CONFIG_FILE = "lineage.yaml"
DEFAULT_STORE = ".lineage"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MlflowConfig(_Section):
    tracking_uri: str | None = None


class OpenLineageConfig(_Section):
    paths: list[str] = Field(default_factory=lambda: ["openlineage"])


class DataHubConfig(_Section):
    server: str | None = None
    token: SecretStr | None = None
    lite_file: str | None = None
    platform: str = "dvc"
    env: str = "PROD"


class AtlasConfig(_Section):
    url: str | None = None
    username: str | None = None
    password: SecretStr | None = None


class Config(_Section):
    store: str = DEFAULT_STORE
    governance_dir: str = "governance"
    harvesters: list[str] | None = Field(None, description="None: every enabled harvester")
    model_aliases: dict[str, str] = Field(
        default_factory=dict, description="other registry's name → canonical model group name"
    )
    mlflow: MlflowConfig = Field(default_factory=MlflowConfig)
    openlineage: OpenLineageConfig = Field(default_factory=OpenLineageConfig)
    datahub: DataHubConfig = Field(default_factory=DataHubConfig)
    atlas: AtlasConfig = Field(default_factory=AtlasConfig)
    policy: str | None = Field(None, description="audit policy file")

    def store_path(self, repo_root: Path) -> Path:
        p = Path(self.store)
        return p if p.is_absolute() else repo_root / p


def load_config(repo_root: Path) -> Config:
    data: dict[str, Any] = {}
    path = repo_root / CONFIG_FILE
    root: Any = None  # the composed document, for the line of a field in an error
    if path.exists():
        import yaml

        from lineage.yamlpos import bad_scalar

        try:
            text = path.read_text(encoding="utf-8")
            root = yaml.compose(text, Loader=yaml.SafeLoader)
            bad = bad_scalar(root)
            if bad is not None:  # e.g. the date 2026-02-30, which safe_load cannot build
                where, node, why = bad
                fld = ".".join(str(p) for p in where) or "(top level)"
                raise ConfigError(f"{path}:{node.start_mark.line + 1}: field {fld}: invalid "
                                  f"value {node.value!r} ({why})",
                                  hint="quote the value or fix it")
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
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        at = ""
        if root is not None:
            from lineage.yamlpos import line_of

            found = line_of(root, err["loc"])
            at = f":{found}" if found else ""
        raise ConfigError(f"{path}{at}: field {loc}: {err['msg']}",
                          hint="see docs/ARCHITECTURE.md#configuration") from exc
    env = os.environ
    if env.get("LINEAGE_STORE"):
        cfg.store = env["LINEAGE_STORE"]
    if env.get("MLFLOW_TRACKING_URI"):
        cfg.mlflow.tracking_uri = env["MLFLOW_TRACKING_URI"]
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
