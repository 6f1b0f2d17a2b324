#!/usr/bin/env python3
"""PyTorch side of the amor benchmarks, and the amor / PyTorch comparison table.

Runs the workloads of bench/bench_ops.cpp and bench/bench_gemm.cpp in PyTorch (CPU):

  add_200x50_{grad,nograd}   c = a + b on [200, 50] float32 (a requires grad / nothing does)
  add_4_{grad,nograd}        the same on [4]
  mlp_step                   2->50->50->2 tanh MLP, batch 200: forward (F.linear, tanh),
                             loss = square(out - y).mean(), backward, plain SGD under no_grad
                             (p.add_(p.grad, alpha=-lr)) and grads set to None
  mlp_fwd_{grad,nograd}      the step's forward + loss only
  mm_{64,256,1024}           torch.mm on [n, n] float32 (GFLOP/s)

Timing: timeit with `number` calls per sample, `repeat` samples; the median sample is reported
(microseconds per call), both as wall time and as the timing thread's CPU time (the latter, and
Google Benchmark's cpu_time, stay meaningful for single-threaded work on a loaded machine). With --amor-ops / --amor-gemm (Google Benchmark JSON from the C++
binaries) it also prints the comparison (bench/run_compare.sh does this):

  per-op overhead ratio [200, 50] = (amor - raw loop) / (torch - raw loop)
  ratio [4]                       = amor / torch
  GEMM wrapper overhead           = amor::matmul time / cblas_sgemm time - 1

Works without torch: then only the amor figures are printed.
"""
import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import timeit

# ---------------------------------------------------------------------------------------------
# PyTorch workloads
# ---------------------------------------------------------------------------------------------


class _Stamp:
    """Wall clock and this thread's CPU clock read together; subtracting gives both spans."""

    __slots__ = ("wall", "cpu")

    def __init__(self):
        self.wall = time.perf_counter()
        self.cpu = time.thread_time()

    def __sub__(self, other):
        return (self.wall - other.wall, self.cpu - other.cpu)


def median_us(stmt, number, repeat, env=None):
    """Medians over `repeat` samples of the per-call wall and thread-CPU time of stmt, in us.

    stmt is a callable or a statement string (run with `env` as globals: timeit inlines a
    string into its loop, so a one-op statement pays no extra Python function call).
    """
    timer = timeit.Timer(stmt, timer=_Stamp, globals=env)
    timer.timeit(number=1)  # warm up (first-call allocations, lazy init)
    samples = timer.repeat(number=number, repeat=repeat)
    wall = statistics.median(s[0] for s in samples) / number * 1e6
    cpu = statistics.median(s[1] for s in samples) / number * 1e6
    return wall, cpu


def calibrate(stmt, target_s, env=None):
    """Calls per sample so that one sample takes about target_s seconds."""
    timer = timeit.Timer(stmt, globals=env)
    n = 1
    while True:
        t = timer.timeit(number=n)
        if t >= 0.05 or n >= 1 << 24:
            return max(1, int(n * target_s / max(t, 1e-9)))
        n *= 4


def run_torch(threads, sample_s, repeat):
    """{workload: (wall us, thread-CPU us)} and some facts about the torch build."""
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    results = {}

    def timed(name, stmt, env=None):
        number = calibrate(stmt, sample_s, env)
        results[name] = median_us(stmt, number, repeat, env)

    # ---- per-op: c = a + b ----------------------------------------------------------------
    for label, shape in (("200x50", (200, 50)), ("4", (4,))):
        for grad in (False, True):
            a = torch.rand(shape, dtype=torch.float32) * 2 - 1
            b = torch.rand(shape, dtype=torch.float32) * 2 - 1
            a.requires_grad_(grad)
            # c is dropped at the next assignment, like the C++ loop body's result.
            timed(f"add_{label}_{'grad' if grad else 'nograd'}", "c = a + b", {"a": a, "b": b})

    # ---- MLP 2->50->50->2 tanh, batch 200, SGD ----------------------------------------------
    widths = (2, 50, 50, 2)
    batch = 200
    params = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        bound = 1.0 / math.sqrt(fan_in)
        params.append((torch.rand(fan_out, fan_in) * 2 - 1) * bound)
        params.append((torch.rand(fan_out) * 2 - 1) * bound)
    for p in params:
        p.requires_grad_(True)
    x = torch.randn(batch, widths[0])
    y = torch.randn(batch, widths[-1])
    layers = len(params) // 2

    def loss_fn():
        h = x
        for layer in range(layers):
            h = F.linear(h, params[2 * layer], params[2 * layer + 1])
            if layer + 1 < layers:
                h = torch.tanh(h)
        return torch.square(h - y).mean()

    def step():
        loss = loss_fn()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.add_(p.grad, alpha=-1e-3)
                p.grad = None

    def fwd_nograd():
        with torch.no_grad():
            loss_fn()

    timed("mlp_step", step)
    timed("mlp_fwd_grad", loss_fn)
    timed("mlp_fwd_nograd", fwd_nograd)

    # ---- GEMM ------------------------------------------------------------------------------
    for n in (64, 256, 1024):
        a = torch.rand(n, n) * 2 - 1
        b = torch.rand(n, n) * 2 - 1
        timed(f"mm_{n}", "c = torch.mm(a, b)", {"torch": torch, "a": a, "b": b})

    info = {
        "torch_version": torch.__version__,
        "torch_threads": torch.get_num_threads(),
    }
    try:
        info["torch_blas"] = next(
            (line.strip() for line in torch.__config__.show().splitlines() if "BLAS_INFO" in line),
            "")
    except Exception:  # pragma: no cover - informational only
        pass
    return results, info


