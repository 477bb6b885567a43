"""
The conformance cases' expected log-probs: the checkpoint in transformers (float64, eager
attention, one whole sequence at a time, no cache), with each precision's matrices read back out
of its graph (weights.py). Writes reference.json beside the fixture's files.
"""
import datetime
import json
import os

import numpy as np
import torch

import cases
from quantize import FILES
from weights import effective_state

# The day the reference prompts are rendered on: a template that prints today's date (Llama 3.2's)
# prints this one, and the tests run with their clock set to it.
RENDER_DATE = datetime.date(2026, 12, 4)


def render(tokenizer, messages):
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=False,
                                         date_string=RENDER_DATE.strftime("%d %b %Y"))


def sequence(tokenizer, context, response):
    """The rendered (context, response) text, its token ids, and where the response's characters are."""
    marker = "\u0000RESPONSE\u0000"
    full = render(tokenizer, context + [{"role": "assistant", "content": response}])
    marked = render(tokenizer, context + [{"role": "assistant", "content": marker}])
    start = marked.index(marker)
    if full[start:start + len(response)] != response:
        return None
    enc = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    return {"text": full, "ids": enc["input_ids"], "chars": [start, start + len(response)],
            "offsets": enc["offset_mapping"]}


def build_cases(tokenizer, max_tokens):
    out = []
    context = cases.dialogue_messages(cases.TURNS, cases.QUERY)
    out.append({"name": "several", "context": context, "responses": cases.SEVERAL})
    out.append({"name": "single", "context": context, "responses": [cases.SINGLE]})
    # Dialogue entries dropped two at a time from the oldest (the app's rule) until it fits.
    turns = list(cases.LONG_TURNS)
    full = cases.dialogue_messages(turns, cases.QUERY)
    dropped = 0
    while len(sequence(tokenizer, cases.dialogue_messages(turns, cases.QUERY), cases.LONG_RESPONSE)["ids"]) > max_tokens:
        turns = turns[1:]
        dropped += 2
    if dropped == 0:
        raise SystemExit("the long case fits without dropping turns: make it longer")
    out.append({"name": "long", "context": full, "responses": [cases.LONG_RESPONSE], "droppedTurns": dropped,
                "fittedContext": cases.dialogue_messages(turns, cases.QUERY)})
    for candidate in cases.MERGE_CANDIDATES:
        s = sequence(tokenizer, context, candidate)
        if s is None:
            continue
        start = s["chars"][0]
        # The token holding the response's first character began in the template's text.
        if any(a < start < b for a, b in s["offsets"]):
            out.append({"name": "merge", "context": context, "responses": [candidate]})
            break
    return out


# Logits one pass may hold (floats): passes over sequences whose graph takes no
# num_logits_to_keep run in chunks of this many tokens over the vocabulary (the engine's
# PASS_LOGIT_FLOATS), continuing from the previous chunk's cache.
PASS_LOGIT_FLOATS = 16 * 1024 * 1024


