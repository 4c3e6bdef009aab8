#!/usr/bin/env python3
"""Trains the fraud model scored at iou's payment checkpoint (crates/engine/src/fraud_model.rs).

Input: payment decisions exported by `iou labels export --all --data DIR` (JSON lines: each
decision's `inputs`, the rules' named fields as the engine computed them, and the analysts'
`verdict` when there is one), one or more files per split. The label of a decision is, in order:
the simulator's ground truth (`iou simulate --ground-truth FILE`, joined on customer, decision
time and amount) when given, else the analysts' verdict; decisions with neither are dropped.

Features are the `inputs` by name (`features.user.payments_5m`, `input.amount`,
`input.channel`, ...): every numeric or boolean field, and text fields as categories, except
model scores (`models.*`), the checkpoint itself and columns constant in the training rows.
Missing (null) is NaN, as LightGBM and the Rust scorer read it.

Output directory (`models/fraud/`):
    lightgbm.json         `Booster.dump_model()` verbatim
    features.json         iou-features/1: column order (the input paths), kinds, categories
    expected.csv          held-out rows: label, each input's cell, LightGBM raw score and probability
    expected_contrib.csv  LightGBM `pred_contrib` (TreeSHAP) for the same rows
    metrics.json          rows, fraud rates, held-out AUC, average precision, precision/recall
                          at the rules' thresholds (0.7 challenge, 0.9 deny), parameters

Usage:
    train_fraud.py --train ex1.jsonl:gt1.jsonl ex2.jsonl:gt2.jsonl \
                   --eval ex101.jsonl:gt101.jsonl --out models/fraud
(`FILE` alone: analysts' labels only; `FILE:TRUTH`: joined with the simulator's ground truth.)
Deterministic: the same inputs give byte-identical files.
"""

import argparse
import csv
import json
import math
import os
import sys

import lightgbm as lgb
import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

PARAMS = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "max_depth": 5,
    "min_child_samples": 20,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "cat_smooth": 10.0,
    "min_data_per_group": 20,
    "verbose": -1,
    "deterministic": True,
    "force_col_wise": True,
    "num_threads": 1,
}
ROUNDS = 150
THRESHOLDS = (0.7, 0.9)
EXPECTED_ROWS = 500
EXCLUDE_PREFIXES = ("models.",)
EXCLUDE = {"input.checkpoint"}
# The credit models' scaling; a fraud model's score is its probability, the spec needs these.
SCALING = {"base_score": 600.0, "base_odds": 50.0, "pdo": 20.0}


def load_split(specs: list[str]) -> list[dict]:
    rows = []
    for spec in specs:
        path, _, truth_path = spec.partition(":")
        truth = {}
        if truth_path:
            with open(truth_path) as f:
                for line in f:
                    t = json.loads(line)
                    truth[(t["user"], t["at_ms"], t["amount_fen"])] = t["fraud"]
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                key = (r["user"], r["at_ms"], r["amount_fen"])
                if key in truth:
                    r["y"] = int(truth[key])
                elif "verdict" in r:
                    r["y"] = int(r["verdict"] == "fraud")
                else:
                    continue
                rows.append(r)
    return rows


def choose_features(rows: list[dict]) -> tuple[list[str], dict, dict]:
    names, kinds, cats = [], {}, {}
    for name in rows[0]["inputs"]:
        if name in EXCLUDE or name.startswith(EXCLUDE_PREFIXES):
            continue
        values = [r["inputs"][name] for r in rows]
        present = [v for v in values if v is not None]
        if len({json.dumps(v) for v in values}) < 2:
            continue
        if any(isinstance(v, str) for v in present):
            kinds[name] = "categorical"
            cats[name] = sorted({v for v in present})
        else:
            kinds[name] = "numeric"
        names.append(name)
    return names, kinds, cats


def cell_value(name: str, v, kinds: dict, cats: dict) -> float:
    if v is None:
        return math.nan
    if kinds[name] == "categorical":
        return float(cats[name].index(v)) if v in cats[name] else math.nan
    return float(v)


def matrix(rows, names, kinds, cats) -> np.ndarray:
    return np.array([[cell_value(n, r["inputs"][n], kinds, cats) for n in names] for r in rows],
                    dtype=float).reshape(len(rows), len(names))


def cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    return repr(float(v))