# ---------------------------------------------------------------------------------------------
# Google Benchmark JSON
# ---------------------------------------------------------------------------------------------

_UNIT_US = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}


def load_gbench(path, clock="wall"):
    """{run_name: (time in us, record)}; the median aggregate when repetitions ran.

    clock: "wall" reads real_time, "cpu" cpu_time (the benchmark thread's CPU time).
    """
    with open(path) as f:
        doc = json.load(f)
    out = {}
    medians = {}
    for b in doc.get("benchmarks", []):
        name = b.get("run_name", b["name"])
        t = b["real_time" if clock == "wall" else "cpu_time"] * _UNIT_US[b.get("time_unit", "ns")]
        row = (t, b)
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[name] = row
        else:
            out.setdefault(name, row)
    out.update(medians)
    return out, doc.get("context", {})


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def fmt(v, digits=2):
    if v is None:
        return "n/a"
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.{digits}f}"


def ratio(num, den):
    if num is None or den is None or den <= 0:
        return None
    return num / den


def report(threads, torch_res, amor_ops, amor_gemm, clock="wall"):
    idx = 0 if clock == "wall" else 1
    t = {k: v[idx] for k, v in (torch_res or {}).items()}
    lines = []
    p = lines.append

    if amor_gemm is not None:
        g, _ = amor_gemm
        p(f"\nGEMM float32 C = A·B, [n, n], threads = {threads}, {clock} clock  (GFLOP/s; time in us)")
        p("| n | amor::matmul | kernels::gemm | cblas_sgemm | torch.mm | matmul vs cblas "
          "| paired: matmul vs cblas | paired: matmul vs kernels::gemm |")
        p("|---|---|---|---|---|---|---|---|")
        for n in (64, 256, 1024):
            flops = 2.0 * n ** 3

            def cell(key):
                row = g.get(key)
                if not row:
                    return None, "n/a"
                us = row[0]
                return us, f"{flops / us / 1e3:.1f} ({fmt(us)} us)"

            def paired(key):
                row = g.get(key)
                if not row or "overhead_pct" not in row[1]:
                    return "n/a"
                return f"{row[1]['overhead_pct']:+.1f} %"

            mm_us, mm_s = cell(f"BM_MatmulTensor/{n}/real_time")
            _, kg_s = cell(f"BM_KernelGemm/{n}/real_time")
            cb_us, cb_s = cell(f"BM_Cblas/{n}/real_time")
            tus = t.get(f"mm_{n}")
            t_s = f"{flops / tus / 1e3:.1f} ({fmt(tus)} us)" if tus else "n/a"
            ov = ratio(mm_us, cb_us)
            ov_s = f"{(ov - 1) * 100:+.1f} %" if ov else "n/a"
            p(f"| {n} | {mm_s} | {kg_s} | {cb_s} | {t_s} | {ov_s} "
              f"| {paired(f'BM_MatmulVsCblas/{n}/real_time')} "
              f"| {paired(f'BM_MatmulVsKernelGemm/{n}/real_time')} |")
        p("matmul vs cblas: separate runs (median times); paired: both calls timed in each "
          "iteration, wall clock, median of per-iteration ratios. Target at n = 256: < +5 %.")

    if amor_ops is not None:
        o, _ = amor_ops
        us = {k: v[0] for k, v in o.items()}
        p(f"\nPer-op c = a + b, float32, threads = {threads}, {clock} clock  (us per op, median)")
        p("| shape | amor no grad | amor grad | raw loop | torch no grad | torch grad "
          "| ratio no grad | ratio grad |")
        p("|---|---|---|---|---|---|---|---|")
        for label, rows, cols in (("[200, 50]", 200, 50), ("[4]", 1, 4)):
            key = f"rows:{rows}/cols:{cols}"
            raw = us.get(f"BM_RawAdd/{key}")
            a0 = us.get(f"BM_Add/{key}/grad:0")
            a1 = us.get(f"BM_Add/{key}/grad:1")
            tl = "200x50" if rows == 200 else "4"
            t0 = t.get(f"add_{tl}_nograd")
            t1 = t.get(f"add_{tl}_grad")
            if rows == 200:  # overhead ratio: (amor - raw) / (torch - raw)
                r0 = ratio(a0 - raw, t0 - raw) if None not in (a0, raw, t0) else None
                r1 = ratio(a1 - raw, t1 - raw) if None not in (a1, raw, t1) else None
            else:
                r0, r1 = ratio(a0, t0), ratio(a1, t1)
            p(f"| {label} | {fmt(a0, 3)} | {fmt(a1, 3)} | {fmt(raw, 3)} | {fmt(t0, 3)} "
              f"| {fmt(t1, 3)} | {fmt(r0, 3)} | {fmt(r1, 3)} |")
        p("ratio [200, 50] = (amor - raw) / (torch - raw); ratio [4] = amor / torch. "
          "Target: <= 0.2.")

        p(f"\nMLP 2->50->50->2 tanh, batch 200, threads = {threads}, {clock} clock  (us per call, median)")
        p("| workload | amor | torch | amor / torch |")
        p("|---|---|---|---|")
        for label, akey, tkey in (
            ("step: fwd + bwd + SGD", "BM_MLPStep/batch:200", "mlp_step"),
            ("forward + loss, recording", "BM_MLPForward/batch:200/grad:1", "mlp_fwd_grad"),
            ("forward + loss, no grad", "BM_MLPForward/batch:200/grad:0", "mlp_fwd_nograd"),
        ):
            a, tt = us.get(akey), t.get(tkey)
            p(f"| {label} | {fmt(a)} | {fmt(tt)} | {fmt(ratio(a, tt), 2)} |")

    if amor_ops is None and amor_gemm is None and torch_res:
        p(f"\nPyTorch, threads = {threads}, {clock} clock  (us per call, median)")
        for k, v in t.items():
            p(f"  {k:16s} {v:10.3f}")
    return "\n".join(lines)


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except Exception:
        pass
    return platform.processor() or "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")))
    ap.add_argument("--sample-seconds", type=float, default=0.1,
                    help="target length of one timeit sample (default 0.1)")
    ap.add_argument("--repeat", type=int, default=7, help="timeit samples (median reported)")
    ap.add_argument("--amor-ops", help="Google Benchmark JSON from bench_ops")
    ap.add_argument("--amor-gemm", help="Google Benchmark JSON from bench_gemm")
    ap.add_argument("--json", help="write the PyTorch results here")
    ap.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    ap.add_argument("--clock", choices=("wall", "cpu", "both"), default="both",
                    help="wall: elapsed time; cpu: the timing thread's CPU time (robust on a "
                         "loaded machine for single-threaded work, meaningless for threaded "
                         "GEMM); both (default) prints the tables twice")
    args = ap.parse_args()

    torch_res, info = None, {}
    if not args.no_torch:
        try:
            import torch  # noqa: F401
        except Exception as e:  # ImportError, or a broken install
            print(f"torch_compare: PyTorch unavailable ({e}); amor figures only", file=sys.stderr)
        else:
            torch_res, info = run_torch(args.threads, args.sample_seconds, args.repeat)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"threads": args.threads, "results_us": torch_res, "info": info}, f, indent=1)

    print(f"CPU: {cpu_model()}; threads: {args.threads}; "
          f"OPENBLAS_CORETYPE: {os.environ.get('OPENBLAS_CORETYPE', 'unset')}; "
          + (f"torch {info.get('torch_version')} ({info.get('torch_threads')} threads)"
             if torch_res else "torch: not run"))
    for clock in (("wall", "cpu") if args.clock == "both" else (args.clock,)):
        amor_ops = load_gbench(args.amor_ops, clock) if args.amor_ops else None
        amor_gemm = load_gbench(args.amor_gemm, clock) if args.amor_gemm else None
        print(report(args.threads, torch_res, amor_ops, amor_gemm, clock))


if __name__ == "__main__":
    main()
