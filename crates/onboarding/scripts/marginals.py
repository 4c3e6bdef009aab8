#!/usr/bin/env python3
"""Derives the class-conditional marginal distributions of credit_data_es that the onboarding
testkit samples applicants' credit files from.

For each class (good / bad) and each column: a categorical column (or a numeric one with at most
30 distinct values) becomes value frequencies; any other numeric column becomes 21 quantiles
(0%, 5%, ..., 100%) that the sampler interpolates between. Missing cells are counted as their
own share. The output is deterministic (sorted keys, fixed rounding).

Run from the repository root:
    python3 crates/onboarding/scripts/marginals.py ../shared/data/credit_data_es.csv \
        > crates/onboarding/data/credit_data_es_marginals.json
"""

import csv
import json
import sys

NUMERIC = ["Seniority", "Time", "Age", "Expenses", "Income", "Assets", "Debt", "Amount", "Price"]
CATEGORICAL = ["Home", "Marital", "Records", "Job"]
DISCRETE_MAX = 30
QUANTILES = [i / 20 for i in range(21)]


def quantile(sorted_values, q):
    """Linear interpolation between closest ranks (numpy's default)."""
    position = q * (len(sorted_values) - 1)
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def column(rows, name):
    present = [r[name] for r in rows if r[name] not in ("", "NA")]
    missing = (len(rows) - len(present)) / len(rows)
    if name in CATEGORICAL:
        values = sorted(set(present))
        counts = {v: present.count(v) / len(rows) for v in values}
        return {"kind": "categories", "missing": round(missing, 6),
                "values": [[v, round(counts[v], 6)] for v in values]}
    numbers = sorted(float(v) for v in present)
    distinct = sorted(set(numbers))
    if len(distinct) <= DISCRETE_MAX:
        return {"kind": "discrete", "missing": round(missing, 6),
                "values": [[d, round(numbers.count(d) / len(rows), 6)] for d in distinct]}
    return {"kind": "quantiles", "missing": round(missing, 6),
            "quantiles": [round(quantile(numbers, q), 4) for q in QUANTILES]}


def main(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    out = {"source": "credit_data_es.csv", "rows": len(rows),
           "bad_rate": round(sum(r["Status"] == "bad" for r in rows) / len(rows), 6),
           "classes": {}}
    for status in ("good", "bad"):
        subset = [r for r in rows if r["Status"] == status]
        out["classes"][status] = {name: column(subset, name) for name in NUMERIC + CATEGORICAL}
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
