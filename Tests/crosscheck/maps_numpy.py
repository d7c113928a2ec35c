#!/usr/bin/env python3
"""MAPS relation scores computed independently of HeadMaps, the way the paper's
code computes them: per head W_VO = W_V @ W_O, the full [n, vocab] logit matrix
x @ W_VO @ W_U, then the target's rank in each row.

Own safetensors reader (numpy), own GPT-2 BPE (the `regex` module with the
published pattern). Ties count against the target, as in HeadMaps (only sparse
planted weights produce exact ties). Usage:
    maps_numpy.py MODEL_DIR RELATION_JSON [RELATION_JSON...] > scores.json
"""
import json, os, struct, sys
import numpy as np
import regex

PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def byte_table():
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b); cs.append(256 + n); n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


class BPE:
    def __init__(self, model_dir):
        self.encoder = json.load(open(os.path.join(model_dir, "vocab.json"), encoding="utf-8"))
        lines = open(os.path.join(model_dir, "merges.txt"), encoding="utf-8").read().split("\n")
        merges = [tuple(l.split()) for l in lines if l and not l.startswith("#version")]
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.bytes = byte_table()

    def word(self, w):
        sy = list(w)
        while len(sy) > 1:
            r, i = min((self.ranks.get((sy[i], sy[i + 1]), float("inf")), i) for i in range(len(sy) - 1))
            if r == float("inf"):
                break
            a, b = sy[i], sy[i + 1]
            out, j = [], 0
            while j < len(sy):
                if j + 1 < len(sy) and sy[j] == a and sy[j + 1] == b:
                    out.append(a + b); j += 2
                else:
                    out.append(sy[j]); j += 1
            sy = out
        return [self.encoder[s] for s in sy]

    def encode(self, text):
        return [i for p in PATTERN.findall(text) for i in self.word("".join(self.bytes[b] for b in p.encode("utf-8")))]


def load_tensors(model_dir):
    path = os.path.join(model_dir, "model.safetensors")
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        buf = raw[8 + n + a:8 + n + b]
        if e["dtype"] == "F32":
            arr = np.frombuffer(buf, dtype="<f4")
        elif e["dtype"] == "F16":
            arr = np.frombuffer(buf, dtype="<f2").astype(np.float32)
        elif e["dtype"] == "BF16":
            arr = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            continue
        out[name.removeprefix("transformer.")] = arr.reshape(e["shape"])
    return out


def gelu_new(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def main():
    model_dir, relation_files = sys.argv[1], sys.argv[2:]
    config = json.load(open(os.path.join(model_dir, "config.json")))
    L, H, d = config["n_layer"], config["n_head"], config["n_embd"]
    dh = d // H
    eps = config.get("layer_norm_epsilon", 1e-5)
    t = load_tensors(model_dir)
    bpe = BPE(model_dir)
    W_E = t["wte.weight"]
    W_U = t.get("lm_head.weight", W_E).T
    results = []
    for f in relation_files:
        pairs = json.load(open(f, encoding="utf-8"))
        src, tgt = [], []
        for s, g in pairs:
            a, b = bpe.encode(" " + s), bpe.encode(" " + g)
            if len(a) == 1 and len(b) == 1:
                src.append(a[0]); tgt.append(b[0])
        name = os.path.splitext(os.path.basename(f))[0]
        k = 1 if all(s == g for s, g in pairs) else 10
        x0 = W_E[src]
        mu = x0.mean(-1, keepdims=True)
        var = ((x0 - mu) ** 2).mean(-1, keepdims=True)
        ln = (x0 - mu) / np.sqrt(var + eps) * t["h.0.ln_2.weight"] + t["h.0.ln_2.bias"]
        x1 = gelu_new(ln @ t["h.0.mlp.c_fc.weight"] + t["h.0.mlp.c_fc.bias"]) @ t["h.0.mlp.c_proj.weight"] + t["h.0.mlp.c_proj.bias"]
        scores = np.zeros((L, H)); suppression = np.zeros((L, H))
        rows = np.arange(len(src))
        for l in range(L):
            x = x0 if l == 0 else x1
            qkv, proj = t[f"h.{l}.attn.c_attn.weight"], t[f"h.{l}.attn.c_proj.weight"]
            for h in range(H):
                W_VO = qkv[:, 2 * d + h * dh:2 * d + (h + 1) * dh] @ proj[h * dh:(h + 1) * dh, :]
                logits = x @ W_VO @ W_U
                target = logits[rows, tgt][:, None]
                above = (logits >= target).sum(1) - 1
                below = (logits <= target).sum(1) - 1
                scores[l, h] = (above < k).mean()
                suppression[l, h] = (below < k).mean()
        results.append({"name": name, "k": k, "pairs_kept": len(src),
                        "scores": scores.tolist(), "suppression": suppression.tolist()})
    json.dump({"relations": results}, sys.stdout)


if __name__ == "__main__":
    main()
