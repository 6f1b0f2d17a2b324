#!/usr/bin/env python3
"""Compare amor's C2ST (build/tools/amor_c2st) with sbibm's scikit-learn C2ST.

The sklearn side is sbibm's `c2st` call reproduced verbatim in semantics (sbibm itself is not
required): z-score with the mean and unbiased std of X in float32, MLPClassifier(relu,
(10d, 10d), adam, max_iter=10000, random_state=seed), KFold(5, shuffle=True,
random_state=seed), cross_val_score accuracy, mean over folds.

Usage:
  python3 tools/c2st_compare.py [--amor build/tools/amor_c2st] [--sbibm /work/shared/sbibm]
                                [--quick] [--markdown]
Needs numpy and scikit-learn (pip install scikit-learn); prints one row per sample pair and
the largest |amor - sklearn|.
"""
import argparse
import bz2
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

try:
    from sklearn.model_selection import KFold, cross_val_score
    from sklearn.neural_network import MLPClassifier
except ImportError:  # pragma: no cover
    sys.exit("c2st_compare.py needs scikit-learn: pip install scikit-learn")


def sbibm_c2st(X, Y, seed=1, n_folds=5, scoring="accuracy", z_score=True):
    """sbibm/metrics/c2st.py, with torch's float32 mean / unbiased std done in numpy."""
    X = np.asarray(X, dtype=np.float32)
    Y = np.asarray(Y, dtype=np.float32)
    if z_score:
        mean = X.mean(axis=0, dtype=np.float32)
        std = X.std(axis=0, ddof=1, dtype=np.float32)
        X = (X - mean) / std
        Y = (Y - mean) / std
    ndim = X.shape[1]
    clf = MLPClassifier(activation="relu", hidden_layer_sizes=(10 * ndim, 10 * ndim),
                        max_iter=10000, solver="adam", random_state=seed)
    data = np.concatenate((X, Y))
    target = np.concatenate((np.zeros((X.shape[0],)), np.ones((Y.shape[0],))))
    shuffle = KFold(n_splits=n_folds, shuffle=True, random_state=seed)
    scores = cross_val_score(clf, data, target, cv=shuffle, scoring=scoring)
    return float(np.asarray(np.mean(scores)).astype(np.float32)), [float(s) for s in scores]


def read_sbibm_csv(path):
    opener = bz2.open if path.endswith(".bz2") else open
    with opener(path, "rt") as f:
        return np.loadtxt(f, delimiter=",", skiprows=1, ndmin=2)


def write_csv(path, a):
    header = ",".join(f"x{i + 1}" for i in range(a.shape[1]))
    np.savetxt(path, a, delimiter=",", header=header, comments="", fmt="%.9g")


