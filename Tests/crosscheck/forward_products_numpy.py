#!/usr/bin/env python3
"""The matrix products of one GPT-2 forward pass done by numpy (float32,
the machine's BLAS), timed: the benchmark's yardstick for HeadMaps' forward
pass. Usage: forward_products_numpy.py LAYERS D_MODEL VOCAB ROWS REPEATS
Prints the best wall time in seconds."""
import sys, time

import numpy as np


def main():
    layers, d, vocab, rows, repeats = map(int, sys.argv[1:6])
    rng = np.random.default_rng(0)
    w = [(rng.standard_normal((d, 3 * d), dtype=np.float32), rng.standard_normal((d, d), dtype=np.float32),
          rng.standard_normal((d, 4 * d), dtype=np.float32), rng.standard_normal((4 * d, d), dtype=np.float32)) for _ in range(layers)]
    u = rng.standard_normal((vocab, d), dtype=np.float32)
    x = rng.standard_normal((rows, d), dtype=np.float32)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for qkv, o, fc, proj in w:
            (x @ qkv), (x @ o), (x @ fc) @ proj
        last = x[: rows // 10] @ u.T
        best = min(best, time.perf_counter() - start)
    print(best)


if __name__ == "__main__":
    main()
