"""Random-weight checkpoints shaped like real large models, for bench/model-scale.sh (issue 17, outcome 2).

  python3 bench/model_scale_weights.py pythia-1.4b DIR   # gpt_neox, 24 x 2048, vocab 50304, f16  (2.8 GB)
  python3 bench/model_scale_weights.py llama-7b DIR      # llama, 32 x 4096, vocab 32000, bf16    (13.5 GB)

Writes DIR/config.json, DIR/model.safetensors (tensor by tensor, so memory stays at one tensor) and DIR/tokenizer.json
(the decoder fixtures' small word-level vocabulary: only the weights' shapes matter here). Weights are N(0, 0.02),
norms 1; values are seeded, so two runs write the same file.
"""
import json
import os
import struct
import sys

import numpy as np

SHAPES = {
    "pythia-1.4b": dict(model_type="gpt_neox", hidden_size=2048, num_hidden_layers=24, num_attention_heads=16,
                        intermediate_size=8192, vocab_size=50304, rotary_pct=0.25, rotary_emb_base=10000,
                        max_position_embeddings=2048, layer_norm_eps=1e-5, use_parallel_residual=True,
                        hidden_act="gelu", tie_word_embeddings=False, bos_token_id=0, eos_token_id=0, dtype="F16"),
    "llama-7b": dict(model_type="llama", hidden_size=4096, num_hidden_layers=32, num_attention_heads=32,
                     num_key_value_heads=32, intermediate_size=11008, vocab_size=32000, max_position_embeddings=4096,
                     rms_norm_eps=1e-5, rope_theta=10000.0, hidden_act="silu", tie_word_embeddings=False,
                     bos_token_id=1, eos_token_id=2, dtype="BF16"),
}


def tensors(cfg):
    c, f, v, n = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"], cfg["num_hidden_layers"]
    if cfg["model_type"] == "gpt_neox":
        yield "gpt_neox.embed_in.weight", (v, c)
        for l in range(n):
            p = "gpt_neox.layers.%d." % l
            for name, shape in [("input_layernorm.weight", (c,)), ("input_layernorm.bias", (c,)),
                                ("post_attention_layernorm.weight", (c,)), ("post_attention_layernorm.bias", (c,)),
                                ("attention.query_key_value.weight", (3 * c, c)), ("attention.query_key_value.bias", (3 * c,)),
                                ("attention.dense.weight", (c, c)), ("attention.dense.bias", (c,)),
                                ("mlp.dense_h_to_4h.weight", (f, c)), ("mlp.dense_h_to_4h.bias", (f,)),
                                ("mlp.dense_4h_to_h.weight", (c, f)), ("mlp.dense_4h_to_h.bias", (c,))]:
                yield p + name, shape
        yield "gpt_neox.final_layer_norm.weight", (c,)
        yield "gpt_neox.final_layer_norm.bias", (c,)
        yield "embed_out.weight", (v, c)
    else:
        yield "model.embed_tokens.weight", (v, c)
        for l in range(n):
            p = "model.layers.%d." % l
            for name, shape in [("input_layernorm.weight", (c,)), ("post_attention_layernorm.weight", (c,)),
                                ("self_attn.q_proj.weight", (c, c)), ("self_attn.k_proj.weight", (c, c)),
                                ("self_attn.v_proj.weight", (c, c)), ("self_attn.o_proj.weight", (c, c)),
                                ("mlp.gate_proj.weight", (f, c)), ("mlp.up_proj.weight", (f, c)),
                                ("mlp.down_proj.weight", (c, f))]:
                yield p + name, shape
        yield "model.norm.weight", (c,)
        yield "lm_head.weight", (v, c)


def main(kind, out):
    cfg = dict(SHAPES[kind])
    dtype = cfg.pop("dtype")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "config.json"), "w") as fh:
        json.dump(cfg, fh, indent=1)
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "src", "test", "resources", "fixtures", "tiny-neox", "tokenizer.json")) as src, \
            open(os.path.join(out, "tokenizer.json"), "w") as dst:
        dst.write(src.read())
    header, offset = {}, 0
    items = list(tensors(cfg))
    for name, shape in items:
        size = int(np.prod(shape)) * 2
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    blob = json.dumps(header).encode()
    blob += b" " * (-len(blob) % 8)
    rng = np.random.default_rng(0)
    part = os.path.join(out, "model.safetensors.part")  # renamed when complete, so a killed run leaves no valid file
    with open(part, "wb") as fh:
        fh.write(struct.pack("<Q", len(blob)))
        fh.write(blob)
        for name, shape in items:
            if name.endswith("norm.weight") or name.endswith("layernorm.weight"):
                x = np.ones(shape, dtype=np.float32)
            else:
                x = rng.standard_normal(shape, dtype=np.float32) * 0.02
            if dtype == "F16":
                fh.write(x.astype("<f2").tobytes())
            else:  # bfloat16: the upper half of each float32
                fh.write((x.view("<u4") >> 16).astype("<u2").tobytes())
    os.replace(part, os.path.join(out, "model.safetensors"))
    print("wrote", out, "(%.1f GB)" % (offset / 1e9))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
