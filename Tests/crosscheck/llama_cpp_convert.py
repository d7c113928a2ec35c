"""Converts committed tiny Hugging Face checkpoints to GGUF with llama.cpp's own converter.

The GGUF architecture tests read files that llama.cpp's `convert_hf_to_gguf.py` wrote, so the
tensor names, the transpositions (GPT-2's Conv1D weights), the re-ordered fused QKV (GPT-NeoX) and
the metadata are the converter's, not a re-implementation of them. The converter comes with the
llama.cpp source that llama-cpp-python vendors (`pip download --no-binary :all: llama-cpp-python`,
then `vendor/llama.cpp`); it needs torch and transformers, so the files are written once and
committed.

Two things the tiny checkpoints lack are supplied, and nothing else is changed:
- transformers 5 no longer writes GPT-2's `n_ctx` nor GPT-NeoX's `rotary_pct`, which the
  converter reads; they equal `n_positions` and `rope_parameters.partial_rotary_factor`;
- the converter recognises a byte-level BPE tokenizer by hashing its output on a fixed text and
  looking the hash up among the published models; the tiny tokenizers are GPT-2's pre-tokenizer on
  a cut vocabulary, so their pre-tokenizer is named: `gpt-2`.

Usage: python llama_cpp_convert.py LLAMA_CPP_DIR FAMILY...   (FAMILY: gpt2, gpt_neox, phi, qwen3, olmo2, mixtral, olmoe)

The tiny Qwen3-MoE keeps a dense layer (`mlp_only_layers`), which llama.cpp's qwen3moe does not
have, so the converter refuses it; its GGUF names are those of OLMoE's mixture.
Writes fixtures/gguf/<family>.gguf, tensors in float32.
"""
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def convert(llama_cpp: Path, family: str) -> None:
    source = ROOT / "fixtures" / "models" / "hf" / family
    out = ROOT / "fixtures" / "gguf" / f"{family}.gguf"
    sys.argv = ["convert_hf_to_gguf.py", str(source), "--outtype", "f32", "--outfile", str(out)]
    runpy.run_path(str(llama_cpp / "convert_hf_to_gguf.py"), run_name="__main__")
    print(f"wrote {out.relative_to(ROOT)}")


def main() -> None:
    llama_cpp = Path(sys.argv[1]).resolve()
    sys.path.insert(0, str(llama_cpp))
    sys.path.insert(1, str(llama_cpp / "gguf-py"))
    import conversion.base as base  # noqa: E402  (the converter's own module, from LLAMA_CPP_DIR)

    load_hparams = base.ModelBase.load_hparams

    def with_legacy_keys(dir_model, is_mistral_format):
        config = load_hparams(dir_model, is_mistral_format)
        if config.get("model_type") == "gpt2":
            config.setdefault("n_ctx", config["n_positions"])
        if config.get("model_type") == "gpt_neox":
            config.setdefault("rotary_pct", config["rope_parameters"]["partial_rotary_factor"])
        return config

    base.ModelBase.load_hparams = staticmethod(with_legacy_keys)
    base.TextModel.get_vocab_base_pre = lambda self, tokenizer: "gpt-2"
    for family in sys.argv[2:]:
        convert(llama_cpp, family)


if __name__ == "__main__":
    main()