def cases(sbibm_dir, quick):
    """(name, X, Y) pairs: Gaussians with known shifts, and sbibm reference posteriors against
    independent halves, shifted and rescaled copies of themselves."""
    rng = np.random.default_rng(20240611)
    n = 2000 if quick else 10000
    out = []
    for d, delta in [(2, 0.0), (2, 0.1), (2, 0.3), (5, 0.2), (10, 0.1), (10, 0.5)]:
        X = rng.standard_normal((n, d))
        Y = rng.standard_normal((n, d)) + delta
        out.append((f"N(0,I) vs N({delta}·1,I), d={d}", X, Y))

    def ref(task):
        return os.path.join(sbibm_dir, task, "num_observation_1",
                            "reference_posterior_samples.csv.bz2")

    h = n // 2  # reference vs (a transform of) the other half of the 10 000 samples
    if os.path.exists(ref("two_moons")):
        R = read_sbibm_csv(ref("two_moons"))[:n]
        out.append(("two_moons: ref vs ref + 0.02", R[:h], R[h:] + 0.02))
        out.append(("two_moons: ref vs 1.02·(ref − mean) + mean", R[:h],
                    1.02 * (R[h:] - R.mean(0)) + R.mean(0)))
    if os.path.exists(ref("slcp")):
        R = read_sbibm_csv(ref("slcp"))[:n]
        out.append(("slcp: ref vs other half", R[:h], R[h:]))
        out.append(("slcp: ref vs ref + 0.1·std", R[:h], R[h:] + 0.1 * R.std(0)))
    if os.path.exists(ref("gaussian_linear")):
        R = read_sbibm_csv(ref("gaussian_linear"))[:n]
        out.append(("gaussian_linear: ref vs ref + 0.1·std", R[:h], R[h:] + 0.1 * R.std(0)))
        out.append(("gaussian_linear: ref vs 1.2·(ref − mean) + mean", R[:h],
                    1.2 * (R[h:] - R.mean(0)) + R.mean(0)))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--amor", default=os.path.join(here, "..", "build", "tools", "amor_c2st"))
    ap.add_argument("--sbibm", default=os.environ.get(
        "AMOR_SBIBM_DIR", os.path.join(here, "..", "..", "shared", "sbibm")))
    ap.add_argument("--quick", action="store_true", help="2000 samples per set instead of 10000")
    ap.add_argument("--markdown", action="store_true", help="print a markdown table")
    ap.add_argument("--threads", type=int, default=0, help="amor_c2st --threads (0: all)")
    ap.add_argument("--only", default="", help="run only pairs whose name contains this")
    ap.add_argument("--sklearn-cache", default="",
                    help="JSON file of sklearn results by pair (read if present, then updated): "
                         "sklearn is the slow side, and its inputs are fixed by the seeds")
    args = ap.parse_args()
    if not os.path.exists(args.amor):
        sys.exit(f"amor_c2st not found at {args.amor}: cmake --build build --target amor_c2st")

    cache = {}
    if args.sklearn_cache and os.path.exists(args.sklearn_cache):
        with open(args.sklearn_cache) as f:
            cache = json.load(f)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, X, Y in cases(args.sbibm, args.quick):
            if args.only and args.only not in name:
                continue
            px, py = os.path.join(tmp, "x.csv"), os.path.join(tmp, "y.csv")
            write_csv(px, X)
            write_csv(py, Y)
            key = f"{name} | {X.shape[0]}/{Y.shape[0]}"
            if key in cache:
                sk, sk_folds, t_sk = cache[key]["score"], cache[key]["folds"], cache[key]["seconds"]
            else:
                t0 = time.time()
                sk, sk_folds = sbibm_c2st(X, Y)
                t_sk = time.time() - t0
                if args.sklearn_cache:
                    cache[key] = dict(score=sk, folds=sk_folds, seconds=t_sk)
                    with open(args.sklearn_cache, "w") as f:
                        json.dump(cache, f, indent=1)
            cmd = [args.amor, px, py, "--threads", str(args.threads)]
            res = json.loads(subprocess.run(cmd, check=True, capture_output=True,
                                            text=True).stdout)
            rows.append(dict(name=name, n=f"{X.shape[0]}/{Y.shape[0]}", d=X.shape[1],
                             sklearn=sk, amor=res["score"], diff=res["score"] - sk,
                             t_sk=t_sk, t_amor=res["seconds"], epochs=res["fold_epochs"],
                             sk_folds=sk_folds, amor_folds=res["fold_scores"]))
            r = rows[-1]
            if not args.markdown:
                print(f"{name:45s} n={r['n']:11s} sklearn={sk:.4f} amor={r['amor']:.4f} "
                      f"diff={r['diff']:+.4f}  t_sklearn={t_sk:6.1f}s t_amor={r['t_amor']:6.1f}s",
                      flush=True)
    worst = max(abs(r["diff"]) for r in rows)
    if args.markdown:
        print("| pair | n (X/Y) | d | sklearn | amor | amor − sklearn | sklearn s | amor s |")
        print("|---|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['name']} | {r['n']} | {r['d']} | {r['sklearn']:.4f} | {r['amor']:.4f} | "
                  f"{r['diff']:+.4f} | {r['t_sk']:.1f} | {r['t_amor']:.1f} |")
    print(f"largest |amor - sklearn| = {worst:.4f} over {len(rows)} pairs "
          f"({'within' if worst <= 0.02 else 'OUTSIDE'} the 0.02 target)")
    return 0 if worst <= 0.02 else 1


if __name__ == "__main__":
    sys.exit(main())
