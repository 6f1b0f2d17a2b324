#!/usr/bin/env python3
"""PyTorch side of bench/bench_simformer.cpp: the Simformer's score network, written out to match
amor's sbi/simformer/score_network.cpp and SimformerModel::loss op for op, and the comparison.

Network (float32, CPU, torch.set_num_threads(--threads)), reference "small" configuration:
  tokens   [id_embedding (fixed, 20) | value repeated 20 times | condition token (learned, 10) if
           observed else 0], d = 50, one token per scalar of (theta, x)
  time     Gaussian Fourier features of t: [cos(2 pi t f), sin(2 pi t f)], 64 fixed frequencies
  layers   6 x pre-LN:  h = h + out_proj(SDPA(q, k, v, mask)), qkv = Linear(50, 3*4*10)(LN1(h));
                        h = h + fc2(gelu_tanh(fc1(LN2(h)))) + gelu_tanh(cond_proj(temb))
           (fc1 50 -> 150, fc2 150 -> 50, cond_proj 128 -> 50), then a final LayerNorm
  head     Linear(50, 1) per token, divided by max(std(t), 1e-3)
  mask     the undirected (moralised) graph of a task whose x all depend on every theta, with
           self-loops: what bench_simformer.cpp builds (theta_dim = T // 2)

Workloads, as bench_simformer.cpp:
  train T  one training step at batch 1000: condition masks (Bernoulli(0.5); amor mixes five
           kinds, the cost is the same), t ~ U(1e-5, 1), VE noising of the latent entries,
           forward, denoising score-matching loss weighted by g(t)^2, backward, adaptive
           gradient clipping (unit-wise, clipping 10, as amor's nn::adaptive_clip_grad), Adam
  score T  one score evaluation without a graph (torch.no_grad) for 10 000 samples: the unit of
           every reverse-time sampler

With --amor-json (Google Benchmark JSON of bench_simformer) it prints ratio = torch / amor
(> 1: amor is faster) against the Simformer issue's target (training step >= 2x).
"""
import argparse
import json
import math
import statistics
import sys
import time

TARGET_TRAIN = 2.0
SIGMA_MIN, SIGMA_MAX = 1e-4, 15.0
ID, VALUE, COND, HEADS, HEAD_DIM, MLP, LAYERS, TEMB = 20, 20, 10, 4, 10, 3, 6, 128
D = ID + VALUE + COND


def build(torch, T, seed=0):
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(seed)

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
            self.qkv = nn.Linear(D, 3 * HEADS * HEAD_DIM)
            self.out = nn.Linear(HEADS * HEAD_DIM, D)
            self.fc1, self.fc2 = nn.Linear(D, MLP * D), nn.Linear(MLP * D, D)
            self.cond = nn.Linear(TEMB, D)

        def forward(self, h, mask, temb):
            B, T_, _ = h.shape
            qkv = self.qkv(self.ln1(h)).view(B, T_, 3, HEADS, HEAD_DIM).permute(2, 0, 3, 1, 4)
            a = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=mask)
            h = h + self.out(a.transpose(1, 2).reshape(B, T_, HEADS * HEAD_DIM))
            z = self.fc2(F.gelu(self.fc1(self.ln2(h)), approximate="tanh"))
            return h + z + F.gelu(self.cond(temb), approximate="tanh").unsqueeze(1)

    class ScoreNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("ids", torch.nn.init.orthogonal_(torch.empty(T, ID)) * 0.5)
            self.register_buffer("freqs", torch.randn(TEMB // 2) * 16.0)
            self.cond_token = nn.Parameter(torch.randn(COND) * 0.1)
            self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))
            self.final = nn.LayerNorm(D)
            self.head = nn.Linear(D, 1)

        def forward(self, x_t, observed, t, std_t, mask):
            B = x_t.shape[0]
            tokens = torch.cat([self.ids.expand(B, T, ID), x_t.unsqueeze(2).expand(B, T, VALUE),
                                observed.to(x_t.dtype).unsqueeze(2) * self.cond_token], dim=2)
            arg = t.unsqueeze(1) * self.freqs * (2 * math.pi)
            temb = torch.cat([torch.cos(arg), torch.sin(arg)], dim=1)
            h = tokens
            for layer in self.layers:
                h = layer(h, mask, temb)
            out = self.head(self.final(h)).squeeze(2)
            return out / std_t.clamp(min=1e-3).unsqueeze(1)

    theta = T // 2
    mask = torch.zeros(T, T, dtype=torch.bool)
    mask[:theta, :] = True      # theta: co-parents of every x, and parents of every x
    mask[:, :theta] = True      # x: its parents
    mask |= torch.eye(T, dtype=torch.bool)
    return ScoreNet(), mask


