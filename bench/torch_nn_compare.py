#!/usr/bin/env python3
"""PyTorch side of bench/bench_nn.cpp (nn training steps), and the amor / PyTorch comparison.

Workloads (float32, CPU, torch.set_num_threads(--threads)):

  mlp     2->50->50->2 MLP with tanh (nn.Linear, nn.Tanh), batch 200: zero_grad (set to None),
          forward, loss = F.mse_loss(out, y) (= mean((out - y)^2)), backward, torch.optim.Adam.
  tf4     pre-LN transformer encoder written out to match amor's nn::TransformerEncoder exactly:
  tf20      per layer  h = h + out_proj(SDPA(q, k, v, mask))  with q, k, v from one
                       qkv = Linear(50, 3*4*10) of LN1(h), viewed [B, T, 3, H, D] as amor does;
                       h = h + fc2(gelu_tanh(fc1(LN2(h))))   (fc1: 50 -> 150, fc2: 150 -> 50)
          6 layers, then a final LayerNorm. Batch 1000, T = 4 (tf4) or 20 (tf20) tokens, a dense
          random boolean mask [B, T, T] (Bernoulli(0.7), diagonal always kept; passed to
          F.scaled_dot_product_attention as [B, 1, T, T], True = may attend), input [B, T, 50]
          ~ N(0, 1), loss = mean(out^2), backward, torch.optim.Adam.

Timing: after warm-up steps, the wall time (time.perf_counter) and process CPU time
(time.process_time) of repeated samples; each sample is `number` steps (calibrated to about
--sample-seconds; one step for the transformer); the median sample per step is reported.

With --amor-json (Google Benchmark JSON from build/bench/bench/bench_nn, one or more files) it
prints the comparison: ratio = torch time / amor time (> 1: amor is faster), against the
targets (MLP >= 3x, transformer >= 1.5x), plus the transformer step's GEMM GFLOP/s and its share
of the sgemm peak that bench_nn measured in the same run. --torch-json reads earlier PyTorch
results instead of running PyTorch (bench/run_nn_compare.sh runs the pairs back to back and
then reports from the files).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

WORKLOADS = ("mlp", "tf4", "tf20")
TARGETS = {"mlp": 3.0, "tf4": 1.5, "tf20": 1.5}
# Google Benchmark run names start with these (then e.g. "process_time/real_time").
AMOR_NAMES = {
    "mlp": "BM_MLPStep/batch:200/",
    "tf4": "BM_TransformerStep/T:4/",
    "tf20": "BM_TransformerStep/T:20/",
}


def amor_record(amor, w):
    for name, rec in amor.items():
        if name.startswith(AMOR_NAMES[w]):
            return rec
    return None
LABELS = {
    "mlp": "MLP 2-50-50-2 tanh, B=200, fwd+bwd+Adam",
    "tf4": "transformer 6x(d50, 4x10 heads, MLP 150), B=1000, T=4",
    "tf20": "transformer 6x(d50, 4x10 heads, MLP 150), B=1000, T=20",
}

D_MODEL, HEADS, HEAD_DIM, MLP_RATIO, LAYERS, BATCH = 50, 4, 10, 3, 6, 1000


def step_flops(B, T):
    """GEMM FLOPs of one transformer step, the convention of bench_nn.cpp's step_flops."""
    hd = HEADS * HEAD_DIM
    linear_in_out = D_MODEL * 3 * hd + hd * D_MODEL + 2 * D_MODEL * MLP_RATIO * D_MODEL
    linear = 6.0 * B * T * linear_in_out
    attn = B * HEADS * 4.0 * T * T * HEAD_DIM * 3.0
    return LAYERS * (linear + attn)


# ---------------------------------------------------------------------------------------------
# PyTorch workloads
# ---------------------------------------------------------------------------------------------


