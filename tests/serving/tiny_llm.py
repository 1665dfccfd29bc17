"""A tiny Qwen2-style chat model with hand-set ("steered") weights, for tests against a real vLLM server.

No training, no downloads. A 2-layer Qwen2 (hidden 128, 4 heads of 32 — vLLM's CPU attention needs head size ≥ 32)
with a byte-level BPE tokenizer trained here in a second and a Hermes/Qwen chat template. Random weights do not give
usable tool calls (strings never close), so the weights are set by hand: under vLLM's grammar constraints
(json_schema, tool-call parameter grammars) decoding gives short schema-valid JSON — strings close as soon as they may,
a string that must not be empty is "a" (or the first letter its pattern allows), integers are the smallest
allowed (1 where free), arrays and objects close as soon as the schema lets them. In free
text, when the prompt lists tools (the chat template puts a `<tool_call>` example in the system prompt) and no tool
response came back yet, the reply starts with `<tool_call>`; otherwise the reply is "OK".

How it works: residual dimensions are features. dim 0 is a constant, one dim per class of the current token;
layer-0 attention head 0 raises TR ("</tool_response> seen"), head 2 raises TOOLS ("<tool_call> seen"); the layer-1
MLP computes CALL = newline & TOOLS & not TR; the output head reads the features (a bigram table plus the flags).

Usage: python tiny_llm.py OUT_DIR   (needs torch, transformers, tokenizers)
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
ADDED_NON_SPECIAL = ["<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"]
CORPUS = [
    '{"name": "render_keyframe", "arguments": {"prompt": "a red fox", "seed": 42, "setting": "a forest"}}',
    "You are a helpful assistant. # Tools You may call one or more functions.",
    "The quick brown fox jumps over the lazy dog 0123456789 [] {} () : , \" ' true false null",
    "system user assistant tool function type object properties required string integer number boolean array",
] * 50

_TOOLS_HEADER = (
    "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\n"
    "You are provided with function signatures within <tools></tools> XML tags:\\n<tools>"
)
_TOOLS_FOOTER = (
    "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within "
    "<tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\\"name\\\": <function-name>, \\\"arguments\\\": "
    "<args-json-object>}\\n</tool_call><|im_end|>\\n"
)
# Content may be a string or a list of text parts.
_CONTENT = (
    "{%- macro content(c) -%}{%- if c is string -%}{{ c }}{%- elif c -%}{%- for p in c -%}"
    "{%- if p.type == 'text' -%}{{ p.text }}"
    "{%- endif -%}{%- endfor -%}{%- endif -%}{%- endmacro -%}\n"
)
CHAT_TEMPLATE = _CONTENT + (
    "{%- if tools %}{{- '<|im_start|>system\\n' }}"
    "{%- if messages[0]['role'] == 'system' %}{{- content(messages[0]['content']) }}"
    "{%- else %}{{- 'You are a helpful assistant.' }}{%- endif %}"
    "{{- \"" + _TOOLS_HEADER + "\" }}"
    "{%- for tool in tools %}{{- '\\n' }}{{- tool | tojson }}{%- endfor %}"
    "{{- \"" + _TOOLS_FOOTER + "\" }}"
    "{%- else %}{%- if messages[0]['role'] == 'system' %}"
    "{{- '<|im_start|>system\\n' + content(messages[0]['content']) + '<|im_end|>\\n' }}"
    "{%- else %}{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{%- endif %}{%- endif %}"
    "{%- for message in messages %}"
    "{%- if (message.role == 'user') or (message.role == 'system' and not loop.first)"
    " or (message.role == 'assistant' and not message.tool_calls) %}"
    "{{- '<|im_start|>' + message.role + '\\n' + content(message.content) + '<|im_end|>\\n' }}"
    "{%- elif message.role == 'assistant' %}{{- '<|im_start|>' + message.role }}"
    "{%- if message.content %}{{- '\\n' + content(message.content) }}{%- endif %}"
    "{%- for tool_call in message.tool_calls %}"
    "{%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}"
    "{{- '\\n<tool_call>\\n{\"name\": \"' }}{{- tool_call.name }}{{- '\", \"arguments\": ' }}"
    "{%- if tool_call.arguments is string %}{{- tool_call.arguments }}"
    "{%- else %}{{- tool_call.arguments | tojson }}{%- endif %}{{- '}\\n</tool_call>' }}{%- endfor %}"
    "{{- '<|im_end|>\\n' }}"
    "{%- elif message.role == 'tool' %}"
    "{%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != 'tool') %}{{- '<|im_start|>user' }}{%- endif %}"
    "{{- '\\n<tool_response>\\n' }}{{- content(message.content) }}{{- '\\n</tool_response>' }}"
    "{%- if loop.last or (messages[loop.index0 + 1].role != 'tool') %}{{- '<|im_end|>\\n' }}{%- endif %}"
    "{%- endif %}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


def build_tokenizer(out: Path) -> dict[str, int]:
    """Train the byte-level BPE tokenizer and write the tokenizer files; returns the ids of the special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    special = SPECIAL
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=512, special_tokens=special, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS, trainer=trainer)
    tok.add_tokens(ADDED_NON_SPECIAL)  # as in Qwen2.5: added, not special (the tool parser must see them)
    tok.save(str(out / "tokenizer.json"))
    decoder = {str(tok.token_to_id(t)): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                                         "single_word": False, "special": t in special}
               for t in special + ADDED_NON_SPECIAL}
    cfg = {"tokenizer_class": "PreTrainedTokenizerFast", "added_tokens_decoder": decoder,
           "additional_special_tokens": [t for t in special if t != "<|endoftext|>"], "bos_token": None,
           "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "unk_token": None, "model_max_length": 4096,
           "clean_up_tokenization_spaces": False, "split_special_tokens": False, "chat_template": CHAT_TEMPLATE}
    (out / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2))
    (out / "special_tokens_map.json").write_text(json.dumps({"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}))
    ids = {t: tok.token_to_id(t) for t in special + ADDED_NON_SPECIAL}
    ids["__size__"] = tok.get_vocab_size()
    return ids


def text_config(vocab_size: int, ids: dict[str, int]) -> dict:
    return {"model_type": "qwen2", "vocab_size": vocab_size, "hidden_size": 128, "intermediate_size": 256,
            "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "hidden_act": "silu",
            "max_position_embeddings": 4096, "max_window_layers": 2, "rms_norm_eps": 1e-6,
            "rope_theta": 1e9, "rope_parameters": {"rope_type": "default", "rope_theta": 1e9},
            "tie_word_embeddings": False, "use_sliding_window": False, "sliding_window": None,
            "attention_dropout": 0.0, "initializer_range": 0.02, "bos_token_id": ids["<|endoftext|>"],
            "eos_token_id": ids["<|im_end|>"], "torch_dtype": "float32"}


def steer(lm: object, tokenizer_file: Path, cfg: dict) -> None:
    """Set the language model's weights by hand (see the module docstring). `lm` is a Qwen2ForCausalLM-like model
    with `.model.embed_tokens`, `.model.layers`, `.model.norm` and `.lm_head`."""
    import torch
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_file))
    vocab, hidden = cfg["vocab_size"], cfg["hidden_size"]
    hd = hidden // cfg["num_attention_heads"]
    assert (hidden, cfg["num_attention_heads"], cfg["num_key_value_heads"], hd) == (128, 4, 2, 32)
    const, plain, quote, nl, tc, trtok, o_, k_, tr, tools, call = range(11)
    tid = tok.token_to_id
    base = torch.zeros(vocab)
    cls = torch.full((vocab,), plain, dtype=torch.long)
    for i in range(vocab):
        if i >= tok.get_vocab_size():
            base[i] = -3000.0  # padding rows
            continue
        s = tok.decode([i], skip_special_tokens=False)
        if s and s.strip() == "":
            base[i] = -150.0  # whitespace: never pad JSON
        if s.endswith("\n"):
            cls[i] = nl
        if len(s) == 1:
            if s.isalpha():
                base[i] = 90.0
                if s not in "OK":
                    cls[i] = quote  # after a forced letter, close the string as after a quote
            elif s.isdigit():
                base[i] = 135.0 if s == "1" else 60.0
    prefs = {"<|im_end|>": 300.0, "}": 270.0, "]": 255.0, ",": 180.0, '"': 150.0, "{": 105.0, "[": 105.0,
             ":": 90.0, "</tool_call>": 75.0, "<tool_call>": 60.0, "<|endoftext|>": -300.0, "<|im_start|>": -300.0}
    for s, v in prefs.items():
        base[tid(s)] = v
    for s, c in {'"': quote, "<tool_call>": tc, "</tool_response>": trtok, "O": o_, "K": k_}.items():
        cls[tid(s)] = c
    emb = torch.zeros(vocab, hidden)
    emb[:, const] = 1.0
    emb[torch.arange(vocab), cls] = 1.0  # every row has two ones: the same RMS everywhere
    head = torch.zeros(vocab, hidden)
    head[:, const] = base
    head[tid('"'), quote] = 600.0  # after a quote: close the string ...
    head[tid("a"), quote] = 400.0  # ... or, where it must not be empty yet, write "a"
    head[tid("{"), tc] = 600.0  # after <tool_call>: a compact Hermes envelope
    head[tid("O"), nl] = 600.0  # free text after a newline: "OK"
    head[tid("K"), o_] = 600.0
    head[tid("<tool_call>"), call] = 1500.0  # ... unless CALL: start a tool call
    c2 = math.sqrt(hidden / 2)  # a feature after RMSNorm when a row has two ones
    with torch.no_grad():
        for p in lm.parameters():
            p.zero_()
        lm.model.embed_tokens.weight.copy_(emb)
        lm.lm_head.weight.copy_(head)
        for layer in lm.model.layers:
            layer.input_layernorm.weight.fill_(1.0)
            layer.post_attention_layernorm.weight.fill_(1.0)
        lm.model.norm.weight.fill_(1.0 / c2)
        attn = lm.model.layers[0].self_attn
        r = hd // 2 - 1  # the lowest-frequency rotary pair (near-constant with rope_theta 1e9)
        for qh, kvh, keyfeat, outdim in [(0, 0, trtok, tr), (2, 1, tc, tools)]:
            attn.q_proj.bias[qh * hd + r] = 10.0
            attn.k_proj.weight[kvh * hd + r, keyfeat] = 40.0 * math.sqrt(hd) / (10.0 * c2)
            attn.v_proj.weight[kvh * hd + 0, keyfeat] = 1.0 / c2
            attn.o_proj.weight[outdim, qh * hd + 0] = 1.0
        mlp = lm.model.layers[1].mlp
        w = 10.0
        mlp.gate_proj.weight[0, nl] = w
        mlp.gate_proj.weight[0, tools] = w
        mlp.gate_proj.weight[0, tr] = -w
        mlp.gate_proj.weight[0, const] = -1.5 * w
        mlp.up_proj.weight[0, const] = 1.0
        mlp.down_proj.weight[call, 0] = 1.0 / (0.5 * w * (hidden / 3))


def build(out: Path) -> Path:
    """Write the tiny steered model to `out`."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    out.mkdir(parents=True, exist_ok=True)
    ids = build_tokenizer(out)
    vocab_size = ((ids["__size__"] + 63) // 64) * 64
    tcfg = text_config(vocab_size, ids)
    torch.manual_seed(0)
    lm = Qwen2ForCausalLM(Qwen2Config(**{k: v for k, v in tcfg.items() if k != "model_type"}))
    steer(lm, out / "tokenizer.json", tcfg)
    eos = [ids["<|im_end|>"], ids["<|endoftext|>"]]
    gen = {"eos_token_id": eos, "bos_token_id": ids["<|endoftext|>"], "do_sample": False}
    lm.save_pretrained(out, safe_serialization=True)
    (out / "config.json").write_text(json.dumps({"architectures": ["Qwen2ForCausalLM"], **tcfg}, indent=2))
    (out / "generation_config.json").write_text(json.dumps(gen, indent=2))
    return out


if __name__ == "__main__":
    print(build(Path(sys.argv[1] if len(sys.argv) > 1 else "./tiny-director")))
