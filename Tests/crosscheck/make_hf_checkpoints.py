#!/usr/bin/env python3
"""Writes the tiny checkpoints in fixtures/models/hf/ with Hugging Face
transformers itself (save_pretrained) and tokenizers (a BPE trained on the
built-in relations' words), one per supported family, so that HeadMaps is
tested on files it did not write. Run once, by hand, with torch, transformers
and tokenizers installed (the test suite does not need them):

    python3 Tests/crosscheck/make_hf_checkpoints.py fixtures/models/hf [FAMILY...]

(with families named, only those are written).

Weights are random (seeded) except that every head of layer 0 is made a
copying-like head, W_O[h] = c_h · W_V[h]ᵀ, and an untied output embedding is
the input one plus noise, so that scores spread over (0, 1) and a comparison
of two implementations has something to disagree on.
"""
import glob, json, os, sys

import torch
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from transformers import (Gemma2Config, Gemma2ForCausalLM, Gemma3ForCausalLM, Gemma3TextConfig, GPT2Config, GPT2LMHeadModel,
                          GPTNeoXConfig, GPTNeoXForCausalLM, LlamaConfig, Olmo2Config, Olmo2ForCausalLM, LlamaForCausalLM, Phi3Config, Phi3ForCausalLM, PhiConfig,
                          PhiForCausalLM, PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM, Qwen3Config, Qwen3ForCausalLM,
                          MixtralConfig, MixtralForCausalLM, OlmoeConfig, OlmoeForCausalLM, Qwen3MoeConfig, Qwen3MoeForCausalLM)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LLAMA3_PATTERN = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
VOCAB = 6000


def relation_text():
    words = []
    for path in sorted(glob.glob(os.path.join(ROOT, "Sources/Analysis/Relations/*.json"))):
        for source, target in json.load(open(path, encoding="utf-8")):
            words += [source, target]
    return [" " + " ".join(words[i:i + 20]) for i in range(0, len(words), 20)]