def build_mlp(torch):
    nn = torch.nn
    F = torch.nn.functional
    model = nn.Sequential(nn.Linear(2, 50), nn.Tanh(), nn.Linear(50, 50), nn.Tanh(), nn.Linear(50, 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(200, 2)
    y = torch.randn(200, 2)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def build_transformer(torch, T):
    nn = torch.nn
    F = torch.nn.functional

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            hd = HEADS * HEAD_DIM
            self.ln1 = nn.LayerNorm(D_MODEL, eps=1e-5)
            self.qkv = nn.Linear(D_MODEL, 3 * hd)
            self.out = nn.Linear(hd, D_MODEL)
            self.ln2 = nn.LayerNorm(D_MODEL, eps=1e-5)
            self.fc1 = nn.Linear(D_MODEL, MLP_RATIO * D_MODEL)
            self.fc2 = nn.Linear(MLP_RATIO * D_MODEL, D_MODEL)

        def forward(self, h, mask):
            B, T_, _ = h.shape
            qkv = self.qkv(self.ln1(h)).view(B, T_, 3, HEADS, HEAD_DIM)
            # [B, T, H, D] -> [B, H, T, D] views, as amor's q, k, v are views of the packed qkv
            q, k, v = (qkv[:, :, i].transpose(1, 2) for i in range(3))
            o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # scale 1/sqrt(D)
            h = h + self.out(o.transpose(1, 2).reshape(B, T_, HEADS * HEAD_DIM))
            return h + self.fc2(F.gelu(self.fc1(self.ln2(h)), approximate="tanh"))

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList(Layer() for _ in range(LAYERS))
            self.final_ln = nn.LayerNorm(D_MODEL, eps=1e-5)

        def forward(self, h, mask):
            for b in self.blocks:
                h = b(h, mask)
            return self.final_ln(h)

    model = Encoder()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.randn(BATCH, T, D_MODEL)
    mask = (torch.rand(BATCH, T, T) < 0.7) | torch.eye(T, dtype=torch.bool)
    mask = mask[:, None]  # [B, 1, T, T]: the same mask for every head

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model(x, mask).square().mean()
        loss.backward()
        opt.step()
        return loss

    return step


def time_step(step, warmup, sample_s, repeat, max_number=None):
    """(median wall s, median process-CPU s) per step over `repeat` samples."""
    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    step()
    one = time.perf_counter() - t0
    number = max(1, int(sample_s / max(one, 1e-9)))
    if max_number:
        number = min(number, max_number)
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(number):
            step()
        walls.append((time.perf_counter() - w0) / number)
        cpus.append((time.process_time() - c0) / number)
    return statistics.median(walls), statistics.median(cpus), number


def torch_gemm_peak(torch, M, N, K, trials=7, batch_s=0.05):
    """Best GFLOP/s of torch.nn.functional.linear ([M, K] x [N, K]^T, PyTorch's own BLAS) over
    `trials` timed batches of about batch_s seconds each."""
    a = torch.rand(M, K) - 0.5
    b = torch.rand(N, K) - 0.5
    f = torch.nn.functional.linear
    f(a, b)
    t0 = time.perf_counter()
    f(a, b)
    reps = max(1, int(batch_s / max(time.perf_counter() - t0, 1e-7)))
    best = 0.0
    for _ in range(trials):
        t0 = time.perf_counter()
        for _ in range(reps):
            f(a, b)
        best = max(best, 2.0 * M * N * K * reps / (time.perf_counter() - t0) * 1e-9)
    return best


def run_torch(threads, workloads, sample_s, repeat, tf_repeat):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    res = {}
    for w in workloads:
        if w == "mlp":
            wall, cpu, n = time_step(build_mlp(torch), 50, sample_s, repeat)
        else:
            T = 4 if w == "tf4" else 20
            wall, cpu, n = time_step(build_transformer(torch, T), 2, 0.0, tf_repeat, max_number=1)
        res[w] = {"wall_ms": wall * 1e3, "cpu_ms": cpu * 1e3, "steps_per_sample": n,
                  "load": os.getloadavg()[0]}
        if w != "mlp":  # the machine's sgemm peak through PyTorch's BLAS, for reference
            T = 4 if w == "tf4" else 20
            res[w]["mm_peak_1024"] = torch_gemm_peak(torch, 1024, 1024, 1024)
            res[w]["mm_peak_shape"] = torch_gemm_peak(torch, BATCH * T, MLP_RATIO * D_MODEL, D_MODEL)
        print(f"torch {w}: {wall * 1e3:.3f} ms/step wall, {cpu * 1e3:.3f} ms/step process CPU "
              f"(threads {threads}, load {os.getloadavg()[0]:.2f})", file=sys.stderr)
    info = {"torch_version": torch.__version__, "torch_threads": torch.get_num_threads()}
    try:
        cfg = torch.__config__.show()
        info["torch_blas"] = next((f for f in cfg.replace(",", " ").split() if f.startswith("BLAS_INFO=")), "")
    except Exception:  # pragma: no cover - informational only
        pass
    return res, info


# ---------------------------------------------------------------------------------------------
# amor (Google Benchmark JSON) and the report
# ---------------------------------------------------------------------------------------------

_UNIT_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def load_amor(paths):
    """{run_name: record with 'ms' (median real time)} merged over the files, and the context."""
    out, ctx = {}, {}
    for path in paths:
        with open(path) as f:
            doc = json.load(f)
        ctx = ctx or doc.get("context", {})
        plain, medians = {}, {}
        for b in doc.get("benchmarks", []):
            name = b.get("run_name", b["name"])
            rec = dict(b)
            rec["ms"] = b["real_time"] * _UNIT_MS[b.get("time_unit", "ns")]
            rec["cpu_ms"] = b["cpu_time"] * _UNIT_MS[b.get("time_unit", "ns")]
            if b.get("run_type") == "aggregate":
                if b.get("aggregate_name") == "median":
                    medians[name] = rec
            else:
                plain.setdefault(name, []).append(rec)
        for name, recs in plain.items():
            if name not in medians:
                rec = dict(recs[0])
                rec["ms"] = statistics.median(r["ms"] for r in recs)
                rec["cpu_ms"] = statistics.median(r["cpu_ms"] for r in recs)
                medians[name] = rec
        out.update(medians)
    return out, ctx


def fmt(v, digits=3):
    if v is None:
        return "n/a"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.{digits}f}"


def gemm_breakdown(threads, amor, gemm):
    """The transformer step's Linear GEMMs timed one by one (bench_nn's BM_Gemm), summed per step
    (x 6 layers) and set against the measured step time."""
    import re

    shapes = {}
    for name, rec in gemm.items():
        m = re.match(r"BM_Gemm/ta:(\d)/tb:(\d)/M:(\d+)/N:(\d+)/K:(\d+)/", name)
        if m:
            shapes[tuple(int(v) for v in m.groups())] = rec
    lines = [f"\namor's Linear GEMMs in the transformer step, threads = {threads} (kernels::cpu::gemm "
             "timed alone per shape, x 6 layers; ms per step, wall / process CPU)",
             "| T | forward y = x W^T | input grad dx = dy W | weight grad dW = dy^T x | all GEMMs "
             "| step | GEMM share of step (wall / CPU) | GFLOP/s fwd / dx / dW (wall) |",
             "|---|---|---|---|---|---|---|---|"]
    hd = HEADS * HEAD_DIM
    layers = ((D_MODEL, 3 * hd), (hd, D_MODEL), (D_MODEL, MLP_RATIO * D_MODEL), (MLP_RATIO * D_MODEL, D_MODEL))
    for w, T in (("tf4", 4), ("tf20", 20)):
        N = BATCH * T
        kinds = {"fwd": [(0, 1, N, o, i) for i, o in layers], "dx": [(0, 0, N, i, o) for i, o in layers],
                 "dw": [(1, 0, o, i, N) for i, o in layers]}
        if not all(k in shapes for ks in kinds.values() for k in ks):
            continue
        tot = {}
        for kind, ks in kinds.items():
            tot[kind] = (sum(shapes[k]["ms"] for k in ks) * LAYERS, sum(shapes[k]["cpu_ms"] for k in ks) * LAYERS)
        all_w = sum(v[0] for v in tot.values())
        all_c = sum(v[1] for v in tot.values())
        step = amor_record(amor, w)
        flop_kind = 2.0 * N * sum(i * o for i, o in layers) * LAYERS  # per kind, per step
        gf = " / ".join(f"{flop_kind / (tot[k][0] * 1e-3) * 1e-9:.1f}" for k in ("fwd", "dx", "dw"))
        cell = lambda v: f"{fmt(v[0])} / {fmt(v[1])}"
        share = (f"{all_w / step['ms'] * 100:.0f} % / {all_c / step['cpu_ms'] * 100:.0f} %"
                 if step else "n/a")
        st = f"{fmt(step['ms'])} / {fmt(step['cpu_ms'])}" if step else "n/a"
        lines.append(f"| {T} | {cell(tot['fwd'])} | {cell(tot['dx'])} | {cell(tot['dw'])} "
                     f"| {fmt(all_w)} / {fmt(all_c)} | {st} | {share} | {gf} |")
    return "\n".join(lines) if len(lines) > 3 else ""


def report(threads, torch_res, amor):
    lines = []
    p = lines.append
    p(f"\nnn training steps, float32, threads = {threads}  (median ms per step; wall clock, and "
      "process CPU time as a load-robust cross-check)")
    p("| workload | amor ms | torch ms | torch / amor | target | met | amor CPU ms | torch CPU ms "
      "| torch / amor (CPU) |")
    p("|---|---|---|---|---|---|---|---|---|")
    for w in WORKLOADS:
        a = amor_record(amor, w)
        t = (torch_res or {}).get(w)
        if a is None and t is None:
            continue
        a_ms = a["ms"] if a else None
        t_ms = t["wall_ms"] if t else None
        a_cpu = a.get("cpu_ms") if a else None
        t_cpu = t.get("cpu_ms") if t else None
        r = t_ms / a_ms if a_ms and t_ms else None
        rc = t_cpu / a_cpu if a_cpu and t_cpu else None
        met = "n/a" if r is None else ("yes" if r >= TARGETS[w] else "no")
        p(f"| {LABELS[w]} | {fmt(a_ms)} | {fmt(t_ms)} | {fmt(r, 2)} | >= {TARGETS[w]:g}x | {met} "
          f"| {fmt(a_cpu)} | {fmt(t_cpu)} | {fmt(rc, 2)} |")

    p(f"\nTransformer step GEMM throughput, threads = {threads}  (GFLOP/s of the step's GEMM FLOPs; "
      "sgemm peaks: best of 7 batches, amor = kernels::cpu::gemm, torch = F.linear)")
    p("| T | GFLOP/step | amor GFLOP/s | torch GFLOP/s | amor gemm 1024^3 | amor gemm [B*T,50]x[50,150] "
      "| amor share of 1024^3 / of shape peak | torch sgemm 1024^3 | torch [B*T,50]x[50,150] "
      "| amor share of torch 1024^3 peak |")
    p("|---|---|---|---|---|---|---|---|---|---|")
    for w, T in (("tf4", 4), ("tf20", 20)):
        a = amor_record(amor, w)
        t = (torch_res or {}).get(w)
        if a is None and t is None:
            continue
        flops = step_flops(BATCH, T)
        a_gf = flops / (a["ms"] * 1e-3) * 1e-9 if a else None
        t_gf = flops / (t["wall_ms"] * 1e-3) * 1e-9 if t else None
        pk = a.get("peak_1024") if a else None
        ps = a.get("peak_shape") if a else None
        tk = t.get("mm_peak_1024") if t else None
        ts = t.get("mm_peak_shape") if t else None

        def pct(x, y):
            return f"{x / y * 100:.0f} %" if x and y else "n/a"

        p(f"| {T} | {flops * 1e-9:.2f} | {fmt(a_gf, 2)} | {fmt(t_gf, 2)} | {fmt(pk, 1)} | {fmt(ps, 1)} "
          f"| {pct(a_gf, pk)} / {pct(a_gf, ps)} | {fmt(tk, 1)} | {fmt(ts, 1)} | {pct(a_gf, tk)} |")
    return "\n".join(lines)


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except Exception:
        pass
    return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")))
    ap.add_argument("--workloads", default=",".join(WORKLOADS),
                    help="comma-separated subset of " + ",".join(WORKLOADS))
    ap.add_argument("--sample-seconds", type=float, default=0.2,
                    help="MLP: target length of one timing sample (default 0.2)")
    ap.add_argument("--repeat", type=int, default=9, help="MLP samples (median reported)")
    ap.add_argument("--tf-repeat", type=int, default=7,
                    help="transformer: timed steps, one per sample (median reported)")
    ap.add_argument("--json", help="write the PyTorch results here")
    ap.add_argument("--torch-json", nargs="*", default=[],
                    help="read PyTorch results from these files instead of running PyTorch")
    ap.add_argument("--amor-json", nargs="*", default=[], help="Google Benchmark JSON from bench_nn")
    ap.add_argument("--amor-gemm-json", help="Google Benchmark JSON of bench_nn --benchmark_filter=BM_Gemm")
    ap.add_argument("--no-report", action="store_true", help="only run and save PyTorch")
    args = ap.parse_args()

    workloads = [w for w in args.workloads.split(",") if w]
    for w in workloads:
        if w not in WORKLOADS:
            ap.error(f"unknown workload {w}")

    torch_res, info = {}, {}
    if args.torch_json:
        for path in args.torch_json:
            with open(path) as f:
                doc = json.load(f)
            torch_res.update(doc.get("results", {}))
            info = info or doc.get("info", {})
    else:
        torch_res, info = run_torch(args.threads, workloads, args.sample_seconds, args.repeat,
                                    args.tf_repeat)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"threads": args.threads, "results": torch_res, "info": info}, f, indent=1)
    if args.no_report:
        return

    amor, ctx = load_amor(args.amor_json) if args.amor_json else ({}, {})
    print(f"CPU: {cpu_model()}; threads: {args.threads}; "
          f"OPENBLAS_CORETYPE: {os.environ.get('OPENBLAS_CORETYPE', 'unset')}"
          + (f" (OpenBLAS core {ctx.get('openblas_core')})" if ctx.get("openblas_core") else "")
          + f"; torch {info.get('torch_version', 'n/a')} ({info.get('torch_threads', '?')} threads"
          + (f", {info['torch_blas']}" if info.get("torch_blas") else "") + ")")
    print(report(args.threads, torch_res, amor))
    if args.amor_gemm_json:
        gemm, _ = load_amor([args.amor_gemm_json])
        print(gemm_breakdown(args.threads, amor, gemm))


if __name__ == "__main__":
    main()
