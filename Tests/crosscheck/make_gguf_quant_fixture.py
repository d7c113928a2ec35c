"""Writes fixtures/gguf/quant-types.gguf and its oracle, once (gguf, numpy).

One tensor per type HeadMaps reads, [2, 512] each, of random block bytes
whose f16 scales are set to finite values; quant-types.expected.f32 holds
what the gguf package's dequantize (llama.cpp's reference) returns for each,
little-endian float32, the tensors in file order. Usage:
    python3 make_gguf_quant_fixture.py OUT_DIR
"""
import sys

import numpy as np
from gguf import GGMLQuantizationType as T, GGUFWriter
from gguf.constants import GGML_QUANT_SIZES
from gguf.quants import dequantize

# Byte offsets of each block's f16 scales.
SCALES = {T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0], T.Q2_K: [80, 82], T.Q3_K: [108],
          T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}
SHAPE = (2, 512)


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(20261206)
    writer = GGUFWriter(f"{out}/quant-types.gguf", "llama")
    expected = []
    for t in [T.F32, T.F16, T.BF16] + list(SCALES):
        block, size = GGML_QUANT_SIZES[t]
        if t == T.F32:
            data = rng.standard_normal(SHAPE).astype(np.float32)
            raw = data
        elif t == T.F16:
            raw = rng.standard_normal(SHAPE).astype(np.float16)
        elif t == T.BF16:
            raw = (rng.standard_normal(SHAPE).astype(np.float32).view(np.uint32) >> 16).astype(np.uint16).view(np.uint8)
            raw = raw.reshape(SHAPE[0], SHAPE[1] * 2)
        else:
            blocks = rng.integers(0, 256, size=(SHAPE[0] * SHAPE[1] // block, size), dtype=np.uint8)
            for offset in SCALES[t]:
                scale = (rng.standard_normal(blocks.shape[0]) * 0.05).astype(np.float16)
                blocks[:, offset:offset + 2] = scale.view(np.uint8).reshape(-1, 2)
            raw = blocks.reshape(SHAPE[0], SHAPE[1] // block * size)
        if t in (T.F32, T.F16):
            writer.add_tensor(f"t.{t.name}", raw)
            values = raw.astype(np.float32)
        else:
            writer.add_tensor(f"t.{t.name}", raw, raw_shape=raw.shape, raw_dtype=t)
            values = dequantize(raw, t)
        assert values.shape == SHAPE and np.isfinite(values).all(), t
        expected.append(values.astype("<f4").ravel())
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    np.concatenate(expected).tofile(f"{out}/quant-types.expected.f32")


if __name__ == "__main__":
    main()
