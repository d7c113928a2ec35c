#!/usr/bin/env python3
"""GPT-2's forward pass in numpy, independent of HeadMaps (float64, its own
reading of the tensors through maps_numpy.load_tensors), for the forward-pass
tests. Reads a JSON list of equal-length token id lists on stdin; writes the
logits at each prompt's last position as JSON. With --dynamic K, reads
{"prompts", "source_position", "targets"} and writes the dynamic relation
scores' hit counts, [layer][head], with and without context (z at the last
position, or the value vector at the source), top-k of z·W_O[h]·W_U. Usage:
    gpt2_forward_numpy.py MODEL_DIR < prompts.json > logits.json
    gpt2_forward_numpy.py --dynamic K MODEL_DIR < task.json > hits.json
"""
import json, os, sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from maps_numpy import ACTIVATIONS, layer_norm, load_tensors  # noqa: E402


def main():
    args = sys.argv[1:]
    topk = None
    if args[:1] == ["--dynamic"]:
        topk, args = int(args[1]), args[2:]
    model_dir = args[0]
    c = json.load(open(os.path.join(model_dir, "config.json")))
    t = {k: v.astype(np.float64) for k, v in load_tensors(model_dir).items()}
    L, H, d = c["n_layer"], c["n_head"], c["n_embd"]
    dh, eps = d // H, c.get("layer_norm_epsilon", 1e-5)
    act = ACTIVATIONS[c.get("activation_function", "gelu_new")]
    task = json.load(sys.stdin)
    batch = np.array(task["prompts"] if topk is not None else task)
    B, T = batch.shape
    W_U = t.get("lm_head.weight", t["wte.weight"])
    largest_u = float(np.sqrt((W_U.astype(np.float64) ** 2).sum(1)).max())
    hits = {"with_context": np.zeros((L, H), int), "without_context": np.zeros((L, H), int)}
    x = t["wte.weight"][batch] + t["wpe.weight"][:T][None]
    mask = np.triu(np.full((T, T), -np.inf), 1)
    for l in range(L):
        p = f"h.{l}."
        h = layer_norm(x, t[p + "ln_1.weight"], t[p + "ln_1.bias"], eps)
        qkv = h @ t[p + "attn.c_attn.weight"] + t[p + "attn.c_attn.bias"]
        q, k, v = (qkv[..., i * d:(i + 1) * d].reshape(B, T, H, dh).transpose(0, 2, 1, 3) for i in range(3))
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(dh) + mask
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        z = (scores / scores.sum(-1, keepdims=True)) @ v
        if topk is not None:
            rows = np.arange(B)
            for name, zz in (("with_context", z[:, :, -1]), ("without_context", v[:, :, task["source_position"]])):
                for hh in range(H):
                    moved = zz[:, hh] @ t[p + "attn.c_proj.weight"][hh * dh:(hh + 1) * dh]
                    logits = moved @ W_U.T
                    target = logits[rows, task["targets"]][:, None]
                    # HeadMaps' tie rule: logits within 2^-16 · ‖moved‖ · max‖W_U[t]‖ tie with the target's.
                    margin = (2.0 ** -16 * np.sqrt((moved.astype(np.float64) ** 2).sum(1)) * largest_u).astype(np.float32)[:, None]
                    hits[name][l, hh] = int((((logits >= target - margin).sum(1) - 1) < topk).sum())
        x = x + z.transpose(0, 2, 1, 3).reshape(B, T, d) @ t[p + "attn.c_proj.weight"] + t[p + "attn.c_proj.bias"]
        h2 = layer_norm(x, t[p + "ln_2.weight"], t[p + "ln_2.bias"], eps)
        x = x + act(h2 @ t[p + "mlp.c_fc.weight"] + t[p + "mlp.c_fc.bias"]) @ t[p + "mlp.c_proj.weight"] + t[p + "mlp.c_proj.bias"]
    if topk is not None:
        json.dump({name: h.tolist() for name, h in hits.items()}, sys.stdout)
        return
    final = layer_norm(x[:, -1], t["ln_f.weight"], t["ln_f.bias"], eps)
    json.dump((final @ W_U.T).tolist(), sys.stdout)


if __name__ == "__main__":
    main()
