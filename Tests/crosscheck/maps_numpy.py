#!/usr/bin/env python3
"""MAPS relation scores computed independently of HeadMaps, the way the paper's
code computes them: per head W_VO = W_V @ W_O, the full [n, vocab] logit matrix
x @ W_VO @ W_U, then the target's rank in each row.

Own safetensors reader (numpy; shards, F32/F16/BF16), its own reading of each
family's tensor names (GPT-2, GPT-NeoX, Phi, Llama/Mistral, Qwen2, Gemma 2),
own GPT-2 BPE for vocab.json + merges.txt (the `regex` module with the
published pattern), Hugging Face `tokenizers` for tokenizer.json. Ties count against the target, as in HeadMaps (only sparse
planted weights produce exact ties). Usage:
    maps_numpy.py [--k K] MODEL_DIR RELATION_JSON [RELATION_JSON...] > scores.json
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


def read_safetensors(path):
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
        out[name] = arr.reshape(e["shape"])
    return out


def load_tensors(model_dir):
    single = os.path.join(model_dir, "model.safetensors")
    if os.path.exists(single):
        files = [single]
    else:
        index = json.load(open(os.path.join(model_dir, "model.safetensors.index.json")))
        files = [os.path.join(model_dir, f) for f in sorted(set(index["weight_map"].values()))]
    out = {}
    for f in files:
        for name, arr in read_safetensors(f).items():
            for prefix in ("transformer.", "model.", "gpt_neox."):
                if name.startswith(prefix):
                    name = name[len(prefix):]
                    break
            out[name] = arr
    return out


def gelu_new(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def gelu(x):
    from math import erf
    return 0.5 * x * (1 + np.vectorize(erf)(x / np.sqrt(2)).astype(np.float32))


ACTIVATIONS = {"gelu_new": gelu_new, "gelu_pytorch_tanh": gelu_new, "gelu": gelu, "relu": lambda x: np.maximum(x, 0),
               "silu": lambda x: x / (1 + np.exp(-x))}


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def rms_norm(x, w, eps):
    return x / np.sqrt((x ** 2).mean(-1, keepdims=True) + eps) * w


class Model:
    """The canonical pieces, read by family from the checkpoint's own names."""

    def __init__(self, model_dir):
        c = json.load(open(os.path.join(model_dir, "config.json")))
        t = load_tensors(model_dir)
        kind = c["model_type"]
        self.scale = 1.0
        if kind == "gpt2":
            self.L, self.H, d = c["n_layer"], c["n_head"], c["n_embd"]
            dh, eps = d // self.H, c.get("layer_norm_epsilon", 1e-5)
            self.W_E = t["wte.weight"]
            self.W_U = t.get("lm_head.weight", self.W_E).T
            act = ACTIVATIONS[c.get("activation_function", "gelu_new")]
            self.mlp0 = lambda x: act(layer_norm(x, t["h.0.ln_2.weight"], t["h.0.ln_2.bias"], eps) @ t["h.0.mlp.c_fc.weight"]
                                      + t["h.0.mlp.c_fc.bias"]) @ t["h.0.mlp.c_proj.weight"] + t["h.0.mlp.c_proj.bias"]
            self.ov = lambda l, h: (t[f"h.{l}.attn.c_attn.weight"][:, 2 * d + h * dh:2 * d + (h + 1) * dh],
                                    t[f"h.{l}.attn.c_proj.weight"][h * dh:(h + 1) * dh, :])
            return
        self.L, self.H, d = c["num_hidden_layers"], c["num_attention_heads"], c["hidden_size"]
        kv = c.get("num_key_value_heads") or self.H
        dh = c.get("head_dim") or d // self.H
        group = self.H // kv
        if kind == "gpt_neox":
            eps = c.get("layer_norm_eps", 1e-5)
            self.W_E = t["embed_in.weight"]
            self.W_U = t.get("embed_out.weight", self.W_E).T
            act = ACTIVATIONS[c.get("hidden_act", "gelu")]
            p = "layers.0."
            self.mlp0 = lambda x: act(layer_norm(x, t[p + "post_attention_layernorm.weight"], t[p + "post_attention_layernorm.bias"], eps)
                                      @ t[p + "mlp.dense_h_to_4h.weight"].T + t[p + "mlp.dense_h_to_4h.bias"]) \
                @ t[p + "mlp.dense_4h_to_h.weight"].T + t[p + "mlp.dense_4h_to_h.bias"]
            self.ov = lambda l, h: (t[f"layers.{l}.attention.query_key_value.weight"][h * 3 * dh + 2 * dh:(h + 1) * 3 * dh].T,
                                    t[f"layers.{l}.attention.dense.weight"][:, h * dh:(h + 1) * dh].T)
            return
        self.W_E = t["embed_tokens.weight"]
        self.W_U = t.get("lm_head.weight", self.W_E).T
        out_name = "dense" if kind == "phi" else "o_proj"
        if kind == "phi3":
            # qkv_proj holds [q | k | v] rows: values start after every query and key head.
            start = (self.H + kv) * dh
            self.ov = lambda l, h: (t[f"layers.{l}.self_attn.qkv_proj.weight"][start + (h // group) * dh:start + (h // group + 1) * dh].T,
                                    t[f"layers.{l}.self_attn.o_proj.weight"][:, h * dh:(h + 1) * dh].T)
        else:
            self.ov = lambda l, h: (t[f"layers.{l}.self_attn.v_proj.weight"][(h // group) * dh:(h // group + 1) * dh].T,
                                    t[f"layers.{l}.self_attn.{out_name}.weight"][:, h * dh:(h + 1) * dh].T)
        p = "layers.0."
        if kind == "phi":
            eps, act = c.get("layer_norm_eps", 1e-5), ACTIVATIONS[c.get("hidden_act", "gelu_new")]
            self.mlp0 = lambda x: act(layer_norm(x, t[p + "input_layernorm.weight"], t[p + "input_layernorm.bias"], eps)
                                      @ t[p + "mlp.fc1.weight"].T + t[p + "mlp.fc1.bias"]) @ t[p + "mlp.fc2.weight"].T + t[p + "mlp.fc2.bias"]
            return
        eps = c.get("rms_norm_eps", 1e-6)
        if kind in ("gemma2", "gemma3_text"):
            act = ACTIVATIONS[c.get("hidden_activation") or c.get("hidden_act") or "gelu_pytorch_tanh"]
            w = 1 + t[p + "pre_feedforward_layernorm.weight"]
            self.scale = np.float32(np.sqrt(d))
        else:
            act = ACTIVATIONS[c.get("hidden_act", "silu")]
            w = t[p + "post_attention_layernorm.weight"] if kind != "olmo2" else None


        moe = {"mixtral": ("block_sparse_moe", "w1", "w3", "w2"), "olmoe": ("mlp", "gate_proj", "up_proj", "down_proj"),
               "qwen3_moe": ("mlp", "gate_proj", "up_proj", "down_proj")}.get(kind)
        if moe and p + moe[0] + ".gate.weight" in t:
            # A mixture: each token through its top-k experts by router probability, weighted.
            block, g, u, dn = moe
            router = t[p + block + ".gate.weight"]
            experts = c.get("num_local_experts") or c["num_experts"]
            k = c["num_experts_per_tok"]
            normalizes = kind == "mixtral" or c.get("norm_topk_prob", False)

            def mlp0(x):
                n = rms_norm(x, w, eps)
                logits = (n @ router.T).astype(np.float64)
                probs = np.exp(logits - logits.max(axis=1, keepdims=True))
                probs /= probs.sum(axis=1, keepdims=True)
                top = np.argsort(-probs, axis=1, kind="stable")[:, :k]
                weights = np.take_along_axis(probs, top, axis=1)
                if normalizes:
                    weights /= weights.sum(axis=1, keepdims=True)
                out = np.zeros_like(n)
                for e in range(experts):
                    q = p + f"{block}.experts.{e}."
                    y = (act(n @ t[q + g + ".weight"].T) * (n @ t[q + u + ".weight"].T)) @ t[q + dn + ".weight"].T
                    chosen = (top == e)
                    out += y * (weights * chosen).sum(axis=1, keepdims=True).astype(np.float32)
                return out
            self.mlp0 = mlp0
            return

        if kind == "phi3":
            gate_up = t[p + "mlp.gate_up_proj.weight"]
            gate, up = gate_up[:gate_up.shape[0] // 2], gate_up[gate_up.shape[0] // 2:]
        else:
            gate, up = t[p + "mlp.gate_proj.weight"], t[p + "mlp.up_proj.weight"]
        def mlp0(x):
            if kind == "olmo2":
                # No norm in front; the branch's output norm is part of what joins the stream.
                out = (act(x @ gate.T) * (x @ up.T)) @ t[p + "mlp.down_proj.weight"].T
                return rms_norm(out, t[p + "post_feedforward_layernorm.weight"], eps)
            n = rms_norm(x, w, eps)
            return (act(n @ gate.T) * (n @ up.T)) @ t[p + "mlp.down_proj.weight"].T
        self.mlp0 = mlp0


def tokenizer_for(model_dir):
    path = os.path.join(model_dir, "tokenizer.json")
    if os.path.exists(path):
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(path)
        return lambda text: tok.encode(text, add_special_tokens=False).ids
    return BPE(model_dir).encode


def main():
    args = sys.argv[1:]
    k_override = None
    if args[:1] == ["--k"]:
        k_override, args = int(args[1]), args[2:]
    model_dir, relation_files = args[0], args[1:]
    m = Model(model_dir)
    encode = tokenizer_for(model_dir)
    vocab_rows = m.W_E.shape[0]
    llama3 = json.load(open(os.path.join(model_dir, "config.json"))).get("model_type") == "llama" and vocab_rows >= 128000
    results = []
    for f in relation_files:
        pairs = json.load(open(f, encoding="utf-8"))
        src, tgt = [], []
        for s, g in pairs:
            a, b = encode(" " + s), encode(" " + g)
            if len(a) == 1 and len(b) == 1 and a[0] < vocab_rows and b[0] < vocab_rows:
                src.append(a[0]); tgt.append(b[0])
        name = os.path.splitext(os.path.basename(f))[0]
        copying = all(s == g for s, g in pairs)
        k = k_override or ((3 if copying else 25) if llama3 else (1 if copying else 10))
        if not src:
            results.append({"name": name, "k": k, "pairs_kept": 0})
            continue
        x0 = m.W_E[src] * m.scale
        x1 = m.mlp0(x0)
        scores = np.zeros((m.L, m.H)); suppression = np.zeros((m.L, m.H))
        rows = np.arange(len(src))
        largest_u = float(np.sqrt((m.W_U.astype(np.float64) ** 2).sum(0)).max())
        for l in range(m.L):
            x = x0 if l == 0 else x1
            for h in range(m.H):
                W_V, W_O = m.ov(l, h)
                moved = x @ (W_V @ W_O)
                logits = moved @ m.W_U
                target = logits[rows, tgt][:, None]
                # HeadMaps' tie rule: logits within 2^-16 · ‖x·W_V·W_O‖ · max‖W_U[:, t]‖ tie with the target's.
                margin = (2.0 ** -16 * np.sqrt((moved.astype(np.float64) ** 2).sum(1)) * largest_u).astype(np.float32)[:, None]
                above = (logits >= target - margin).sum(1) - 1
                below = (logits <= target + margin).sum(1) - 1
                scores[l, h] = int((above < k).sum()) / len(src)  # exact, as count / kept
                suppression[l, h] = int((below < k).sum()) / len(src)
        results.append({"name": name, "k": k, "pairs_kept": len(src),
                        "scores": scores.tolist(), "suppression": suppression.tolist()})
    json.dump({"relations": results}, sys.stdout)


if __name__ == "__main__":
    main()
