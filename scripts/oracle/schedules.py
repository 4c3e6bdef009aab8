"""Independent oracle for money's repayment schedules and their IRR-method APR.

Writes crates/money/tests/data/schedules.json: a few hundred plans (every method, principals
from 0.01 to 10,000,000,000.00 yuan, 1 to 24 periods, per-period and annual rates), each with
its periods to the fen, its total cost and its APR. The Rust tests (crates/money/tests/oracle.rs
and the `iou plan` CLI tests) check the Rust code against this file.

Nothing here is derived from the Rust code; it follows the written rules (DESIGN.md section 3 and
the top comment of crates/money/src/schedule.rs):
- every computed amount is rounded half-up to the fen; the principal split (flat-fee and
  equal-principal) rounds down, the remainder going to the last period;
- flat-fee: fee each period = principal x period rate; no interest;
- equal-principal: interest = opening balance x period rate;
- annuity: payment = numpy-financial's `pmt` rounded half-up (P / n when the rate is 0; exact
  fractions settle a payment that lies within the float's error of a half fen);
  interest = opening balance x period rate; principal = payment - interest, at least 0 and at
  most the balance left; the last period pays whatever principal remains;
- the period rate is exact: `--fee-rate X` means X per period, `--annual-rate Y` means Y / 12
  per period (7% / 12 is kept as a fraction, never rounded);
- APR = numpy-financial's `irr` of (+principal, -payment 1, ..., -payment n) x 12.

Regenerate (from the repository root):
    python3 -m venv /tmp/oracle-venv
    /tmp/oracle-venv/bin/pip install -r scripts/oracle/requirements.txt
    /tmp/oracle-venv/bin/python scripts/oracle/schedules.py crates/money/tests/data/schedules.json
"""

import itertools
import json
import math
import sys
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np
import numpy_financial as npf

METHODS = ["flat-fee", "annuity", "equal-principal"]

# Principals in yuan, as typed on the command line.
PRINCIPALS = [
    "0.01", "0.13", "0.99", "1.00", "100.00", "1234.56",
    "9999.99", "10000.00", "12345.67", "99999.99", "250000.00", "1000000.00",
]
PERIODS = [1, 2, 3, 6, 9, 12, 18, 24]
# (flag, rate text): per-period rates and nominal annual rates (charged as a twelfth a month).
# A few are written as fractions, which the CLI accepts as well as percentages.
RATES = [
    ("fee-rate", "0%"), ("fee-rate", "0.3%"), ("fee-rate", "0.005"), ("fee-rate", "0.6%"),
    ("fee-rate", "0.75%"), ("fee-rate", "1%"),
    ("annual-rate", "7%"), ("annual-rate", "0.12"), ("annual-rate", "15%"),
    ("annual-rate", "18%"), ("annual-rate", "24%"), ("annual-rate", "36%"),
]
# Cases picked by hand for what they exercise, on top of the grid.
EXTRA_CASES = [
    ("flat-fee", "10000.00", 12, "fee-rate", "0.6%"),  # the Baitiao example: APR 13.0342%
    ("annuity", "42.00", 12, "annual-rate", "7%"),  # 4200 fen x 7%/12 = 24.5 fen: an exact half
    ("equal-principal", "42.00", 3, "annual-rate", "7%"),
    ("annuity", "0.13", 2, "fee-rate", "0%"),  # 6.5 fen payment: an exact half at rate 0
    ("annuity", "0.01", 2, "fee-rate", "0%"),  # payment rounds up to the whole principal
    ("annuity", "0.13", 24, "fee-rate", "0%"),  # payment 1 fen, the balance runs out early
    ("flat-fee", "0.01", 24, "annual-rate", "12%"),
    ("annuity", "0.01", 24, "annual-rate", "36%"),
    ("equal-principal", "0.01", 24, "annual-rate", "36%"),
    ("flat-fee", "10000000000.00", 24, "fee-rate", "1%"),  # the largest accepted principal
    ("annuity", "10000000000.00", 24, "annual-rate", "36%"),
    ("equal-principal", "10000000000.00", 24, "annual-rate", "7%"),
    ("annuity", "10000000000.00", 24, "fee-rate", "1000%"),  # the largest accepted rate
    ("annuity", "1.00", 24, "fee-rate", "1000%"),
    ("flat-fee", "9999.99", 24, "annual-rate", "1000%"),
    ("annuity", "100.00", 3, "fee-rate", "0.0001%"),  # the finest rate: one ppm
    # Annuities whose exact payment is a whole fen and a half, which a float cannot round.
    ("annuity", "1.00", 1, "fee-rate", "0.005"),
    ("annuity", "6.00", 1, "annual-rate", "7%"),
    ("annuity", "10015.00", 2, "fee-rate", "0.3%"),
    ("annuity", "2507.50", 2, "fee-rate", "0.6%"),
    ("annuity", "7522.50", 2, "fee-rate", "0.6%"),
    ("annuity", "14442.00", 2, "annual-rate", "7%"),
    ("annuity", "1886272.50", 3, "fee-rate", "0.6%"),
    ("annuity", "26071494.00", 3, "annual-rate", "7%"),
    ("annuity", "121809.00", 3, "annual-rate", "18%"),
    ("annuity", "1912.75", 3, "annual-rate", "24%"),
    ("annuity", "2091813.50", 4, "annual-rate", "36%"),
    ("annuity", "255050250.50", 5, "fee-rate", "1%"),
    ("annuity", "8114214592.40", 6, "annual-rate", "15%"),
]