def at_threshold(y: np.ndarray, p: np.ndarray, amounts: np.ndarray, t: float) -> dict:
    flagged = p >= t
    tp = int((flagged & (y == 1)).sum())
    fp = int((flagged & (y == 0)).sum())
    return {
        "threshold": t,
        "flagged": int(flagged.sum()),
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / int(y.sum()) if y.sum() else 0.0,
        "fraud_fen_caught": int(amounts[flagged & (y == 1)].sum()),
        "fraud_fen": int(amounts[y == 1].sum()),
        "genuine_flagged_share": fp / int((y == 0).sum()) if (y == 0).sum() else 0.0,
    }


def write_json(path: str, value) -> None:
    with open(path, "w") as f:
        json.dump(value, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", nargs="+", required=True)
    ap.add_argument("--eval", nargs="+", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    train, held = load_split(args.train), load_split(args.eval)
    for name, rows in (("train", train), ("eval", held)):
        ys = [r["y"] for r in rows]
        if not rows or sum(ys) in (0, len(ys)):
            sys.exit(f"error: the {name} split needs fraud and genuine rows ({sum(ys)} of {len(ys)})")
    names, kinds, cats = choose_features(train)
    m, y = matrix(train, names, kinds, cats), np.array([r["y"] for r in train])
    mh, yh = matrix(held, names, kinds, cats), np.array([r["y"] for r in held])
    cat_idx = [i for i, n in enumerate(names) if kinds[n] == "categorical"]
    params = {**PARAMS, "seed": args.seed}
    ds = lgb.Dataset(m, label=y, feature_name=names, categorical_feature=cat_idx, free_raw_data=False)
    booster = lgb.train(params, ds, num_boost_round=ROUNDS)

    ph = booster.predict(mh)
    amounts = np.array([r["amount_fen"] for r in held])
    metrics = {
        "train_rows": len(train), "train_fraud": int(y.sum()),
        "eval_rows": len(held), "eval_fraud": int(yh.sum()),
        "train": args.train, "eval": args.eval,
        "auc": float(roc_auc_score(yh, ph)),
        "average_precision": float(average_precision_score(yh, ph)),
        "thresholds": [at_threshold(yh, ph, amounts, t) for t in THRESHOLDS],
        "features": len(names), "params": params, "rounds": ROUNDS,
    }

    os.makedirs(args.out, exist_ok=True)
    # Held-out rows for the Rust oracle test: every fraud row, then genuine rows, in file order.
    order = [i for i in range(len(held)) if yh[i] == 1] + [i for i in range(len(held)) if yh[i] == 0]
    keep = sorted(order[:EXPECTED_ROWS])
    raw = booster.predict(mh[keep], raw_score=True)
    prob = booster.predict(mh[keep])
    contrib = booster.predict(mh[keep], pred_contrib=True)
    with open(os.path.join(args.out, "expected.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["row", "label", "raw", "probability", *names])
        for j, i in enumerate(keep):
            w.writerow([j, int(yh[i]), repr(float(raw[j])), repr(float(prob[j])),
                        *[cell_text(held[i]["inputs"][n]) for n in names]])
    with open(os.path.join(args.out, "expected_contrib.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["row", *names, "bias"])
        for j in range(len(keep)):
            w.writerow([j, *[repr(float(v)) for v in contrib[j]]])
    factor = SCALING["pdo"] / math.log(2.0)
    features = {
        "format": "iou-features/1",
        "missing_values": [""],
        "target": "fraud",
        "bad": "fraud",
        "features": [{"name": n, "kind": kinds[n], "code": f"MODEL:{n}",
                      **({"categories": cats[n]} if kinds[n] == "categorical" else {})} for n in names],
        "scaling": {**SCALING, "factor": factor,
                    "offset": SCALING["base_score"] - factor * math.log(SCALING["base_odds"])},
        "bands": [{"band": "all", "max_pd": None, "min_score": None}],
    }
    write_json(os.path.join(args.out, "lightgbm.json"), booster.dump_model())
    write_json(os.path.join(args.out, "features.json"), features)
    write_json(os.path.join(args.out, "metrics.json"), metrics)
    print(f"train: {len(train)} decisions ({int(y.sum())} fraud); held out: {len(held)} ({int(yh.sum())} fraud)")
    print(f"{len(names)} features, {ROUNDS} trees; held-out AUC {metrics['auc']:.4f}, "
          f"average precision {metrics['average_precision']:.4f}")
    for t in metrics["thresholds"]:
        print(f"  score >= {t['threshold']}: flagged {t['flagged']}, precision {t['precision']:.3f}, "
              f"recall {t['recall']:.3f}, fraud fen caught {t['fraud_fen_caught']} of {t['fraud_fen']}, "
              f"genuine flagged {t['genuine_flagged_share']:.4%}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