def tokenizer(kind):
    if kind == "sentencepiece":
        tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
        tok.normalizer = normalizers.Replace(" ", "▁")
        tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
        specials = ["<pad>", "<eos>", "<bos>", "<unk>"]
        trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=specials + [f"<0x{b:02X}>" for b in range(256)],
                                      show_progress=False)
    else:
        tok = Tokenizer(models.BPE())
        if kind == "llama3":
            tok.pre_tokenizer = pre_tokenizers.Sequence([
                pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated"),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        else:
            tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        specials = ["<|endoftext|>"]
        trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=specials, show_progress=False,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    if kind == "sentencepiece":
        # Trained on words, as SentencePiece does; encoding then runs on the
        # whole normalised text, as Gemma's tokenizer.json has no pre-tokenizer.
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="never", split=True)
        tok.train_from_iterator(relation_text(), trainer)
        tok.pre_tokenizer = None
    else:
        tok.train_from_iterator(relation_text(), trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=specials[1] if kind == "sentencepiece" else specials[0])


def copying_layer0(model, v_weight, o_weight, heads, kv_heads, dh, fused_neox=False):
    """W_O[h] = c_h · W_V[h]ᵀ for every head of layer 0 ([out, in] weights)."""
    with torch.no_grad():
        d = o_weight.shape[0]
        for h in range(heads):
            g = h // (heads // kv_heads)
            if fused_neox:
                v = v_weight[h * 3 * dh + 2 * dh:(h + 1) * 3 * dh]  # [dh, d]
            else:
                v = v_weight[g * dh:(g + 1) * dh]  # [dh, d]
            # W_O[h] is o_weight[:, h·dh:(h+1)·dh]ᵀ ([dh, d]); set it to c · W_V[h]ᵀ ([dh, d] = v).
            o_weight[:, h * dh:(h + 1) * dh] = (0.5 + 0.5 * h) * v.T


def main(out, only):
    torch.manual_seed(0)
    L, H, d, inter, pos = 2, 4, 16, 32, 64
    families = {
        "gpt2": (GPT2Config(n_layer=L, n_head=H, n_embd=d, n_positions=pos, vocab_size=VOCAB), GPT2LMHeadModel, "gpt2", None),
        "gpt_neox": (GPTNeoXConfig(num_hidden_layers=L, num_attention_heads=H, hidden_size=d, intermediate_size=inter,
                                   max_position_embeddings=pos, vocab_size=VOCAB + 36, hidden_act="gelu", tie_word_embeddings=False),
                     GPTNeoXForCausalLM, "bytelevel", None),
        "phi": (PhiConfig(num_hidden_layers=L, num_attention_heads=H, hidden_size=d, intermediate_size=inter, max_position_embeddings=pos,
                          vocab_size=VOCAB + 20, tie_word_embeddings=False), PhiForCausalLM, "bytelevel", None),
        "llama": (LlamaConfig(num_hidden_layers=L, num_attention_heads=H, num_key_value_heads=2, hidden_size=d, intermediate_size=inter,
                              max_position_embeddings=pos, vocab_size=VOCAB, tie_word_embeddings=False),
                  LlamaForCausalLM, "llama3", torch.bfloat16),
        "qwen2": (Qwen2Config(num_hidden_layers=L, num_attention_heads=H, num_key_value_heads=2, hidden_size=d, intermediate_size=inter,
                              max_position_embeddings=pos, vocab_size=VOCAB, tie_word_embeddings=True),
                  Qwen2ForCausalLM, "llama3", None),
        "gemma2": (Gemma2Config(num_hidden_layers=L, num_attention_heads=H, num_key_value_heads=2, head_dim=8, hidden_size=d,
                                intermediate_size=inter, max_position_embeddings=pos, vocab_size=VOCAB, tie_word_embeddings=True),
                   Gemma2ForCausalLM, "sentencepiece", None),
        # One sliding layer (window 3, shorter than the prompts) and one global, each with its rotary base.
        "gemma3": (Gemma3TextConfig(num_hidden_layers=L, num_attention_heads=H, num_key_value_heads=2, head_dim=8, hidden_size=d,
                                    intermediate_size=inter, max_position_embeddings=pos, vocab_size=VOCAB, tie_word_embeddings=True,
                                    sliding_window=3, layer_types=["sliding_attention", "full_attention"], query_pre_attn_scalar=8),
                   Gemma3ForCausalLM, "sentencepiece", None),
        # head_dim 8 apart from d / heads = 4.
        "qwen3": (Qwen3Config(num_hidden_layers=L, num_attention_heads=H, num_key_value_heads=2, head_dim=8, hidden_size=d,
                              intermediate_size=inter, max_position_embeddings=pos, vocab_size=VOCAB, tie_word_embeddings=True),
                  Qwen3ForCausalLM, "llama3", None),
    }
    # Fused qkv_proj and gate_up_proj, rotary on half of each head.
    families["phi3"] = (Phi3Config(num_hidden_layers=L, num_attention_heads=H, num_key_value_heads=2, hidden_size=d, intermediate_size=inter,
                                   max_position_embeddings=pos, vocab_size=VOCAB, tie_word_embeddings=False, partial_rotary_factor=0.5,
                                   sliding_window=None, pad_token_id=0, bos_token_id=1, eos_token_id=2),
                        Phi3ForCausalLM, "llama3", None)
    # Norms on the branch outputs, q/k norms over the whole projection.
    families["olmo2"] = (Olmo2Config(num_hidden_layers=L, num_attention_heads=H, num_key_value_heads=2, hidden_size=d, intermediate_size=inter,
                                     max_position_embeddings=pos, vocab_size=VOCAB, tie_word_embeddings=False, pad_token_id=0,
                                     bos_token_id=1, eos_token_id=2),
                         Olmo2ForCausalLM, "llama3", None)
    # Mixtures of 4 gated experts, 2 per token: Mixtral (renormalised top-k),
    # OLMoE (q/k norms over the projection, top-k as they are), Qwen3-MoE
    # (renormalised; layer 1 keeps a dense MLP of its own width).
    families["mixtral"] = (MixtralConfig(num_hidden_layers=L, num_attention_heads=H, num_key_value_heads=2, hidden_size=d,
                                         intermediate_size=inter, num_local_experts=4, num_experts_per_tok=2,
                                         max_position_embeddings=pos, vocab_size=VOCAB, tie_word_embeddings=False),
                           MixtralForCausalLM, "bytelevel", None)
    families["olmoe"] = (OlmoeConfig(num_hidden_layers=L, num_attention_heads=H, num_key_value_heads=2, hidden_size=d,
                                     intermediate_size=inter, num_experts=4, num_experts_per_tok=2, max_position_embeddings=pos,
                                     vocab_size=VOCAB, tie_word_embeddings=False, pad_token_id=0, bos_token_id=None,
                                     eos_token_id=0),
                         OlmoeForCausalLM, "bytelevel", None)
    families["qwen3_moe"] = (Qwen3MoeConfig(num_hidden_layers=L, num_attention_heads=H, num_key_value_heads=2, head_dim=8,
                                            hidden_size=d, intermediate_size=inter, moe_intermediate_size=24, num_experts=4,
                                            num_experts_per_tok=2, norm_topk_prob=True, mlp_only_layers=[1],
                                            max_position_embeddings=pos, vocab_size=VOCAB, tie_word_embeddings=False),
                             Qwen3MoeForCausalLM, "llama3", None)
    for name, (config, cls, tok_kind, dtype) in families.items():
        if only and name not in only:
            continue
        torch.manual_seed(len(name))
        model = cls(config).eval()
        with torch.no_grad():
            for p in model.parameters():  # spread the values: random init is tiny for a 32-wide model
                p.mul_(4)
        heads = config.num_attention_heads if name != "gpt2" else config.n_head
        kv = getattr(config, "num_key_value_heads", None) or heads
        width = d if name == "gpt2" else config.hidden_size
        dh = getattr(config, "head_dim", None) or width // heads
        if name == "gpt2":
            attn = model.transformer.h[0].attn
            # Conv1D stores [in, out]: value columns 2d.., c_proj rows per head.
            with torch.no_grad():
                for h in range(heads):
                    v = attn.c_attn.weight[:, 2 * d + h * dh:2 * d + (h + 1) * dh]  # [d, dh]
                    attn.c_proj.weight[h * dh:(h + 1) * dh, :] = (0.5 + 0.5 * h) * v.T
        elif name == "gpt_neox":
            a = model.gpt_neox.layers[0].attention
            copying_layer0(model, a.query_key_value.weight, a.dense.weight, heads, heads, dh, fused_neox=True)
        elif name == "phi3":
            a = model.model.layers[0].self_attn
            copying_layer0(model, a.qkv_proj.weight[(heads + kv) * dh:], a.o_proj.weight, heads, kv, dh)
        else:
            a = model.model.layers[0].self_attn
            copying_layer0(model, a.v_proj.weight, (a.dense if name == "phi" else a.o_proj).weight, heads, kv, dh)
        out_embeddings = model.get_output_embeddings()
        if out_embeddings.weight is not model.get_input_embeddings().weight:
            # Untied, but near the input embedding, so that copying-like heads copy.
            with torch.no_grad():
                rows = model.get_input_embeddings().weight.shape[0]
                out_embeddings.weight[:rows] = model.get_input_embeddings().weight + 0.25 * torch.randn_like(model.get_input_embeddings().weight)
        if dtype is not None:
            model = model.to(dtype)
        target = os.path.join(out, name)
        model.save_pretrained(target, safe_serialization=True, max_shard_size="100KB" if name == "llama" else "1GB")
        tokenizer(tok_kind).save_pretrained(target)
        print("wrote", target, sorted(os.listdir(target)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "fixtures/models/hf"), sys.argv[2:])
