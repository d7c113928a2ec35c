"""llama.cpp's own token ids for texts, from a GGUF file's metadata, written once
(llama-cpp-python, which the test suite does not install): the BOS the file
asks for, no special-token parsing, as `llama-cli` tokenizes a prompt. Usage:
    python3 llama_cpp_token_ids.py MODEL.gguf TEXTS.json > ids.json
"""
import json
import sys

from llama_cpp import Llama


def main():
    llama = Llama(model_path=sys.argv[1], vocab_only=True, verbose=False)
    texts = json.load(open(sys.argv[2]))
    json.dump([{"text": t, "ids": llama.tokenize(t.encode("utf-8"), add_bos=True, special=False)} for t in texts],
              sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
