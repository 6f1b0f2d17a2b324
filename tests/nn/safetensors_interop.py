#!/usr/bin/env python3
"""Interop of amor checkpoints with the reference safetensors implementation.

Run by CTest (`safetensors_interop`) as
    python3 tests/nn/safetensors_interop.py --tool <path to amor_checkpoint_tool>

1. C++ writes the fixed interop module (tests/nn/tools/amor_checkpoint_tool.cpp); Python opens it
   with safetensors.numpy.load_file and checks names, dtypes, shapes, values and metadata.
2. Python writes the same tensors with safetensors.numpy.save_file (its own ordering, padding and
   metadata); C++ loads them into a zeroed module and checks every value bit for bit.
3. Python writes a wrong value / an unsupported dtype; C++ must reject them.

Exits 77 (reported as SKIPPED by CTest) when safetensors or numpy is not importable.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

SKIP = 77

try:
    import numpy as np
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"SKIPPED: needs `pip install safetensors numpy` ({e})")
    sys.exit(SKIP)


def expected_tensors():
    """The fixture of amor_checkpoint_tool, by the same formulas."""
    def mlp(k, shape):
        n = int(np.prod(shape))
        return (np.arange(n, dtype=np.float64) * 0.0625 - 0.5 * (k + 1)).astype(np.float32).reshape(shape)

    return {
        "weight": (np.arange(6, dtype=np.float64) * 0.25 - 1).astype(np.float32).reshape(2, 3),
        "scale": np.arange(4, dtype=np.float64) / 3,
        "counts": np.array([[-3, 0], [1 << 40, 7]], dtype=np.int64),
        "mask": np.array([True, False, False, True, True]),
        "mlp.layers.0.weight": mlp(0, (4, 3)),
        "mlp.layers.0.bias": mlp(0, (4,)),
        "mlp.layers.1.weight": mlp(1, (2, 4)),
        "mlp.layers.1.bias": mlp(1, (2,)),
    }


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def compare(got, want, where):
    if sorted(got) != sorted(want):
        fail(f"{where}: keys {sorted(got)} != expected {sorted(want)}")
    for name, w in want.items():
        g = got[name]
        if g.dtype != w.dtype or g.shape != w.shape:
            fail(f"{where}: {name}: {g.dtype}{list(g.shape)} != expected {w.dtype}{list(w.shape)}")
        if g.tobytes() != w.tobytes():
            fail(f"{where}: {name}: values differ\n got {g}\n want {w}")


def run_tool(tool, *args):
    return subprocess.run([tool, *args], capture_output=True, text=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True, help="path to amor_checkpoint_tool")
    args = ap.parse_args()
    want = expected_tensors()

    with tempfile.TemporaryDirectory(prefix="amor_interop_") as tmp:
        # 1. C++ -> Python.
        cpp_file = os.path.join(tmp, "from_cpp.safetensors")
        r = run_tool(args.tool, "write", cpp_file)
        if r.returncode != 0:
            fail(f"amor_checkpoint_tool write: {r.stderr}")
        compare(load_file(cpp_file), want, "C++ -> Python")
        with safe_open(cpp_file, framework="np") as f:
            md = f.metadata()
        if md.get("format") != "amor-checkpoint" or md.get("format_version") != "1" \
                or md.get("module") != "InteropFixture" or json.loads(md.get("config", "null")) != {"interop": 1}:
            fail(f"C++ -> Python: unexpected metadata {md}")
        with open(cpp_file, "rb") as f:
            n = int.from_bytes(f.read(8), "little")
        if n % 8 != 0:
            fail(f"C++ -> Python: header length {n} is not a multiple of 8")
        print(f"ok: C++ -> Python ({len(want)} tensors, metadata {md})")

        # 2. Python -> C++.
        py_file = os.path.join(tmp, "from_python.safetensors")
        save_file(want, py_file, metadata={"source": "python"})
        r = run_tool(args.tool, "check", py_file)
        if r.returncode != 0:
            fail(f"Python -> C++: amor_checkpoint_tool check failed:\n{r.stdout}{r.stderr}")
        print(f"ok: Python -> C++: {r.stdout.strip()}")

        # 3. C++ must notice a wrong value and refuse what it cannot read.
        wrong = dict(want)
        wrong["scale"] = want["scale"].copy()
        wrong["scale"][3] = np.nextafter(wrong["scale"][3], 2.0)
        save_file(wrong, py_file)
        r = run_tool(args.tool, "check", py_file)
        if r.returncode == 0 or "scale" not in r.stderr:
            fail(f"Python -> C++: a one-ulp change in 'scale' went unnoticed:\n{r.stdout}{r.stderr}")
        half = dict(want)
        half["weight"] = want["weight"].astype(np.float16)
        save_file(half, py_file)
        r = run_tool(args.tool, "check", py_file)
        if r.returncode == 0 or "unsupported dtype" not in r.stderr or py_file not in r.stderr:
            fail(f"Python -> C++: a float16 tensor was not refused clearly:\n{r.stdout}{r.stderr}")
        print("ok: C++ rejects a changed value and an unsupported dtype")
    return 0


if __name__ == "__main__":
    sys.exit(main())
