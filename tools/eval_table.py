#!/usr/bin/env python3
"""Turn scripts/eval.sh's metrics.json files into the NPE/NLE table of docs/results.md.

Reads every OUT/<task>/<method>/<budget>/metrics.json under the eval directory (what
`amor evaluate` writes), and the sbibm paper's per-observation C2ST
(shared/sbibm/published_results/main_paper.csv; gaussian_mixture from the v1.1.0 rerun,
gaussian_mixture_rerun.csv, as the issue's thresholds do). Prints a Markdown table, one row per
task × method × budget: mean C2ST over the observations with its spread (standard deviation,
min–max), the per-observation values, the published mean ± sd of the same algorithm and budget,
the acceptance threshold where one is set, training time (epochs), sampling time per 10 000
draws, and the invalid simulations dropped.

With --update FILE, the table replaces what lies between the lines
    <!-- eval_table:begin -->   and   <!-- eval_table:end -->
in FILE (docs/results.md) and nothing else, so hand-written sections (the Simformer rows) stay.

Usage:
  python3 tools/eval_table.py [--eval-dir build/eval] [--sbibm ../shared/sbibm]
                              [--update docs/results.md]
Standard library only.
"""
import argparse
import csv
import json
import math
import os
import statistics
import sys

BEGIN = "<!-- eval_table:begin -->"
END = "<!-- eval_table:end -->"

# Row order: tasks as in the issue, NPE before NLE, 1e3 before 1e4.
TASK_ORDER = ["two_moons", "gaussian_linear", "gaussian_mixture", "slcp", "sir"]
METHOD_ORDER = ["npe", "nle", "simformer"]
METHOD_LABEL = {"npe": "NPE (NSF)", "nle": "NLE (MAF + slice MCMC)"}
PUBLISHED_ALGORITHM = {"npe": "NPE", "nle": "NLE"}
# The Simformer is not in the sbibm paper: its published column is the Simformer paper's
# undirected VE model (../shared/reference/simformer.md, Fig. 4a), a random-forest C2ST, so
# indicative only (marked "RF").
SIMFORMER_PUBLISHED = {
    ("gaussian_linear", 1000): 0.540, ("gaussian_linear", 10000): 0.507,
    ("gaussian_mixture", 1000): 0.572, ("gaussian_mixture", 10000): 0.515,
    ("two_moons", 1000): 0.611, ("two_moons", 10000): 0.525,
    ("slcp", 1000): 0.831, ("slcp", 10000): 0.646,
}
BUDGET_LABEL = {1000: "10³", 10000: "10⁴", 100000: "10⁵"}

# Issue #5's acceptance: published NPE / NLE mean + 0.03 (scripts/eval.sh holds the same list).
THRESHOLDS = {
    ("two_moons", "npe", 10000): 0.64,
    ("gaussian_linear", "npe", 10000): 0.58,
    ("gaussian_mixture", "npe", 10000): 0.65,
    ("slcp", "npe", 10000): 0.93,
    ("sir", "npe", 10000): 0.71,
    ("two_moons", "nle", 10000): 0.74,
    ("slcp", "nle", 10000): 0.80,
    # Issue #6's acceptance for the Simformer (undirected, VE).
    ("two_moons", "simformer", 10000): 0.56,
    ("gaussian_linear", "simformer", 10000): 0.55,
    ("gaussian_mixture", "simformer", 10000): 0.57,
    ("slcp", "simformer", 10000): 0.72,
}


def method_label(m):
    """NPE/NLE by name; the Simformer with its recipe, which eval.sh cuts down per run."""
    method = m["method"]
    if method != "simformer":
        return METHOD_LABEL.get(method, method)
    cfg = m.get("config", {}).get("method", {})
    tr, sa = cfg.get("training", {}), cfg.get("sampling", {})
    parts = [cfg.get("attention", "undirected"), cfg.get("sde", {}).get("type", "ve").upper()]
    if "steps" in tr or "batch_size" in tr:
        parts.append(f"{tr.get('steps', 'default')} steps × batch {tr.get('batch_size', 1000)}")
    parts.append(f"{sa.get('method', 'euler_maruyama')} {sa.get('steps', 500)}")
    return "Simformer (" + ", ".join(str(p) for p in parts) + ")"


def default_sbibm_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("AMOR_SBIBM_DIR", os.path.join(here, "..", "..", "shared", "sbibm"))


def read_published(sbibm_dir):
    """{(task, algorithm, budget): [C2ST per observation]}."""
    out = {}
    root = os.path.join(sbibm_dir, "published_results")
    for name, only_task, skip_task in (("main_paper.csv", None, "gaussian_mixture"),
                                       ("gaussian_mixture_rerun.csv", "gaussian_mixture", None)):
        path = os.path.join(root, name)
        if not os.path.exists(path):
            sys.exit(f"eval_table.py: {path} not found (pass --sbibm)")
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                if only_task and r["task"] != only_task:
                    continue
                if skip_task and r["task"] == skip_task:
                    continue
                budget = {v: k for k, v in BUDGET_LABEL.items()}.get(r["num_simulations"])
                if budget is None or not r["C2ST"]:
                    continue
                out.setdefault((r["task"], r["algorithm"], budget), []).append(float(r["C2ST"]))
    return out


