"""Files of the demo ML project: a churn model trained by a real two-stage DVC pipeline.

Pure Python (no numpy, no sklearn) so the demo runs anywhere lineage installs, and fully
deterministic so the demo's data hashes are the same on every machine.
"""

from __future__ import annotations

import random

PARAMS = """\
prepare:
  test_ratio: 0.25
  seed: 7
train:
  learning_rate: 0.5
  epochs: 60
"""

DVC_YAML = """\
stages:
  prepare:
    cmd: python src/prepare.py
    deps:
      - data/raw.csv
      - src/prepare.py
    params:
      - prepare
    outs:
      - data/prepared
  train:
    cmd: python src/train.py
    deps:
      - data/prepared
      - src/train.py
    params:
      - train
    outs:
      - models/churn.json
    metrics:
      - metrics.json:
          cache: false
artifacts:
  churn:
    path: models/churn.json
    type: model
    desc: Customer churn classifier (logistic regression)
    labels:
      - churn
      - tabular
"""

PREPARE_PY = '''\
"""Split the raw customer table into train and test sets."""
import csv
import pathlib
import random

import yaml

params = yaml.safe_load(open("params.yaml"))["prepare"]
rows = list(csv.DictReader(open("data/raw.csv", newline="")))
random.Random(params["seed"]).shuffle(rows)
n_test = int(len(rows) * params["test_ratio"])
out = pathlib.Path("data/prepared")
out.mkdir(parents=True, exist_ok=True)
for name, part in (("test.csv", rows[:n_test]), ("train.csv", rows[n_test:])):
    with open(out / name, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\\n")
        writer.writeheader()
        writer.writerows(part)
'''

TRAIN_PY = '''\
"""Train a logistic-regression churn model (pure Python) and record the run in lineage."""
import csv
import json
import math
import os
import pathlib

import yaml

FEATURES = ["tenure_months", "monthly_charges", "support_calls", "contract_years"]


def load(path):
    rows = list(csv.DictReader(open(path, newline="")))
    xs = [[float(r[f]) for f in FEATURES] for r in rows]
    ys = [int(r["churned"]) for r in rows]
    return xs, ys


def scale(xs, stats=None):
    cols = list(zip(*xs))
    stats = stats or [(sum(c) / len(c), (max(c) - min(c)) or 1.0) for c in cols]
    return [[(v - m) / s for v, (m, s) in zip(row, stats)] for row in xs], stats


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


def train(xs, ys, lr, epochs):
    w = [0.0] * (len(xs[0]) + 1)
    for _ in range(epochs):
        grad = [0.0] * len(w)
        for x, y in zip(xs, ys):
            err = sigmoid(w[0] + sum(wi * xi for wi, xi in zip(w[1:], x))) - y
            grad[0] += err
            for i, xi in enumerate(x):
                grad[i + 1] += err * xi
        w = [wi - lr * g / len(xs) for wi, g in zip(w, grad)]
    return w


def accuracy(w, xs, ys):
    hits = sum((sigmoid(w[0] + sum(a * b for a, b in zip(w[1:], x))) > 0.5) == bool(y)
               for x, y in zip(xs, ys))
    return hits / len(ys)


def main(run=None):
    params = yaml.safe_load(open("params.yaml"))["train"]
    xs, ys = load("data/prepared/train.csv")
    xs, stats = scale(xs)
    w = train(xs, ys, params["learning_rate"], params["epochs"])
    tx, ty = load("data/prepared/test.csv")
    tx, _ = scale(tx, stats)
    metrics = {"accuracy": round(accuracy(w, tx, ty), 4), "train_rows": len(ys)}
    pathlib.Path("models").mkdir(exist_ok=True)
    json.dump({"features": FEATURES, "weights": [round(v, 6) for v in w],
               "scaling": [[round(a, 6), round(b, 6)] for a, b in stats]},
              open("models/churn.json", "w"), indent=2)
    json.dump(metrics, open("metrics.json", "w"), indent=2)
    if run is not None:
        run.log_params(params)
        run.log_metrics(metrics)
        # the CD pipeline knows the version it is about to register (GTO tag churn@<version>)
        run.log_model("models/churn.json", name="churn", version=os.environ.get("MODEL_VERSION"))
    return metrics


def demo_clock():
    """The demo replays a history dated January 2026 (its commits, tags and records): its runs
    are timed on that clock too (DEMO_CLOCK, set by lineage quickstart), as they took."""
    import datetime

    at = os.environ.get("DEMO_CLOCK")
    if not at:
        return None
    start = datetime.datetime.fromisoformat(at.replace("Z", "+00:00"))
    began = datetime.datetime.now(datetime.timezone.utc)
    return lambda: start + (datetime.datetime.now(datetime.timezone.utc) - began)


if __name__ == "__main__":
    try:
        from connectors.tracking import track_run
    except ImportError:  # lineage not installed: train without recording
        main()
    else:
        with track_run(name="train", inputs=["data/prepared"], write_file=True,
                       clock=demo_clock()) as run:
            main(run)
'''


def raw_csv(n_rows: int, seed: int, drift: float = 0.0) -> str:
    """A synthetic customer table; ``drift`` shifts monthly charges (a new month's data)."""
    rnd = random.Random(seed)
    lines = ["customer_id,tenure_months,monthly_charges,support_calls,contract_years,churned"]
    for i in range(n_rows):
        tenure = rnd.randint(1, 72)
        charges = round(rnd.uniform(20, 120) * (1 + drift), 2)
        calls = rnd.randint(0, 9)
        contract = rnd.choice((0, 1, 2))
        score = -0.04 * tenure + 0.02 * charges + 0.35 * calls - 0.9 * contract - 0.5
        churned = 1 if score + rnd.gauss(0, 0.8) > 0 else 0
        lines.append(f"C{seed:02d}{i:05d},{tenure},{charges},{calls},{contract},{churned}")
    return "\n".join(lines) + "\n"
