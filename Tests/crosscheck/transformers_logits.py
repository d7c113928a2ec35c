#!/usr/bin/env python3
"""Writes fixtures/models/hf/gpt2/transformers_logits.json: the logits that
Hugging Face transformers itself computes (GPT2LMHeadModel, float32, eager
attention) for a batch of token id prompts on the committed checkpoint it
wrote. Run once, by hand, with torch and transformers; the test suite compares
HeadMaps' forward pass against the file.
"""
import json, os, sys

import torch
from transformers import GPT2LMHeadModel

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = os.path.join(ROOT, "fixtures/models/hf/gpt2")
PROMPTS = [[464, 3139, 286, 4881, 318, 6342, 13, 383], [12, 5, 900, 1200, 77, 3, 4096, 5999], [0, 1, 2, 3, 4, 5, 6, 7]]


def main():
    model = GPT2LMHeadModel.from_pretrained(MODEL, attn_implementation="eager").eval()
    prompts = [[i % model.config.vocab_size for i in p] for p in PROMPTS]
    with torch.no_grad():
        logits = model(torch.tensor(prompts)).logits[:, -1].tolist()
    out = {"prompts": prompts, "logits_last_position": logits,
           "by": f"transformers {__import__('transformers').__version__}, torch {torch.__version__}, float32"}
    json.dump(out, open(os.path.join(MODEL, "transformers_logits.json"), "w"))


if __name__ == "__main__":
    main()
