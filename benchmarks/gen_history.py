"""Generate a git + DVC history of N commits with ``git fast-import`` (for bench_harvest).

The history looks like a real DVC project over time: a ``dvc.yaml`` pipeline and its
``dvc.lock`` (2.0 format: ``schema: '2.0'``, stages with cmd/deps/outs carrying md5/size/
``hash: md5``, params), a few ``.dvc`` files for raw data, and code. Most commits retrain
(the lock changes), some add a stage, some update raw data (a ``.dvc`` file and the lock),
some touch only code; a feature branch is merged every 200 commits; every ~500 commits the
model is registered with GTO (``churn@vX.Y.Z``) and promoted (``churn#prod#N``) with
annotated tags. Deterministic for a given N and seed.

    python benchmarks/gen_history.py 10000 /tmp/hist-10k
"""

from __future__ import annotations

import argparse
import hashlib
import random
import subprocess
import sys
from pathlib import Path

BASE_TIME = 1_700_000_000
MAX_STAGES = 12  # a typical pipeline; lock files stay a few KB as in real projects
# (``--max-stages 4`` keeps the first four: ~1 KB lock files, two stages rerun per retrain)


def _md5(*parts: object) -> str:
    return hashlib.md5("|".join(map(str, parts)).encode()).hexdigest()


def _y(value: str) -> str:
    """A digest as DVC's YAML writer puts it: quoted when digits alone would read as a
    number."""
    return f"'{value}'" if value.isdigit() else value