def read_cells(eval_dir):
    cells = []
    for task in sorted(os.listdir(eval_dir)) if os.path.isdir(eval_dir) else []:
        if not os.path.isdir(os.path.join(eval_dir, task)):
            continue  # e.g. scripts/eval.sh's lock file
        for method in sorted(os.listdir(os.path.join(eval_dir, task))):
            mdir = os.path.join(eval_dir, task, method)
            if not os.path.isdir(mdir):
                continue
            for budget in sorted(os.listdir(mdir)):
                path = os.path.join(mdir, budget, "metrics.json")
                if os.path.exists(path):
                    with open(path) as f:
                        cells.append(json.load(f))
    return cells


def sort_key(m):
    t = m["task"]
    return (TASK_ORDER.index(t) if t in TASK_ORDER else len(TASK_ORDER), t,
            METHOD_ORDER.index(m["method"]) if m["method"] in METHOD_ORDER else 9, m["num_simulations"])


def fmt_seconds(s):
    if s < 1:
        return f"{s:.2f} s"
    if s < 100:
        return f"{s:.1f} s"
    return f"{s:.0f} s"


def observation_list(ks):
    ks = sorted(ks)
    if ks == list(range(ks[0], ks[-1] + 1)) and len(ks) > 1:
        return f"{ks[0]}–{ks[-1]}"
    return ",".join(str(k) for k in ks)


def spread(values):
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return sd, min(values), max(values)


def row(m, published):
    task, method, budget = m["task"], m["method"], int(m["num_simulations"])
    obs = m["observations"]
    scores = [o["c2st"] for o in obs]
    mean = sum(scores) / len(scores)
    sd, lo, hi = spread(scores)
    per_obs = " ".join(f"{s:.3f}".lstrip("0") for s in scores)
    pub = published.get((task, PUBLISHED_ALGORITHM.get(method, method.upper()), budget))
    if method == "simformer":
        ref = SIMFORMER_PUBLISHED.get((task, budget))
        pub_text = f"{ref:.3f} (RF)" if ref is not None else "–"
    elif pub:
        psd, _, _ = spread(pub)
        pub_text = f"{sum(pub) / len(pub):.3f} ± {psd:.3f}"
    else:
        pub_text = "–"
    limit = THRESHOLDS.get((task, method, budget))
    if limit is None:
        check = ""
    else:
        check = f"≤ {limit:.2f}: " + ("**ok**" if mean <= limit and len(scores) == 10 else
                                      ("ok on these obs." if mean <= limit else "**above**"))
    tr = m["training"]
    train = fmt_seconds(tr["seconds"])
    if tr.get("cpu_seconds"):
        train += f" (CPU {fmt_seconds(tr['cpu_seconds'])})"
    if tr.get("epochs"):
        train += f", {tr['epochs']} epochs"
    elif tr.get("steps"):
        train += f", {tr['steps']} steps"
    if tr.get("interrupted"):
        train += ", interrupted"
    times = sorted(o["sampling_seconds"] for o in obs)
    med = statistics.median(times)
    sampling = fmt_seconds(med) if times[0] == times[-1] else f"{fmt_seconds(med)} ({fmt_seconds(times[0])}–{fmt_seconds(times[-1])})"
    invalid = m.get("num_invalid_simulations", 0)
    return (f"| {task} | {method_label(m)} | {BUDGET_LABEL.get(budget, budget)} | "
            f"{observation_list([o['num_observation'] for o in obs])} | **{mean:.3f}** ± {sd:.3f} "
            f"({lo:.3f}–{hi:.3f}) | {per_obs} | {pub_text} | {check} | {train} | {sampling} | {invalid} |")


def table(cells, published):
    lines = [
        "| task | method | sims | obs | mean C2ST ± sd (min–max) | per observation | published ± sd "
        "| threshold | train time | sampling / 10k (median, range) | invalid dropped |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in sorted(cells, key=sort_key):
        lines.append(row(m, published))
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    p.add_argument("--eval-dir", default=os.path.join(here, "..", "build", "eval"))
    p.add_argument("--sbibm", default=default_sbibm_dir())
    p.add_argument("--update", metavar="FILE", help="replace the marked table in FILE (docs/results.md)")
    a = p.parse_args()
    cells = read_cells(a.eval_dir)
    if not cells:
        sys.exit(f"eval_table.py: no metrics.json under {a.eval_dir} (run scripts/eval.sh)")
    text = table(cells, read_published(a.sbibm))
    if not a.update:
        print(text)
        return
    with open(a.update) as f:
        doc = f.read()
    if doc.count(BEGIN) != 1 or doc.count(END) != 1 or doc.index(BEGIN) > doc.index(END):
        sys.exit(f"eval_table.py: {a.update} needs one '{BEGIN}' line before one '{END}' line")
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(a.update, "w") as f:
        f.write(head + BEGIN + "\n" + text + "\n" + END + tail)
    print(f"eval_table.py: {len(cells)} rows written to {a.update}")


if __name__ == "__main__":
    main()