PERIODS_PER_YEAR = 12
# Annuity payments whose rounding the float could not decide (see `annuity_payment`).
SETTLED_EXACTLY = []


def fen_of_yuan(text):
    """`"1234.56"` -> 123456, exactly."""
    fen = Decimal(text) * 100
    assert fen == fen.to_integral_value(), text
    return int(fen)


def period_rate(flag, text):
    """The exact period rate for a rate flag, as a Fraction."""
    rate = Fraction(text[:-1]) / 100 if text.endswith("%") else Fraction(text)
    return rate if flag == "fee-rate" else rate / PERIODS_PER_YEAR


def half_up(x):
    """A non-negative Fraction rounded half-up to a whole number of fen."""
    assert x >= 0
    return math.floor(x + Fraction(1, 2))


def annuity_payment(principal_fen, periods, rate):
    """numpy-financial's payment, rounded half-up to the fen with the decimal module.

    A float cannot always tell on which side of a half fen the payment lies: exact halves occur
    (2507.50 yuan over 2 periods at 0.6% pays exactly 1265.045 yuan), and at tiny rates `pmt`
    loses digits to cancellation in `(1+r)^n - 1` (about 1e-10 relative at 1 ppm a year, a whole
    fen on ten billion yuan). Where the float lies within twice its own error (measured against
    the exact `P r (1+r)^n / ((1+r)^n - 1)` in fractions) of a half fen, the exact fraction
    settles the rounding.
    """
    payment = Decimal(float(-npf.pmt(float(rate), periods, principal_fen)))
    exact = exact_annuity_payment(principal_fen, periods, rate)
    error = abs(payment - Decimal(exact.numerator) / Decimal(exact.denominator))
    assert error <= payment * Decimal("1e-8") + Decimal("1e-9"), (principal_fen, periods, rate)
    nearest_half = payment.to_integral_value(rounding=ROUND_FLOOR) + Decimal("0.5")
    if abs(payment - nearest_half) <= 2 * error + Decimal("1e-9"):
        SETTLED_EXACTLY.append((principal_fen, periods, rate))
        return half_up(exact)
    return int(payment.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def exact_annuity_payment(principal_fen, periods, rate):
    if rate == 0:
        return Fraction(principal_fen, periods)
    growth = (1 + rate) ** periods
    return principal_fen * rate * growth / (growth - 1)


def split_down(principal_fen, periods):
    share = principal_fen // periods
    return [share] * (periods - 1) + [principal_fen - share * (periods - 1)]


def flat_fee(principal_fen, periods, rate):
    fee = half_up(principal_fen * rate)
    return [(p, fee, 0) for p in split_down(principal_fen, periods)]


def equal_principal(principal_fen, periods, rate):
    rows, balance = [], principal_fen
    for p in split_down(principal_fen, periods):
        rows.append((p, 0, half_up(balance * rate)))
        balance -= p
    return rows


def annuity(principal_fen, periods, rate):
    payment = annuity_payment(principal_fen, periods, rate)
    rows, balance = [], principal_fen
    for n in range(1, periods + 1):
        interest = half_up(balance * rate)
        p = balance if n == periods else min(max(payment - interest, 0), balance)
        rows.append((p, 0, interest))
        balance -= p
    assert balance == 0
    return rows


SCHEDULES = {"flat-fee": flat_fee, "annuity": annuity, "equal-principal": equal_principal}


def apr(principal_fen, payments):
    """Monthly IRR of (+principal, -payments) times 12, by numpy-financial."""
    flows = np.array([principal_fen] + [-p for p in payments], dtype=float)
    monthly = npf.irr(flows)
    assert not math.isnan(monthly), (principal_fen, payments)
    return float(monthly) * PERIODS_PER_YEAR


def case(method, principal, periods, flag, rate_text):
    principal_fen = fen_of_yuan(principal)
    rate = period_rate(flag, rate_text)
    rows = SCHEDULES[method](principal_fen, periods, rate)
    assert sum(p for p, _, _ in rows) == principal_fen
    assert all(p >= 0 for p, _, _ in rows)
    payments = [p + f + i for p, f, i in rows]
    return {
        "method": method,
        "principal": principal,
        "principal_fen": principal_fen,
        "periods_count": periods,
        "rate_flag": flag,
        "rate": rate_text,
        "periods": [
            {"n": n, "principal_fen": p, "fee_fen": f, "interest_fen": i, "payment_fen": p + f + i}
            for n, (p, f, i) in enumerate(rows, start=1)
        ],
        "total_cost_fen": sum(f + i for _, f, i in rows),
        "apr": apr(principal_fen, payments),
    }


def grid():
    """Every method x rate x period count, each with one principal: for a given method, the 12
    rates of one period count get all 12 principals, and the 8 period counts of one rate get 8
    different ones."""
    assert len(PRINCIPALS) == len(RATES) == 12 and len(PERIODS) == 8
    for (m, method), (r, (flag, rate)), (k, periods) in itertools.product(
        enumerate(METHODS), enumerate(RATES), enumerate(PERIODS)
    ):
        yield method, PRINCIPALS[(r + 5 * k + 7 * m) % len(PRINCIPALS)], periods, flag, rate


def write(cases, out):
    out.write("{\n")
    out.write('  "about": "Oracle cases for money::schedule, by numpy-financial; see README.md",\n')
    out.write(f'  "numpy": "{np.__version__}",\n')
    out.write(f'  "numpy_financial": "{npf.__version__}",\n')
    out.write('  "cases": [\n')
    out.write(",\n".join("    " + json.dumps(c, separators=(", ", ": ")) for c in cases))
    out.write("\n  ]\n}\n")


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "crates/money/tests/data/schedules.json"
    seen, cases = set(), []
    for spec in itertools.chain(grid(), EXTRA_CASES):
        if spec not in seen:
            seen.add(spec)
            cases.append(case(*spec))
    with open(path, "w", encoding="utf-8") as out:
        write(cases, out)
    print(
        f"wrote {len(cases)} cases to {path}; {len(SETTLED_EXACTLY)} annuity payments were"
        " settled by exact fractions",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
