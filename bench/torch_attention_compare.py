#!/usr/bin/env python3
"""PyTorch side of bench/bench_attention_cuda.cpp: multi-head attention forward + backward on the
same CUDA device and shapes, and the comparison table.

Shapes, as bench_attention_cuda.cpp: q, k, v, dout [B, H, T, D] float32 contiguous on cuda:0,
B = 1000, H = 4, D = 10 (d = 50 over 4 heads, the Simformer's), T in {4, 20, 64, 256}; full
attention (no mask). One step = torch.nn.functional.scaled_dot_product_attention(q, k, v)
forward, then backward of out with dout (torch.autograd.grad for dq, dk, dv). Timed with CUDA
events, median of --repeats steps after --warmup steps. GFLOP/s at FlashAttention's count
14 * B * H * T^2 * D, the C++ benchmark's.

PyTorch picks the SDPA backend itself (flash / memory-efficient / math); the one it can use at
D = 10 is reported per T (flash needs D % 8 == 0, so it is usually "efficient").

With --amor-json (Google Benchmark JSON of bench_attention_cuda) it prints, per T, the times of
amor's fused kernel, the unfused cuBLAS + softmax composition and PyTorch, and the ratios
torch / fused and unfused / fused (> 1: amor's fused kernel is faster).
"""
import argparse
import json
import statistics
import sys

B, H, D = 1000, 4, 10
TOKENS = (4, 20, 64, 256)


def flops(T):
    return 14.0 * B * H * T * T * D


def sdpa_backend(torch, q, k, v):
    """Which SDPA kernel PyTorch can run on these inputs (best effort, for the report)."""
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
    except ImportError:
        return "unknown"
    F = torch.nn.functional
    for name, backend in (("flash", SDPBackend.FLASH_ATTENTION), ("efficient", SDPBackend.EFFICIENT_ATTENTION),
                          ("cudnn", getattr(SDPBackend, "CUDNN_ATTENTION", None)), ("math", SDPBackend.MATH)):
        if backend is None:
            continue
        try:
            with sdpa_kernel(backend):
                F.scaled_dot_product_attention(q, k, v)
            return name
        except RuntimeError:
            continue
    return "unknown"


def time_step(torch, T, warmup, repeats):
    F = torch.nn.functional
    gen = torch.Generator(device="cuda").manual_seed(T)
    shape = (B, H, T, D)
    q, k, v = (torch.rand(shape, device="cuda", generator=gen) * 2 - 1 for _ in range(3))
    for t in (q, k, v):
        t.requires_grad_(True)
    dout = torch.rand(shape, device="cuda", generator=gen) * 2 - 1

    def step():
        out = F.scaled_dot_product_attention(q, k, v)
        torch.autograd.grad(out, (q, k, v), dout)

    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        step()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) * 1e-3)
    with torch.no_grad():
        backend = sdpa_backend(torch, q.detach(), k.detach(), v.detach())
    return statistics.median(times), backend


def amor_times(path):
    """{(name, T): seconds} from Google Benchmark JSON (medians when repetitions were run)."""
    with open(path) as f:
        data = json.load(f)
    out = {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name, _, arg = b["run_name"].partition("/")
        T = int(arg.split("/")[0])
        scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b.get("time_unit", "ns")]
        out[(name, T)] = b["real_time"] * scale
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--amor-json", help="bench_attention_cuda --benchmark_out JSON")
    ap.add_argument("--json-out", help="write the PyTorch timings here")
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("torch_attention_compare.py: torch is not installed (pip install torch); skipped")
        return 0
    if not torch.cuda.is_available():
        print("torch_attention_compare.py: no CUDA device visible to PyTorch; skipped")
        return 0
    print(f"PyTorch {torch.__version__} on {torch.cuda.get_device_name(0)}")
    torch_times = {}
    for T in TOKENS:
        seconds, backend = time_step(torch, T, args.warmup, args.repeats)
        torch_times[T] = {"seconds": seconds, "backend": backend}
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"torch": torch.__version__, "device": torch.cuda.get_device_name(0),
                       "times": {str(T): v for T, v in torch_times.items()}}, f, indent=1)

    amor = amor_times(args.amor_json) if args.amor_json else {}
    header = f"{'T':>4} {'torch SDPA':>12} {'backend':>9} {'GFLOP/s':>8}"
    if amor:
        header += f" {'amor fused':>11} {'GFLOP/s':>8} {'unfused':>10} {'masked':>10} {'torch/fused':>12} {'unfused/fused':>14}"
    print("fwd+bwd, float32, B=1000, H=4, D=10; times in ms (GFLOP/s at 14*B*H*T^2*D)")
    print(header)
    for T in TOKENS:
        t = torch_times[T]["seconds"]
        row = f"{T:>4} {t * 1e3:>12.3f} {torch_times[T]['backend']:>9} {flops(T) / t * 1e-9:>8.1f}"
        if amor:
            fused = amor.get(("BM_FusedAttention", T))
            unfused = amor.get(("BM_UnfusedAttention", T))
            masked = amor.get(("BM_FusedAttentionMasked", T))
            if fused:
                row += f" {fused * 1e3:>11.3f} {flops(T) / fused * 1e-9:>8.1f}"
                row += f" {unfused * 1e3 if unfused else float('nan'):>10.3f} {masked * 1e3 if masked else float('nan'):>10.3f}"
                row += f" {t / fused:>12.2f} {(unfused / fused) if unfused else float('nan'):>14.2f}"
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
