#!/usr/bin/env python3
"""Train iou's credit-scoring models on any credit CSV and write the files the Rust scorer reads.

Two models are trained on the same columns:

* a scorecard: optimal monotonic binning per feature (optbinning, weight of evidence), a
  logistic regression on the WOE values, and points scaled the industry way (see SCALING);
* a LightGBM binary classifier on the raw values (categorical columns as integer codes).

Both are evaluated with stratified 5-fold cross-validation (AUC, KS, Gini, mean over
`--repeats` shuffles), then refitted on all rows and written to `--out`:

    scorecard.json       bins, WOE and points per feature, base points, score->PD scaling, bands
    lightgbm.json        `Booster.dump_model()` verbatim
    features.json        column order, kinds, category codes, missing tokens, scaling, bands
    expected.csv         for every input row: the Python libraries' own outputs (the Rust oracle)
    expected_contrib.csv LightGBM `pred_contrib` (TreeSHAP) for the first rows
    metrics.json         the cross-validated metrics printed on stdout

Usage:
    train.py --data FILE --target COLUMN --bad VALUE --out DIR [--seed N] [--repeats N]
             [--categorical COL,COL] [--drop COL,COL] [--lgb-params JSON] [--lr-c C]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import time
import warnings

import lightgbm as lgb
import numpy as np
import pandas as pd
from optbinning import OptimalBinning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import StratifiedKFold

# Cells read as missing, exactly (no trimming). The Rust scorer reads this list from the model
# files, so changing it here changes both sides together.
MISSING_VALUES = ["", "NA", "N/A", "NaN", "nan", "NULL", "null", "None", "<NA>"]

# Score scaling: 600 points at good:bad odds of 50:1, 20 points to double the odds.
# score = offset + factor * ln(odds_good), factor = PDO / ln 2, offset = base - factor * ln(odds).
SCALING = {"base_score": 600.0, "base_odds": 50.0, "pdo": 20.0}

# Bands by probability of default; cut points are turned into scores with the scaling above.
# A score at or above a band's min_score is in that band (first match, best band first).
BAND_PD_CUTS = [("A", 0.05), ("B", 0.12), ("C", 0.25), ("D", 0.45), ("E", None)]

# Minimum information value for a feature to enter the scorecard.
IV_MIN = 0.02

DEFAULT_LGB_PARAMS = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 7,
    "max_depth": 4,
    "min_child_samples": 25,
    "feature_fraction": 0.6,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 5.0,
    "cat_smooth": 10.0,
    "min_data_per_group": 30,
    "num_boost_round": 160,
}

CONTRIB_ROWS = 100


def scaling_constants() -> tuple[float, float]:
    factor = SCALING["pdo"] / math.log(2.0)
    offset = SCALING["base_score"] - factor * math.log(SCALING["base_odds"])
    return factor, offset


def bands() -> list[dict]:
    factor, offset = scaling_constants()
    out = []
    for band, pd_cut in BAND_PD_CUTS:
        min_score = None if pd_cut is None else offset + factor * math.log((1 - pd_cut) / pd_cut)
        out.append({"band": band, "max_pd": pd_cut, "min_score": min_score})
    return out


# ---------------------------------------------------------------- data


def load(path: str, target: str, bad: str, categorical: list[str], drop: list[str]):
    df = pd.read_csv(path, keep_default_na=False, na_values=MISSING_VALUES,
                     float_precision="round_trip", dtype={c: str for c in categorical})
    if target not in df.columns:
        sys.exit(f"error: target column {target!r} not in {path}")
    target_col = df[target]
    if target_col.isna().any():
        sys.exit(f"error: target column {target!r} has missing values")
    y = (target_col.astype(str) == bad).astype(int).to_numpy()
    if y.sum() == 0 or y.sum() == len(y):
        sys.exit(f"error: target {target!r} == {bad!r} gives a single class")
    x = df.drop(columns=[target, *drop])
    kinds = {}
    for col in x.columns:
        if col in categorical or not pd.api.types.is_numeric_dtype(x[col]):
            kinds[col] = "categorical"
            x[col] = x[col].astype(object).where(x[col].notna(), np.nan)
            x[col] = x[col].map(lambda v: v if isinstance(v, float) and np.isnan(v) else str(v))
        else:
            kinds[col] = "numeric"
            x[col] = x[col].astype(float)
    return x, y, kinds


def categories_of(x: pd.DataFrame, kinds: dict) -> dict[str, list[str]]:
    return {c: sorted(x[c].dropna().unique().tolist()) for c, k in kinds.items()
            if k == "categorical"}


def lgb_matrix(x: pd.DataFrame, kinds: dict, cats: dict) -> np.ndarray:
    """Numeric columns as float64; categorical columns as the category's index, NaN if missing or
    unseen. Exactly what the Rust `FeatureSpec` does with a raw cell."""
    cols = []
    for c in x.columns:
        if kinds[c] == "numeric":
            cols.append(x[c].to_numpy(dtype=float))
        else:
            index = {v: float(i) for i, v in enumerate(cats[c])}
            cols.append(np.array([index.get(v, np.nan) if isinstance(v, str) else np.nan
                                  for v in x[c]], dtype=float))
    return np.column_stack(cols)


# ---------------------------------------------------------------- metrics


def metrics(y: np.ndarray, p: np.ndarray) -> dict:
    auc = roc_auc_score(y, p)
    fpr, tpr, _ = roc_curve(y, p)
    return {"auc": auc, "ks": float(np.max(tpr - fpr)), "gini": 2 * auc - 1}


# ---------------------------------------------------------------- scorecard


def fit_binnings(x: pd.DataFrame, y: np.ndarray, kinds: dict) -> dict[str, OptimalBinning]:
    out = {}
    for c in x.columns:
        dtype = "numerical" if kinds[c] == "numeric" else "categorical"
        optb = OptimalBinning(name=c, dtype=dtype, solver="cp", monotonic_trend="auto_asc_desc"
                              if dtype == "numerical" else "auto", min_bin_size=0.05,
                              max_n_prebins=20)
        values = x[c].to_numpy(dtype=float if dtype == "numerical" else object)
        optb.fit(values, y)
        table = optb.binning_table
        table.build()
        if table.iv >= IV_MIN:
            out[c] = optb
    return out


def woe_matrix(binnings: dict, x: pd.DataFrame, kinds: dict) -> np.ndarray:
    cols = []
    for c, optb in binnings.items():
        values = x[c].to_numpy(dtype=float if kinds[c] == "numeric" else object)
        cols.append(optb.transform(values, metric="woe", metric_missing="empirical"))
    return np.column_stack(cols)


def fit_scorecard(x, y, kinds, c_reg):
    binnings = fit_binnings(x, y, kinds)
    w = woe_matrix(binnings, x, kinds)
    lr = LogisticRegression(C=c_reg, max_iter=5000)
    lr.fit(w, y)
    return binnings, lr


def predict_scorecard(model, x, kinds) -> np.ndarray:
    binnings, lr = model
    return lr.predict_proba(woe_matrix(binnings, x, kinds))[:, 1]


def woe_of(optb: OptimalBinning, kind: str, values: list) -> list[float]:
    arr = np.array(values, dtype=float if kind == "numeric" else object)
    return [float(v) for v in optb.transform(arr, metric="woe", metric_missing="empirical")]


def export_scorecard(model, kinds: dict, codes: dict) -> dict:
    """The scorecard file. Each bin's WOE is read back through optbinning's own transform of a
    value inside that bin, so the file agrees with what the regression was fitted on."""
    binnings, lr = model
    factor, offset = scaling_constants()
    intercept = float(lr.intercept_[0])
    features = []
    for j, (c, optb) in enumerate(binnings.items()):
        coef = float(lr.coef_[0][j])
        table = optb.binning_table.build()
        counts = table["Count"].to_numpy()
        bad_rates = table["Event rate"].to_numpy()
        n_bins = len(optb.splits) + 1 if kinds[c] == "numeric" else len(optb.splits)

        def points(woe: float) -> float:
            return -factor * coef * woe

        bins = []
        if kinds[c] == "numeric":
            splits = [float(s) for s in optb.splits]
            reps = [float(np.nextafter(splits[0], -np.inf))] + splits if splits else [0.0]
            for i, w in enumerate(woe_of(optb, "numeric", reps)):
                bins.append({"points": points(w), "woe": w, "count": int(counts[i]),
                             "bad_rate": float(bad_rates[i])})
        else:
            splits = None
            for i, group in enumerate(optb.splits):
                group = [str(v) for v in group]
                w = woe_of(optb, "categorical", [group[0]])[0]
                bins.append({"categories": group, "points": points(w), "woe": w,
                             "count": int(counts[i]), "bad_rate": float(bad_rates[i])})
        missing_woe = woe_of(optb, kinds[c], [np.nan])[0]
        missing_row = n_bins + 1  # after the regular bins and "Special"
        feature = {
            "name": c,
            "kind": kinds[c],
            "code": codes[c],
            "coefficient": coef,
            "iv": float(optb.binning_table.iv),
        }
        if splits is not None:
            feature["splits"] = splits
        feature["bins"] = bins
        feature["missing"] = {"points": points(missing_woe), "woe": missing_woe,
                              "count": int(counts[missing_row])}
        if kinds[c] == "categorical":
            unseen_woe = woe_of(optb, "categorical", ["\u0000unseen"])[0]
            feature["unseen"] = {"points": points(unseen_woe), "woe": unseen_woe}
        features.append(feature)
    return {
        "format": "iou-scorecard/1",
        "missing_values": MISSING_VALUES,
        "scaling": {**SCALING, "factor": factor, "offset": offset},
        "bands": bands(),
        "intercept": intercept,
        "base_points": offset - factor * intercept,
        "features": features,
    }


def scorecard_rows(card: dict, model, x: pd.DataFrame, kinds: dict):
    """Per row: bin label per feature (optbinning's own indices), total points summed in file
    order, and the regression's predict_proba."""
    binnings, lr = model
    labels = {}
    for c, optb in binnings.items():
        arr = x[c].to_numpy(dtype=float if kinds[c] == "numeric" else object)
        idx = optb.transform(arr, metric="indices", metric_missing="empirical")
        n_bins = len(optb.splits) + 1 if kinds[c] == "numeric" else len(optb.splits)
        labels[c] = ["U" if i < 0 else ("M" if i >= n_bins else str(int(i))) for i in idx]
    totals = []
    for r in range(len(x)):
        total = card["base_points"]
        for f in card["features"]:
            label = labels[f["name"]][r]
            total += f["missing"]["points"] if label == "M" else (
                f["unseen"]["points"] if label == "U" else f["bins"][int(label)]["points"])
        totals.append(total)
    pd_lib = predict_scorecard(model, x, kinds)
    factor, offset = scaling_constants()
    pd_score = 1.0 / (1.0 + np.exp((np.array(totals) - offset) / factor))
    gap = float(np.max(np.abs(pd_score - pd_lib)))
    assert gap < 1e-9, f"scorecard points disagree with the regression: {gap}"
    return labels, totals, pd_lib


# ---------------------------------------------------------------- lightgbm


def lgb_params(overrides: dict, seed: int) -> tuple[dict, int]:
    params = {**DEFAULT_LGB_PARAMS, **overrides}
    rounds = int(params.pop("num_boost_round"))
    params.update({"verbose": -1, "seed": seed, "deterministic": True, "force_col_wise": True,
                   "num_threads": 2})
    return params, rounds


def fit_lgb(m: np.ndarray, y: np.ndarray, names: list[str], cat_idx: list[int], params, rounds):
    ds = lgb.Dataset(m, label=y, feature_name=names, categorical_feature=cat_idx,
                     free_raw_data=False)
    return lgb.train(params, ds, num_boost_round=rounds)


# ---------------------------------------------------------------- cross-validation


def cross_validate(x, y, kinds, cats, args, params, rounds):
    names = list(x.columns)
    cat_idx = [i for i, c in enumerate(names) if kinds[c] == "categorical"]
    m = lgb_matrix(x, kinds, cats)
    results = {"scorecard": [], "lightgbm": []}
    for rep in range(args.repeats):
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=args.seed + rep)
        for train, test in folds.split(m, y):
            card = fit_scorecard(x.iloc[train], y[train], kinds, args.lr_c)
            p = predict_scorecard(card, x.iloc[test], kinds)
            results["scorecard"].append(metrics(y[test], p))
            booster = fit_lgb(m[train], y[train], names, cat_idx, params, rounds)
            results["lightgbm"].append(metrics(y[test], booster.predict(m[test])))
    summary = {}
    for model, folds in results.items():
        summary[model] = {k: float(np.mean([f[k] for f in folds])) for k in ("auc", "ks", "gini")}
        summary[model]["auc_std"] = float(np.std([f["auc"] for f in folds]))
    return summary


