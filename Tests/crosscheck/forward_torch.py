#!/usr/bin/env python3
"""What a user would run instead of `headmaps forward`: Hugging Face
transformers on torch (CPU, every core), the same batch of prompts through the
same checkpoint, timed. The bench runs it when torch and transformers are
importable (CI installs neither). Usage:
    forward_torch.py MODEL_DIR PROMPTS TOKENS VOCAB REPEATS
Builds the bench's batch (prompt p, position t: token (31·p + 7·t) mod VOCAB)
and prints the best wall time in seconds of one forward pass over it."""
import sys, time

import torch
from transformers import AutoModelForCausalLM


def main():
    directory, prompts, tokens, vocab, repeats = sys.argv[1], *map(int, sys.argv[2:6])
    torch.set_grad_enabled(False)
    model = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32).eval()
    batch = torch.tensor([[(p * 31 + t * 7) % vocab for t in range(tokens)] for p in range(prompts)])
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        # Logits at the last position only, as headmaps computes them.
        model(batch, logits_to_keep=1)
        best = min(best, time.perf_counter() - start)
    print(best)


if __name__ == "__main__":
    main()
