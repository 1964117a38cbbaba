#!/usr/bin/env python3
"""NumPy (OpenBLAS) matmul GFLOP/s on the shapes `cotrain bench train` measures.

Usage: numpy_gemm.py [--threads N] [--min-seconds S] [--rows R] [--width C]
Prints one JSON object. The thread count must be fixed before numpy is imported,
so this script sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS first.
Timing matches CotrainTensor.GemmBenchmark: best single call over >= min-seconds.
"""
import argparse
import json
import os
import sys
import time


def parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--min-seconds", type=float, default=0.3)
    p.add_argument("--rows", type=int, default=64 * 80, help="batch x tokens")
    p.add_argument("--width", type=int, default=128, help="model width C")
    return p.parse_args()


def shapes(bt, c):
    # (name, m, n, k, transA, transB): same list as GemmBenchmark.modelShapes.
    return [
        ("qkv.forward", bt, 3 * c, c, False, True),
        ("qkv.backward.input", bt, c, 3 * c, False, False),
        ("qkv.backward.weight", 3 * c, c, bt, True, False),
        ("mlp.up.forward", bt, 4 * c, c, False, True),
        ("mlp.down.forward", bt, c, 4 * c, False, True),
        ("mlp.down.backward.input", bt, 4 * c, c, False, False),
        ("mlp.up.backward.weight", 4 * c, c, bt, True, False),
        ("square.1024", 1024, 1024, 1024, False, False),
    ]


def main():
    args = parse()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np  # after the environment is set: BLAS reads it at load time

    rng = np.random.default_rng(42)
    results = []
    for name, m, n, k, ta, tb in shapes(args.rows, args.width):
        # Store A as (k,m) / B as (n,k) when transposed; `.T` is a view, so BLAS gets
        # the transpose flag rather than a copy, like Gemm.multiply.
        a = rng.uniform(-1, 1, (k, m) if ta else (m, k)).astype(np.float32)
        b = rng.uniform(-1, 1, (n, k) if tb else (k, n)).astype(np.float32)
        opa, opb = (a.T if ta else a), (b.T if tb else b)
        out = np.empty((m, n), dtype=np.float32)
        np.matmul(opa, opb, out=out)
        best, total, calls = float("inf"), 0.0, 0
        while total < args.min_seconds or calls < 3:
            t0 = time.perf_counter()
            np.matmul(opa, opb, out=out)
            dt = time.perf_counter() - t0
            best, total, calls = min(best, dt), total + dt, calls + 1
        flops = 2.0 * m * n * k
        results.append({
            "name": name, "variant": ("T" if ta else "N") + ("T" if tb else "N"),
            "m": m, "n": n, "k": k, "seconds": best, "gflops": flops / best / 1e9,
        })
    json.dump({"numpy": np.__version__, "threads": args.threads, "results": results},
              sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
