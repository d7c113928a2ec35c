"""Copies a GGUF file with one token more in its tokenizer than its embedding has rows: a broken file
that the tests expect HeadMaps to refuse, naming the key.

Usage: python gguf_with_extra_token.py IN.gguf OUT.gguf   (needs the `gguf` package)
"""
import sys
import gguf
src, dst = sys.argv[1], sys.argv[2]
r = gguf.GGUFReader(src)
w = gguf.GGUFWriter(dst, arch=r.fields["general.architecture"].contents())
for f in r.fields.values():
    if f.name.startswith("GGUF.") or f.name == "general.architecture":
        continue
    value = f.contents()
    if f.name == "tokenizer.ggml.tokens":
        value = value + ["<extra>"]
    if f.name == "tokenizer.ggml.token_type":
        value = value + [1]
    array = f.types[0] == gguf.GGUFValueType.ARRAY
    w.add_key_value(f.name, value, f.types[0], sub_type=f.types[-1] if array else None)
for t in r.tensors:
    w.add_tensor(t.name, t.data, raw_shape=list(reversed([int(x) for x in t.shape])), raw_dtype=t.tensor_type)
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