def ve_std(torch, t):
    return SIGMA_MIN * (SIGMA_MAX / SIGMA_MIN) ** t


def agc(torch, params, clipping=10.0, eps=1e-3):
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            w = p.reshape(p.shape[0], -1) if p.dim() >= 2 else p.reshape(1, -1)
            g = p.grad.reshape(w.shape)
            wn = w.norm(dim=1, keepdim=True).clamp(min=eps) * clipping
            gn = g.norm(dim=1, keepdim=True)
            g.mul_(torch.where(gn > wn, wn / gn.clamp(min=1e-6), torch.ones_like(gn)))


def time_it(fn, repeat, warmup=2):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples), min(samples), max(samples)


def run_torch(T, workload, threads, repeat):
    import torch
    torch.set_num_threads(threads)
    net, mask = build(torch, T)
    if workload == "train":
        B = 1000
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        x0 = torch.randn(B, T)
        log_ratio = math.log(SIGMA_MAX / SIGMA_MIN)

        def step():
            observed = torch.rand(B, T) < 0.5
            t = torch.rand(B) * (1 - 1e-5) + 1e-5
            eps = torch.randn(B, T)
            std = ve_std(torch, t).unsqueeze(1)
            x_t = torch.where(observed, x0, x0 + eps * std)
            opt.zero_grad(set_to_none=True)
            s = net(x_t, observed, t, std.squeeze(1), mask)
            sq = torch.where(observed, torch.zeros_like(s), (s + eps / std) ** 2)
            loss = (sq.sum(1) * (std.squeeze(1) ** 2 * 2 * log_ratio)).mean()
            loss.backward()
            agc(torch, net.parameters())
            opt.step()
        return time_it(step, repeat)
    B = 10000
    x = torch.randn(B, T)
    observed = torch.zeros(B, T, dtype=torch.bool)
    observed[:, T // 2:] = True
    t = torch.full((B,), 0.5)
    std = ve_std(torch, t)

    def score():
        with torch.no_grad():
            net(x, observed, t, std, mask)
    return time_it(score, repeat)


def amor_times(paths):
    """{('train'|'score', T): median real time in seconds} from bench_simformer JSON files."""
    out = {}
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        for b in data["benchmarks"]:
            name = b.get("run_name", b["name"])
            if b.get("aggregate_name", "median") != "median":
                continue
            kind = "train" if name.startswith("BM_SimformerTrainStep") else "score"
            T = int(name.split("/")[1])
            scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
            out[(kind, T)] = b["real_time"] * scale
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--tokens", default="4,8,20")
    ap.add_argument("--workloads", default="train,score")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--amor-json", nargs="*", default=[])
    args = ap.parse_args()
    amor = amor_times(args.amor_json)
    print(f"{'workload':<8} {'T':>3} {'torch median':>13} {'(min-max)':>17} {'amor median':>12} {'ratio':>6}")
    for w in args.workloads.split(","):
        for T in (int(v) for v in args.tokens.split(",")):
            med, lo, hi = run_torch(T, w, args.threads, args.repeat)
            a = amor.get((w, T))
            ratio = f"{med / a:6.2f}" if a else "     -"
            atext = f"{a * 1e3:9.1f} ms" if a else "           -"
            target = f"  (target >= {TARGET_TRAIN}x)" if w == "train" and a else ""
            print(f"{w:<8} {T:>3} {med * 1e3:10.1f} ms  ({lo * 1e3:6.1f}-{hi * 1e3:6.1f} ms) {atext} {ratio}{target}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