def chunk_tokens(vocab):
    return max(1, PASS_LOGIT_FLOATS // vocab)


def quantize_uint8(x):
    """
    DynamicQuantizeLinear: one scale and zero point for the whole tensor (its range widened to
    include 0), values rounded half to even and saturated to 0..255. Returns (q, zero, scale).
    """
    lo = torch.clamp(x.min(), max=0.0)
    hi = torch.clamp(x.max(), min=0.0)
    scale = (hi - lo) / 255.0
    if scale == 0:
        scale = torch.tensor(1.0, dtype=x.dtype)
    zero = torch.clamp(torch.round(-lo / scale), 0, 255)
    return torch.clamp(torch.round(x / scale) + zero, 0, 255), zero, scale


def integer_linear(module, weight_scale, saturate_pairs):
    """
    MatMulInteger over uint8 activations and int8 (or uint8) weights, exactly as the integer
    arithmetic goes: Σ a·w accumulated in int32, then rescaled. With `saturate_pairs`, each two
    adjacent products are summed into int16 with saturation first: what x86 CPUs without VNNI do
    (vpmaddubsw), which onnxruntime uses for uint8 × int8.
    """
    w = torch.round(module.weight.detach() / weight_scale)  # [out, in] integers

    def forward(x):
        q, zero, scale = quantize_uint8(x)
        products = q.unsqueeze(-2) * w  # [..., out, in]
        if saturate_pairs:
            k = products.shape[-1]
            if k % 2:
                products = torch.nn.functional.pad(products, (0, 1))
            products = torch.clamp(products.reshape(*products.shape[:-1], -1, 2).sum(-1), -32768, 32767)
        acc = products.sum(-1) - zero * w.sum(-1)
        out = acc * scale * weight_scale
        return out + module.bias if module.bias is not None else out

    return forward


def block_int8_linear(module, block):
    """MatMulNBits at accuracy level 4: each row's activations quantized to int8 per block of K (symmetric)."""
    w = module.weight.detach()

    def forward(x):
        k = x.shape[-1]
        pad = (-k) % block
        xb = torch.nn.functional.pad(x, (0, pad)).reshape(*x.shape[:-1], -1, block)
        scale = xb.abs().amax(-1, keepdim=True) / 127.0
        scale = torch.where(scale == 0, torch.ones_like(scale), scale)
        xq = (torch.clamp(torch.round(xb / scale), -127, 127) * scale).reshape(*x.shape[:-1], -1)[..., :k]
        out = xq @ w.T
        return out + module.bias if module.bias is not None else out

    return forward


def reference_logprobs(model, state, arithmetic, ids, chunk=None, saturate_pairs=False):
    """
    log p(ids[t] | ids[:t]) for t = 1..n-1, float64. Linear layers compute as the graph's do
    (integer_linear, block_int8_linear). With `chunk`, the sequence runs in passes of that many
    tokens, each continuing from the last one's cache: for graphs whose quantization scale spans a
    pass, the grouping the engine uses.
    """
    from transformers import DynamicCache

    # Buffers (Gemma's embedding scale) are not in the state: they stay as set.
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=False)
    if unexpected or any("embed_scale" not in k for k in missing):
        raise ValueError(f"state does not fit the model: missing {missing}, unexpected {unexpected}")
    replaced = []
    for name, module in model.named_modules():
        if name in arithmetic:
            kind = arithmetic[name]
            module.forward = (integer_linear(module, kind[1], saturate_pairs and kind[2]) if kind[0] == "dynamic-uint8"
                              else block_int8_linear(module, kind[1]))
            replaced.append(module)
    try:
        with torch.no_grad():
            size = chunk or len(ids)
            cache = DynamicCache()
            rows = []
            for first in range(0, len(ids), size):
                piece = torch.tensor([ids[first:first + size]])
                out = model(input_ids=piece, past_key_values=cache, use_cache=True,
                            position_ids=torch.arange(first, first + piece.shape[1])[None])
                rows.append(out.logits[0].double())
            logits = torch.cat(rows)
    finally:
        for module in replaced:
            del module.forward
    logp = torch.log_softmax(logits, dim=-1)
    return logp[torch.arange(len(ids) - 1), torch.tensor(ids[1:])].tolist()


