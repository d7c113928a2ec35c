"""The oracle files for a real model in GGUF (SmolLM2, Gemma 3), written once.

Needs transformers, torch (CPU), gguf, accelerate and llama-cpp-python, which
the test suite does not install. Writes into OUT_DIR (fixtures/smollm2,
fixtures/gemma3):
- tokenizer.json (with --tokenizer-json): the tokenizer transformers converts
  from the file's metadata;
- oracle.json: for each prompt, the ids llama.cpp's own tokenizer gives
  (`Llama(vocab_only=True).tokenize`, the BOS the file asks for), the ids
  transformers' tokenizer gives, and transformers' top predictions in float32
  on llama.cpp's ids; `columns`, the vocabulary ids whose logits are kept;
- transformers_logits.f32: those last-position logits, little-endian float32,
  prompt after prompt (every id, or every N-th with --every N).
Usage: python3 gguf_oracle.py MODEL.gguf OUT_DIR [--tokenizer-json] [--every N]
"""
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

PROMPTS = [
    "The capital of France is",
    "The capital of Japan is",
    "John and Mary went to the store. John gave a bottle of milk to",
    "One, two, three, four,",
    "In 1999, 42 cats ate 7.5 kg of food!",
    "Don't stop: it's   café time\nnaïve résumé — 東京 🙂",
]


def main():
    path, out = sys.argv[1], sys.argv[2]
    every = int(sys.argv[sys.argv.index("--every") + 1]) if "--every" in sys.argv else 1
    directory, name = os.path.split(os.path.abspath(path))
    tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, dtype=torch.float32).eval()
    if "--tokenizer-json" in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            tokenizer.save_pretrained(tmp)
            shutil.copy(os.path.join(tmp, "tokenizer.json"), os.path.join(out, "tokenizer.json"))
    from llama_cpp import Llama
    llama = Llama(model_path=path, vocab_only=True, verbose=False)
    entries, logits = [], []
    for text in PROMPTS:
        ids = llama.tokenize(text.encode("utf-8"), add_bos=True, special=False)
        with torch.no_grad():
            last = model(torch.tensor([ids])).logits[0, -1].float().numpy()
        columns = list(range(0, last.shape[0], every))
        logits.append(last[columns].astype("<f4"))
        top = np.argsort(-last, kind="stable")[:5]
        entries.append({"text": text, "llama_cpp_ids": ids, "hf_ids": tokenizer(text)["input_ids"],
                        "top": [{"id": int(t), "token": tokenizer.decode([int(t)]), "logit": float(last[t])} for t in top]})
    np.concatenate(logits).tofile(os.path.join(out, "transformers_logits.f32"))
    with open(os.path.join(out, "oracle.json"), "w") as f:
        json.dump({"model": os.path.basename(path), "vocab": int(last.shape[0]), "every": every, "prompts": entries}, f, indent=1,
                  ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
