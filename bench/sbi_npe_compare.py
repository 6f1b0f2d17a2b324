#!/usr/bin/env python3
"""The `sbi` package's side of bench/run_sbi_compare.sh: NPE training and posterior sampling.

Trains sbi's NPE on the (θ, x) pairs of a CSV written by `amor simulate` (so both libraries fit
the same data), with the estimator named (MAF by default, sbi's default; or NSF) and sbi's
training defaults (Adam 5e-4, batch 200, 10 % validation, stop after 20 epochs without
improvement, clip 5), then for each observation times `posterior.sample((n,), x=x_o)` (which
includes sbi's rejection of samples outside the prior's support) and writes the samples as CSV
for amor's C2ST (tools/amor_c2st), so both sides are scored by the same C2ST.

Run from outside the repository root (the repository's own sbi/ folder would shadow the sbi
package):  cd /tmp && python3 /path/to/bench/sbi_npe_compare.py --sims sims.csv ...

Prints one JSON object: versions, thread count, training seconds (wall and process CPU) and
epochs, per-observation sampling seconds (wall and CPU), the samples written.
"""
import argparse
import contextlib
import csv
import json
import os
import sys
import time


def read_table(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], [[float(v) for v in r] for r in rows[1:]]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sims", required=True, help="CSV from `amor simulate` (θ columns, then x columns)")
    p.add_argument("--theta-dim", type=int, required=True)
    p.add_argument("--prior-low", type=float, nargs="+", help="box prior lower bounds")
    p.add_argument("--prior-high", type=float, nargs="+", help="box prior upper bounds")
    p.add_argument("--prior-normal-var", type=float,
                   help="instead of a box: prior N(0, v·I) (gaussian_linear: 0.1)")
    p.add_argument("--observations", nargs="+", required=True, help="one-row CSVs of x_o (sbibm observation.csv)")
    p.add_argument("--estimator", default="maf", help="sbi density_estimator name: maf (default) or nsf")
    p.add_argument("--num-samples", type=int, default=10000)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="directory for samples_K.csv")
    a = p.parse_args()

    here = os.path.abspath(os.getcwd())
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    if here == repo:
        sys.exit("sbi_npe_compare.py: run from outside the repository root (its sbi/ folder shadows the package)")

    import torch
    import sbi
    from sbi.inference import NPE
    from sbi.utils import BoxUniform

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    header, rows = read_table(a.sims)
    data = torch.tensor(rows, dtype=torch.float32)
    theta, x = data[:, : a.theta_dim], data[:, a.theta_dim:]
    finite = torch.isfinite(x).all(dim=1)
    theta, x = theta[finite], x[finite]
    if a.prior_normal_var is not None:
        from torch.distributions import MultivariateNormal
        prior = MultivariateNormal(torch.zeros(a.theta_dim), a.prior_normal_var * torch.eye(a.theta_dim))
    elif a.prior_low and a.prior_high:
        prior = BoxUniform(low=torch.tensor(a.prior_low), high=torch.tensor(a.prior_high))
    else:
        sys.exit("sbi_npe_compare.py: give --prior-low and --prior-high, or --prior-normal-var")

    inference = NPE(prior=prior, density_estimator=a.estimator, show_progress_bars=False)
    t0, c0 = time.perf_counter(), time.process_time()
    inference.append_simulations(theta, x)
    with contextlib.redirect_stdout(sys.stderr):  # sbi prints "converged after N epochs": keep stdout JSON
        estimator = inference.train()  # sbi's defaults: batch 200, lr 5e-4, val 0.1, patience 20, clip 5
    train_s, train_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    epochs = inference._summary["epochs_trained"][-1] if "epochs_trained" in inference._summary else None
    best_val = inference._summary.get("best_validation_loss", [None])[-1]
    posterior = inference.build_posterior(estimator)

    os.makedirs(a.out, exist_ok=True)
    names = header[: a.theta_dim]
    per_obs = []
    for k, path in enumerate(a.observations, start=1):
        _, obs_rows = read_table(path)
        x_o = torch.tensor(obs_rows[0], dtype=torch.float32)
        torch.manual_seed(a.seed + k)
        t0, c0 = time.perf_counter(), time.process_time()
        with contextlib.redirect_stdout(sys.stderr):
            s = posterior.sample((a.num_samples,), x=x_o, show_progress_bars=False)  # as a user calls it
        sample_s, sample_cpu_s = time.perf_counter() - t0, time.process_time() - c0
        out = os.path.join(a.out, f"samples_{k}.csv")
        with open(out, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(names)
            w.writerows(s.numpy().astype(float).tolist())
        per_obs.append({"observation": path, "sampling_seconds": sample_s, "sampling_cpu_seconds": sample_cpu_s,
                        "samples": out})

    print(json.dumps({
        "sbi_version": sbi.__version__,
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "estimator": a.estimator,
        "num_training_rows": int(theta.shape[0]),
        "training_seconds": train_s,
        "training_cpu_seconds": train_cpu_s,
        "epochs": epochs,
        "best_validation_loss": best_val,
        "observations": per_obs,
    }, indent=2))


if __name__ == "__main__":
    main()