class History:
    def __init__(self, n: int, seed: int, max_stages: int = MAX_STAGES) -> None:
        self.n = n
        self.max_stages = max_stages
        self.rng = random.Random(seed)
        self.stages: list[str] = ["prepare", "featurize", "train", "evaluate"]
        self.lock_md5: dict[str, str] = {}
        self.raw_versions = {"data/raw/customers.csv": 0, "data/raw/events.csv": 0,
                             "data/raw/labels dir": 0}
        self.params = {"lr": 0.1, "epochs": 10, "seed": 1}

    # -- file contents ----------------------------------------------------------------------
    def dvc_yaml(self) -> str:
        out = ["stages:"]
        prev_out = "data/raw"
        for s in self.stages:
            out += [f"  {s}:", f"    cmd: python src/{s}.py {prev_out} data/{s}",
                    "    deps:", f"    - src/{s}.py", f"    - {prev_out}"]
            if s in ("train", "featurize") or s.startswith("extra"):
                out += ["    params:", "    - lr", "    - epochs"]
            out += ["    outs:", f"    - data/{s}"]
            if s == "train":
                out[-1] = "    - models/model.pkl"
            prev_out = "models/model.pkl" if s == "train" else f"data/{s}"
        out += ["artifacts:", "  churn:", "    path: models/model.pkl", "    type: model"]
        return "\n".join(out) + "\n"

    def dvc_lock(self, i: int) -> str:
        out = ["schema: '2.0'", "stages:"]
        prev_out, prev_hash = "data/raw", _md5("raw", *self.raw_versions.values()) + ".dir"
        for s in self.stages:
            h = self.lock_md5.setdefault(s, _md5(s, i))
            path = "models/model.pkl" if s == "train" else f"data/{s}"
            is_dir = path.startswith("data/")
            out += [f"  {s}:", f"    cmd: python src/{s}.py {prev_out} data/{s}", "    deps:",
                    f"    - path: src/{s}.py", "      hash: md5", f"      md5: {_y(_md5('src', s))}",
                    "      size: 1432", f"    - path: {prev_out}", "      hash: md5",
                    f"      md5: {_y(prev_hash)}", "      size: 88123"]
            if is_dir or prev_out.startswith("data/"):
                out += ["      nfiles: 3"]
            if s in ("train", "featurize") or s.startswith("extra"):
                out += ["    params:", "      params.yaml:",
                        f"        epochs: {self.params['epochs']}",
                        f"        lr: {self.params['lr']}"]
            out += ["    outs:", f"    - path: {path}", "      hash: md5",
                    f"      md5: {_y(h + ('.dir' if is_dir else ''))}",
                    f"      size: {1000 + int(h[:4], 16)}"]
            if is_dir:
                out += ["      nfiles: 12"]
            prev_out, prev_hash = path, h + (".dir" if is_dir else "")
        return "\n".join(out) + "\n"

    def dot_dvc(self, path: str) -> str:
        v = self.raw_versions[path]
        h = _md5(path, v)
        name = path.rsplit("/", 1)[-1]
        if path.endswith("dir"):
            return (f"outs:\n- md5: {h}.dir\n  size: {5000 + v}\n  nfiles: 7\n  hash: md5\n"
                    f"  path: {name}\n")
        return f"outs:\n- md5: {_y(h)}\n  size: {5000 + v}\n  hash: md5\n  path: {name}\n"

    # -- stream -----------------------------------------------------------------------------
    def stream(self, out: list[bytes]) -> None:
        rng = self.rng
        mark = 0
        main_tip = 0
        version = [0, 1, 0]
        prod_counter = 0

        def blob(path: str, text: str) -> str:
            quoted = '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'
            return f"M 100644 inline {quoted}\ndata {len(text.encode())}\n{text}\n"

        def commit(branch: str, i: int, files: dict[str, str], msg: str,
                   parents: list[int]) -> int:
            nonlocal mark
            mark += 1
            t = BASE_TIME + i * 600
            author = rng.choice(["Ada Author <ada@example.com>", "Bo Builder <bo@example.com>",
                                 "Cy Scientist <cy@example.com>"])
            data = msg.encode()
            parts = [f"commit refs/heads/{branch}\nmark :{mark}\n",
                     f"author {author} {t} +0000\ncommitter {author} {t} +0000\n",
                     f"data {len(data)}\n{msg}\n"]
            if parents:
                parts.append(f"from :{parents[0]}\n")
                for p in parents[1:]:
                    parts.append(f"merge :{p}\n")
            for path, text in files.items():
                parts.append(blob(path, text))
            out.append("".join(parts).encode())
            return mark

        def maybe_tag(i: int, tagged: int) -> int:
            """Every 500 commits: register the next version and promote it to prod."""
            nonlocal prod_counter
            if i // 500 <= tagged:
                return tagged
            version[1] += 1
            t = BASE_TIME + i * 600 + 60
            out.append(self._tag(f"churn@v{version[0]}.{version[1]}.{version[2]}", main_tip, t,
                                 "register"))
            prod_counter += 1
            out.append(self._tag(f"churn#prod#{prod_counter}", main_tip, t + 60, "promote"))
            return i // 500

        tagged = 0
        files = {"dvc.yaml": self.dvc_yaml(), "dvc.lock": self.dvc_lock(0),
                 "params.yaml": "lr: 0.1\nepochs: 10\nseed: 1\n", "src/train.py": "print(0)\n"}
        for p in self.raw_versions:
            files[p.rsplit("/", 1)[0] + "/" + p.rsplit("/", 1)[1] + ".dvc"] = self.dot_dvc(p)
        main_tip = commit("main", 0, files, "initial pipeline", [])
        i = 1
        while i < self.n:
            r = rng.random()
            files = {}
            if i % 200 == 0 and i + 3 < self.n:
                # a feature branch of 2 commits, merged back
                self.lock_md5["train"] = _md5("train-feature", i)
                b1 = commit("feature", i, {"dvc.lock": self.dvc_lock(i),
                                           "src/train.py": f"print({i})\n"},
                            f"feature: try model {i}", [main_tip])
                self.lock_md5["evaluate"] = _md5("evaluate-feature", i)
                b2 = commit("feature", i + 1, {"dvc.lock": self.dvc_lock(i + 1)},
                            f"feature: evaluate {i}", [b1])
                main_tip = commit("main", i + 2, {}, f"Merge branch 'feature' ({i})",
                                  [main_tip, b2])
                i += 3
                tagged = maybe_tag(i - 1, tagged)
                continue
            if r < 0.02 and len(self.stages) < self.max_stages:
                name = f"extra{len(self.stages)}"
                self.stages.insert(-1, name)
                self.lock_md5[name] = _md5(name, i)
                files["dvc.yaml"] = self.dvc_yaml()
                files["dvc.lock"] = self.dvc_lock(i)
                files[f"src/{name}.py"] = f"# {name}\n"
                msg = f"add stage {name}"
            elif r < 0.08:
                p = rng.choice(sorted(self.raw_versions))
                self.raw_versions[p] += 1
                for s in self.stages:
                    self.lock_md5[s] = _md5(s, i)
                files[p + ".dvc"] = self.dot_dvc(p)
                files["dvc.lock"] = self.dvc_lock(i)
                msg = f"update {p}"
            elif r < 0.18:
                files[f"src/util{i % 7}.py"] = f"x = {i}\n"
                msg = f"refactor util{i % 7}"
            else:
                if rng.random() < 0.3:
                    self.params["lr"] = round(rng.uniform(0.001, 0.5), 4)
                    files["params.yaml"] = (f"lr: {self.params['lr']}\n"
                                            f"epochs: {self.params['epochs']}\nseed: 1\n")
                for s in self.stages[self.stages.index("train"):]:
                    self.lock_md5[s] = _md5(s, i)
                files["dvc.lock"] = self.dvc_lock(i)
                msg = f"retrain #{i}\n\nlr={self.params['lr']}"
            main_tip = commit("main", i, files, msg, [main_tip])
            tagged = maybe_tag(i, tagged)
            i += 1

    @staticmethod
    def _tag(name: str, mark: int, t: int, msg: str) -> bytes:
        data = msg.encode()
        return (f"tag {name}\nfrom :{mark}\ntagger Rita Registrar <rita@example.com> {t} +0000\n"
                f"data {len(data)}\n{msg}\n").encode()


def generate(n: int, dest: Path, seed: int = 7, max_stages: int = MAX_STAGES) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(dest)], check=True)
    chunks: list[bytes] = []
    History(n, seed, max_stages).stream(chunks)
    subprocess.run(["git", "fast-import", "--quiet", "--done"], cwd=dest, check=True,
                   input=b"".join(chunks) + b"done\n")
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=dest, check=True)
    return dest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="number of commits")
    ap.add_argument("dest", type=Path, help="new repository folder")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--max-stages", type=int, default=MAX_STAGES,
                    help="stages the pipeline grows to (4 to 12; default %(default)s)")
    args = ap.parse_args(argv)
    if args.dest.exists() and any(args.dest.iterdir()):
        print(f"{args.dest} exists and is not empty", file=sys.stderr)
        return 2
    generate(args.n, args.dest, args.seed, max(4, args.max_stages))
    print(f"generated {args.n} commits in {args.dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
