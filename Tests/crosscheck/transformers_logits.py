#!/usr/bin/env python3
"""Writes transformers_logits.json beside the committed Hugging Face
checkpoints (fixtures/models/hf/*, every family): the logits that
transformers itself computes (AutoModelForCausalLM, float32, eager attention)
at the last position of a batch of token id prompts. For Llama also with the
config's rotary scaling replaced by Llama 3.1's (`llama3`), whose frequencies
the forward pass must rescale. Run once, by hand, with torch and transformers;
the test suite compares HeadMaps' forward pass against the files. With
families named (`transformers_logits.py gemma3 qwen3`), only theirs.
"""
import copy, json, os, sys

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROMPTS = [[464, 3139, 286, 4881, 318, 6342, 13, 383], [12, 5, 900, 1200, 77, 3, 4096, 5999], [0, 1, 2, 3, 4, 5, 6, 7]]
# Llama 3.1's scaling, with a short original context so that it changes these short prompts' angles.
LLAMA3_ROPE = {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
               "high_freq_factor": 4.0, "original_max_position_embeddings": 16}


def logits(directory, rope=None):
    config = AutoConfig.from_pretrained(directory)
    if rope is not None:
        config.rope_parameters = copy.deepcopy(rope)
    model = AutoModelForCausalLM.from_pretrained(directory, config=config, dtype=torch.float32, attn_implementation="eager").eval()
    prompts = [[i % model.config.vocab_size for i in p] for p in PROMPTS]
    with torch.no_grad():
        return prompts, model(torch.tensor(prompts)).logits[:, -1].tolist()


def main():
    by = f"transformers {transformers.__version__}, torch {torch.__version__}, float32, eager attention"
    for family in sys.argv[1:] or ["gpt2", "gpt_neox", "phi", "llama", "qwen2", "gemma2", "gemma3", "qwen3", "phi3", "olmo2",
                                     "mixtral", "olmoe", "qwen3_moe"]:
        directory = os.path.join(ROOT, "fixtures/models/hf", family)
        prompts, last = logits(directory)
        out = {"prompts": prompts, "logits_last_position": last, "by": by}
        if family == "gpt_neox":
            # The sequential residual (use_parallel_residual false), as some GPT-NeoX models have.
            sequential = AutoConfig.from_pretrained(directory)
            sequential.use_parallel_residual = False
            model = AutoModelForCausalLM.from_pretrained(directory, config=sequential, dtype=torch.float32, attn_implementation="eager").eval()
            with torch.no_grad():
                out["logits_last_position_sequential_residual"] = model(torch.tensor(prompts)).logits[:, -1].tolist()
        if family == "gemma2":
            # Gemma 2's sliding layers with a window shorter than the prompts.
            directory_config = AutoConfig.from_pretrained(directory)
            directory_config.sliding_window = 3
            model = AutoModelForCausalLM.from_pretrained(directory, config=directory_config, dtype=torch.float32, attn_implementation="eager").eval()
            with torch.no_grad():
                out["logits_last_position_sliding_window_3"] = model(torch.tensor(prompts)).logits[:, -1].tolist()
        if family == "llama":
            _, scaled = logits(directory, LLAMA3_ROPE)
            out["rope_parameters_llama3"] = LLAMA3_ROPE
            out["logits_last_position_llama3_rope"] = scaled
        with open(os.path.join(directory, "transformers_logits.json"), "w") as f:
            json.dump(out, f)
        print(family, "written")


if __name__ == "__main__":
    main()
