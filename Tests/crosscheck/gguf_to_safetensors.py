"""A GGUF file of the Llama family as a Hugging Face folder, independently
of HeadMaps: `gguf`'s dequantization (llama.cpp's reference), its own undoing
of llama.cpp's rotary row order in Q and K, transformers' tensor names,
float32 safetensors written by hand, config.json from the metadata, and a
tokenizer.json given. Usage:
    python3 gguf_to_safetensors.py MODEL.gguf TOKENIZER_JSON OUT_DIR
"""
import json
import os
import shutil
import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize


def field(reader, key):
    f = reader.fields[key]
    return f.contents()


def unpermute(w, heads):
    # llama.cpp stores head h's rows as (i, half) pairs; transformers as (half, i).
    rows = w.shape[0]
    return w.reshape(heads, rows // heads // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def main():
    path, tokenizer, out = sys.argv[1:4]
    reader = GGUFReader(path)
    arch = field(reader, "general.architecture")
    assert arch == "llama", arch
    heads = field(reader, f"{arch}.attention.head_count")
    kv_heads = field(reader, f"{arch}.attention.head_count_kv")
    names = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight", "output.weight": "lm_head.weight"}
    block = {"attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
             "attn_output": "self_attn.o_proj", "ffn_norm": "post_attention_layernorm", "ffn_gate": "mlp.gate_proj",
             "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"}
    tensors = {}
    for t in reader.tensors:
        values = dequantize(t.data, t.tensor_type).astype(np.float32).reshape([int(d) for d in reversed(t.shape)])
        parts = t.name.split(".")
        if t.name in names:
            name = names[t.name]
        else:
            name = f"model.layers.{parts[1]}.{block[parts[2]]}.{parts[3]}"
            if parts[2] == "attn_q":
                values = unpermute(values, heads)
            elif parts[2] == "attn_k":
                values = unpermute(values, kv_heads)
        tensors[name] = np.ascontiguousarray(values)
    os.makedirs(out, exist_ok=True)
    header, offset = {}, 0
    for name in sorted(tensors):
        size = tensors[name].nbytes
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + size]}
        offset += size
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(len(encoded).to_bytes(8, "little"))
        f.write(encoded)
        for name in sorted(tensors):
            f.write(tensors[name].tobytes())
    config = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": int(field(reader, f"{arch}.embedding_length")),
              "num_hidden_layers": int(field(reader, f"{arch}.block_count")), "num_attention_heads": int(heads),
              "num_key_value_heads": int(kv_heads), "intermediate_size": int(field(reader, f"{arch}.feed_forward_length")),
              "vocab_size": int(tensors["model.embed_tokens.weight"].shape[0]), "tie_word_embeddings": "lm_head.weight" not in tensors,
              "rms_norm_eps": float(field(reader, f"{arch}.attention.layer_norm_rms_epsilon")),
              "rope_theta": float(field(reader, f"{arch}.rope.freq_base")),
              "max_position_embeddings": int(field(reader, f"{arch}.context_length")), "hidden_act": "silu"}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    shutil.copy(tokenizer, os.path.join(out, "tokenizer.json"))


if __name__ == "__main__":
    main()