# ---------------------------------------------------------------- files


def write_json(path: str, value) -> None:
    with open(path, "w") as f:
        json.dump(value, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")


def write_expected(path, labels, totals, pd_sc, raw, pd_lgb, card) -> None:
    names = [f["name"] for f in card["features"]]
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["row", "sc_score", "sc_pd", "lgb_raw", "lgb_pd", *[f"bin:{n}" for n in names]])
        for r in range(len(totals)):
            w.writerow([r, repr(float(totals[r])), repr(float(pd_sc[r])), repr(float(raw[r])),
                        repr(float(pd_lgb[r])), *[labels[n][r] for n in names]])


def write_contrib(path, contrib, names) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["row", *names, "bias"])
        for r in range(min(CONTRIB_ROWS, len(contrib))):
            w.writerow([r, *[repr(float(v)) for v in contrib[r]]])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--bad", required=True, help="target value that marks a bad (default)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeats", type=int, default=3, help="CV shuffles averaged")
    ap.add_argument("--categorical", default="", help="columns to treat as categorical")
    ap.add_argument("--drop", default="", help="columns to ignore")
    ap.add_argument("--lgb-params", default="{}", help="JSON overrides of the LightGBM params")
    ap.add_argument("--lr-c", type=float, default=0.5, help="inverse L2 strength of the LR")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")

    split = lambda s: [c for c in s.split(",") if c]  # noqa: E731
    x, y, kinds = load(args.data, args.target, args.bad, split(args.categorical), split(args.drop))
    cats = categories_of(x, kinds)
    params, rounds = lgb_params(json.loads(args.lgb_params), args.seed)
    print(f"{os.path.basename(args.data)}: {len(y)} rows, {x.shape[1]} features "
          f"({sum(k == 'categorical' for k in kinds.values())} categorical), "
          f"bad rate {y.mean():.3f}")

    started = time.time()
    summary = cross_validate(x, y, kinds, cats, args, params, rounds)
    for model, s in summary.items():
        print(f"  {model:<9} 5-fold CV x{args.repeats}: AUC {s['auc']:.4f} (sd {s['auc_std']:.4f})"
              f"  KS {s['ks']:.4f}  Gini {s['gini']:.4f}")
    print(f"  cross-validation took {time.time() - started:.1f}s")

    os.makedirs(args.out, exist_ok=True)
    codes = {c: f"R{i + 1:02d}" for i, c in enumerate(x.columns)}
    names = list(x.columns)
    cat_idx = [i for i, c in enumerate(names) if kinds[c] == "categorical"]

    card_model = fit_scorecard(x, y, kinds, args.lr_c)
    card = export_scorecard(card_model, kinds, codes)
    labels, totals, pd_sc = scorecard_rows(card, card_model, x, kinds)

    m = lgb_matrix(x, kinds, cats)
    booster = fit_lgb(m, y, names, cat_idx, params, rounds)
    raw = booster.predict(m, raw_score=True)
    pd_lgb = booster.predict(m)
    contrib = booster.predict(m[:CONTRIB_ROWS], pred_contrib=True)

    features = {
        "format": "iou-features/1",
        "missing_values": MISSING_VALUES,
        "target": args.target,
        "bad": args.bad,
        "features": [{"name": c, "kind": kinds[c], "code": codes[c],
                      **({"categories": cats[c]} if kinds[c] == "categorical" else {})}
                     for c in names],
        "scaling": {**SCALING, "factor": scaling_constants()[0], "offset": scaling_constants()[1]},
        "bands": bands(),
    }
    write_json(os.path.join(args.out, "scorecard.json"), card)
    write_json(os.path.join(args.out, "lightgbm.json"), booster.dump_model())
    write_json(os.path.join(args.out, "features.json"), features)
    write_expected(os.path.join(args.out, "expected.csv"), labels, totals, pd_sc, raw, pd_lgb, card)
    write_contrib(os.path.join(args.out, "expected_contrib.csv"), contrib, names)
    write_json(os.path.join(args.out, "metrics.json"),
               {"data": os.path.basename(args.data), "rows": int(len(y)), "repeats": args.repeats,
                "seed": args.seed, "cv": summary, "lgb_params": params, "lgb_rounds": rounds,
                "lr_c": args.lr_c, "scorecard_features": [f["name"] for f in card["features"]]})
    print(f"  wrote {args.out}: scorecard ({len(card['features'])} features), "
          f"lightgbm ({rounds} trees)")


if __name__ == "__main__":
    main()