def write_reference(family, hf_dir, out_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(hf_dir)
    model = AutoModelForCausalLM.from_pretrained(hf_dir, attn_implementation="eager", dtype=torch.float64).eval()
    # Untied, so a graph that quantizes its output layer and not its embedding (or the other way
    # round) is reproduced as it is.
    model.config.tie_word_embeddings = False
    model.lm_head.weight = torch.nn.Parameter(model.lm_head.weight.detach().clone())
    if family.exporter == "genai" and hasattr(model.model.embed_tokens, "embed_scale"):
        # The model builder multiplies Gemma's embeddings by √hidden rounded to two decimals.
        model.model.embed_tokens.embed_scale.fill_(round(model.config.hidden_size ** 0.5, 2))
    base = {k: v.detach().numpy().copy() for k, v in model.state_dict().items() if "embed_scale" not in k}
    max_tokens = model.config.max_position_embeddings
    built = build_cases(tokenizer, max_tokens)
    sequences = []
    for case in built:
        context = case.get("fittedContext", case["context"])
        for response in case["responses"]:
            s = sequence(tokenizer, context, response)
            sequences.append({"case": case["name"], "response": response, "ids": s["ids"], "chars": s["chars"]})
    variants = {}
    coupled = []
    chunk = chunk_tokens(model.config.vocab_size)
    for precision in family.precisions:
        state, arithmetic = effective_state(os.path.join(out_dir, "onnx", FILES[precision]), base, model.config,
                                            precision)
        # Dynamic int8 takes one scale per pass: the engine scores such graphs one sequence at a
        # time, in chunks, and so does the reference.
        row_coupled = any(kind[0] == "dynamic-uint8" for kind in arithmetic.values())
        if row_coupled:
            coupled.append(precision)
        options = {"chunk": chunk} if row_coupled else {}
        variants[precision] = [reference_logprobs(model, state, arithmetic, s["ids"], **options) for s in sequences]
        if any(kind[0] == "dynamic-uint8" and kind[2] for kind in arithmetic.values()):
            variants[f"{precision}-int16-pairs"] = [
                reference_logprobs(model, state, arithmetic, s["ids"], saturate_pairs=True, **options) for s in sequences]
        if any(kind[0] != "dynamic-uint8" for kind in arithmetic.values()):
            # onnxruntime-web's wasm build runs MatMulNBits in float whatever its accuracy level:
            # the same 4-bit weights with float activations.
            variants[f"{precision}-float-activations"] = [
                reference_logprobs(model, state, {}, s["ids"], **options) for s in sequences]
        print(f"   reference {precision}: {len(sequences)} sequences", flush=True)
    for i, s in enumerate(sequences):
        s["logProbs"] = {v: [round(x, 7) for x in values[i]] for v, values in variants.items()}
    reference = {
        "renderDate": RENDER_DATE.isoformat(),
        "maxTokens": max_tokens,
        "chunkTokens": chunk,
        "rowCoupled": coupled,
        "cases": [{k: v for k, v in c.items()} for c in built],
        "sequences": sequences,
        "generationPrompt": cases.GENERATION_PROMPT,
    }
    with open(os.path.join(out_dir, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(reference, f, ensure_ascii=False, separators=(",", ":"))


def ort_logprobs(session, ids, head, chunk=None):
    """
    log p(ids[t] | ids[:t]) from the graph in onnxruntime (Python, CPU): the whole sequence in one
    pass from an empty cache, or in passes of `chunk` tokens each continuing from the last's cache.
    """
    n = len(ids)
    size = chunk or n
    past = {}
    for i in session.get_inputs():
        if i.name.startswith("past_key_values."):
            dims = [1 if d == "batch_size" else 0 if isinstance(d, str) and "past" in d else d for d in i.shape]
            dims = [head if isinstance(d, str) else d for d in dims]  # a symbolic head size
            past[i.name] = np.zeros(dims, dtype=np.float16 if "float16" in i.type else np.float32)
    names = [i.name for i in session.get_inputs()]
    presents = [o.name for o in session.get_outputs() if o.name.startswith("present")]
    rows = []
    for first in range(0, n, size):
        piece = ids[first:first + size]
        feeds = {"input_ids": np.array([piece], dtype=np.int64),
                 "attention_mask": np.ones((1, first + len(piece)), dtype=np.int64), **past}
        if "position_ids" in names:
            feeds["position_ids"] = np.arange(first, first + len(piece), dtype=np.int64)[None]
        out = session.run(["logits", *presents], feeds)
        rows.append(out[0][0].astype(np.float64))
        past = {name.replace("present", "past_key_values"): value for name, value in zip(presents, out[1:])}
    logits = np.concatenate(rows)
    logits -= logits.max(-1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    return logp[np.arange(n - 1), np.array(ids[1:])]


def ort_check(family, out_dir):
    """Largest |onnxruntime (Python, CPU) − reference| per precision over the response tokens' positions."""
    import onnxruntime as ort

    reference = json.load(open(os.path.join(out_dir, "reference.json"), encoding="utf-8"))
    config = json.load(open(os.path.join(out_dir, "config.json")))
    head = config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]
    report = {}
    for precision in family.precisions:
        session = ort.InferenceSession(os.path.join(out_dir, "onnx", FILES[precision]), providers=["CPUExecutionProvider"])
        names = [v for v in reference["sequences"][0]["logProbs"] if v == precision or v.startswith(precision + "-")]
        worst = {v: 0.0 for v in names}
        chunk = reference["chunkTokens"] if precision in reference["rowCoupled"] else None
        for s in reference["sequences"]:
            got = ort_logprobs(session, s["ids"], head, chunk)
            for v in names:
                worst[v] = max(worst[v], float(np.abs(got - np.array(s["logProbs"][v])).max()))
        report[precision] = worst
        print(f"   onnxruntime {precision}: max |diff| " + ", ".join(f"{v} {w:.2e}" for v, w in worst.items()), flush=True)
    return report

