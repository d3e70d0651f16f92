#!/usr/bin/python3
"""Reference table for ml/test/ks-2samp.test.ts: scipy.stats.ks_2samp(a, b, method="auto").

Run with Debian's scipy (apt-get install -y python3-scipy):

    /usr/bin/python3 ml/scripts/ks-reference.py

Writes ml/test/fixtures/ks-reference.json: every input value (rounded, so ties occur as they do in
stored sensor data), scipy's statistic and p-value, and which method scipy used. Large samples
(> 10,000 values, the asymptotic path) are stored once under "samples" and referenced by name.
Seeds are fixed, so re-running reproduces the file byte for byte on the same scipy.
"""
import json
import os
import warnings

import numpy as np
import scipy
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "test", "fixtures", "ks-reference.json")


def sample(seed, n, loc=0.0, scale=1.0, decimals=3, kind="normal"):
    rng = np.random.default_rng(seed)
    if kind == "normal":
        x = rng.normal(loc, scale, n)
    elif kind == "uniform":
        x = rng.uniform(loc, loc + scale, n)
    elif kind == "integers":
        x = rng.integers(int(loc), int(loc + scale), n).astype(float)
    else:
        raise ValueError(kind)
    return [float(v) for v in np.round(x, decimals)]


samples = {
    "big_a": sample(101, 10001),
    "big_b": sample(102, 9000),
    "big_c": sample(103, 9000, loc=0.05),
    "big_d": sample(104, 10000),
}

cases = []


def add(name, a, b):
    va = samples[a] if isinstance(a, str) else a
    vb = samples[b] if isinstance(b, str) else b
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = stats.ks_2samp(np.array(va), np.array(vb), method="auto")
    exact = max(len(va), len(vb)) <= 10000 and not any("Switching to method=asymp" in str(w.message) for w in caught)
    case = {
        "name": name,
        "a": a,
        "b": b,
        "n1": len(va),
        "n2": len(vb),
        "statistic": float(res.statistic),
        "pvalue": float(res.pvalue),
        "method": "exact" if exact else "asymp",
    }
    if not exact:
        m, n = sorted([float(len(va)), float(len(vb))], reverse=True)
        case["kstwo_n"] = int(np.round(m * n / (m + n)))
    cases.append(case)


# Exact path, equal sizes (scipy's _compute_prob_outside_square).
add("n=5 vs 5, disjoint ranges", [1.0, 2.0, 3.0, 4.0, 5.0], [6.0, 7.0, 8.0, 9.0, 10.0])
add("n=5 vs 5, interleaved", sample(1, 5), sample(2, 5))
add("n=20 vs 20, shifted by 1", sample(3, 20), sample(4, 20, loc=1.0))
add("n=30 vs 30, same distribution", sample(5, 30), sample(6, 30))
add("n=100 vs 100, shifted by 0.5", sample(7, 100), sample(8, 100, loc=0.5))
add("n=500 vs 500, integer ties", sample(9, 500, loc=0, scale=20, kind="integers"), sample(10, 500, loc=1, scale=20, kind="integers"))
add("n=2000 vs 2000, scale 1.1", sample(11, 2000), sample(12, 2000, scale=1.1))
add("n=1 vs 1", [1.0], [2.0])
add("identical samples", [1.5, 2.5, 3.5, 4.5], [1.5, 2.5, 3.5, 4.5])
# Exact path, unequal sizes (_compute_outer_prob_inside_method).
add("n=5 vs 7, disjoint", [1.0, 2.0, 3.0, 4.0, 5.0], [6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0])
add("n=5 vs 7, overlapping", sample(13, 5), sample(14, 7, loc=0.3))
add("n=7 vs 5, overlapping (order swapped)", sample(14, 7, loc=0.3), sample(13, 5))
add("n=10 vs 12, integer ties", sample(15, 10, loc=0, scale=5, kind="integers"), sample(16, 12, loc=0, scale=5, kind="integers"))
add("n=3 vs 1000", sample(17, 3, loc=1.0), sample(18, 1000))
add("n=50 vs 60, uniform vs normal", sample(19, 50, loc=-1, scale=2, kind="uniform"), sample(20, 60))
add("n=300 vs 250, same distribution", sample(21, 300), sample(22, 250))
add("n=300 vs 250, shifted by 0.3", sample(23, 300), sample(24, 250, loc=0.3))
add("n=1000 vs 800, one decimal (ties)", sample(25, 1000, decimals=1), sample(26, 800, loc=0.1, decimals=1))
add("n=2000 vs 1999, same distribution", sample(27, 2000), sample(28, 1999))
add("n=2000 vs 1999, shifted by 0.1", sample(29, 2000), sample(30, 1999, loc=0.1))
add("n=4000 vs 6000, gcd 2000", sample(31, 4000, decimals=2), sample(32, 6000, loc=0.05, decimals=2))
add("n=10000 vs 9000 (largest exact)", "big_d", "big_b")
# Asymptotic path (kstwo.sf with n = round(n1*n2/(n1+n2))), each hitting a different branch.
add("n=10001 vs 9000, same distribution", "big_a", "big_b")
add("n=10001 vs 9000, shifted by 0.05", "big_a", "big_c")
add("n=10001 vs 5 (kstwo n=5)", "big_a", sample(33, 5, loc=0.2))
add("n=10001 vs 40, shifted by 0.3 (kstwo n=40)", "big_a", sample(34, 40, loc=0.3))
add("n=10001 vs 60, same distribution (kstwo n=60)", "big_a", sample(35, 60))
add("n=10001 vs 100, shifted by 1 (kstwo n=99)", "big_a", sample(36, 100, loc=1.0))
add("n=10001 vs 150 (kstwo n=148)", "big_a", sample(37, 150, loc=0.1))
add("n=10001 vs 3000, shifted by 0.5", "big_a", sample(38, 3000, loc=0.5))

doc = {
    "generator": "ml/scripts/ks-reference.py",
    "scipy": scipy.__version__,
    "numpy": np.__version__,
    "call": 'scipy.stats.ks_2samp(a, b, method="auto")',
    "samples": samples,
    "cases": cases,
}
with open(OUT, "w") as f:
    json.dump(doc, f, separators=(",", ":"))
    f.write("\n")
print(f"wrote {len(cases)} cases to {os.path.relpath(OUT)} ({os.path.getsize(OUT)} bytes)")
for c in cases:
    print(f'{c["method"]:6} {c["n1"]:>6} {c["n2"]:>6} D={c["statistic"]:.6f} p={c["pvalue"]:.6e}  {c["name"]}')
