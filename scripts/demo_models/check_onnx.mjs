// Verifies an exported demo model folder against the torch reference and transformers.js.
//   node scripts/demo_models/check_onnx.mjs public/models/rolescope-tiny-en [fixture dir]
// (a) onnxruntime-node logits == torch reference logits (fixtures) within 1e-4, incl. padded batches
// (b) incremental decoding with past key/values == full recomputation
// (c) transformers.js loads the folder; tokenizer ids and chat template match Python; greedy
//     generate() runs and stops at <|im_end|>
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { AutoTokenizer, AutoModelForCausalLM, env } from '@huggingface/transformers';

const TOL = 1e-4;
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const modelDir = path.resolve(process.argv[2] ?? 'public/models/rolescope-tiny-en');
const modelId = path.basename(modelDir);
const fixtureDir = path.resolve(process.argv[3] ?? path.join(repo, 'test', 'fixtures', 'demo-models'));
const fixture = JSON.parse(fs.readFileSync(path.join(fixtureDir, `${modelId}.json`), 'utf8'));
const reference = JSON.parse(fs.readFileSync(path.join(fixtureDir, `${modelId}.reference-logits.json`), 'utf8'));
const config = JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8'));
const { n_layer: L, n_head: H, n_embd: D, vocab_size: V } = config;
const HD = D / H;
const EOS = config.eos_token_id;

const results = [];
function report(name, ok, detail) {
  results.push(ok);
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? `  (${detail})` : ''}`);
}

const i64 = (arr, dims) => new ort.Tensor('int64', BigInt64Array.from(arr.map((v) => BigInt(v))), dims);
const session = await ort.InferenceSession.create(path.join(modelDir, 'onnx', 'model.onnx'));

// Runs the graph. rows: token id arrays of equal length; mask/pos per row; past: present.* of a previous run.
async function run(rows, mask, pos, past = null, keep = 0) {
  const B = rows.length;
  const T = rows[0].length;
  const feeds = {
    input_ids: i64(rows.flat(), [B, T]),
    attention_mask: i64(mask.flat(), [B, mask[0].length]),
    position_ids: i64(pos.flat(), [B, T]),
    num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.from([BigInt(keep)]), []),
  };
  for (let i = 0; i < L; i++) {
    for (const kind of ['key', 'value']) {
      feeds[`past_key_values.${i}.${kind}`] = past
        ? past[`present.${i}.${kind}`]
        : new ort.Tensor('float32', new Float32Array(0), [B, H, 0, HD]);
    }
  }
  return session.run(feeds);
}
const row = (logits, b, t) => {
  const [, T2, V2] = logits.dims;
  return logits.data.subarray((b * T2 + t) * V2, (b * T2 + t + 1) * V2);
};
const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const range = (a, b) => Array.from({ length: b - a }, (_, i) => a + i);
const logSoftmaxAt = (r, id) => {
  let m = -Infinity;
  for (const v of r) m = Math.max(m, v);
  let s = 0;
  for (const v of r) s += Math.exp(v - m);
  return r[id] - m - Math.log(s);
};

// ---- (a) logits vs torch ----
{
  let worst = 0;
  let worstLp = 0;
  for (const c of reference.cases) {
    const ids = c.token_ids;
    const out = await run([ids], [ids.map(() => 1)], [range(0, ids.length)]);
    c.positions.forEach((p, j) => (worst = Math.max(worst, maxDiff(row(out.logits, 0, p), c.logits[j]))));
    for (let i = 0; i < ids.length - 1; i++) {
      worst = Math.max(worst, Math.abs(row(out.logits, 0, i)[ids[i + 1]] - c.next_token_logits[i]));
    }
    const ex = fixture.examples.find((e) => e.name === c.name);
    const [s, e] = ex.response_token_span;
    for (let t = s; t < e; t++) {
      worstLp = Math.max(worstLp, Math.abs(logSoftmaxAt(row(out.logits, 0, t - 1), ids[t]) - ex.response_token_logprobs[t - s]));
    }
  }
  report('(a) ORT logits match torch reference', worst <= TOL, `max |diff| ${worst.toExponential(2)}`);
  report('(a) ORT response log-probs match fixture', worstLp <= TOL, `max |diff| ${worstLp.toExponential(2)}`);

  // num_logits_to_keep = 1 and 3 give the trailing rows of the full logits.
  const ids = reference.cases[0].token_ids;
  const full = await run([ids], [ids.map(() => 1)], [range(0, ids.length)]);
  let ok = true;
  let d = 0;
  for (const k of [1, 3]) {
    const part = await run([ids], [ids.map(() => 1)], [range(0, ids.length)], null, k);
    ok &&= part.logits.dims[1] === k;
    for (let j = 0; j < k; j++) d = Math.max(d, maxDiff(row(part.logits, 0, j), row(full.logits, 0, ids.length - k + j)));
  }
  report('(a) num_logits_to_keep slices the last k positions', ok && d <= TOL, `max |diff| ${d.toExponential(2)}`);

  // Right padding (batched scoring) and left padding (batched generation) vs unpadded rows.
  const a = reference.cases[0].token_ids;
  const b = reference.cases[1].token_ids.slice(0, Math.max(5, a.length - 37));
  const T = Math.max(a.length, b.length);
  const pad = (r, left) => (left ? [...Array(T - r.length).fill(0), ...r] : [...r, ...Array(T - r.length).fill(0)]);
  const msk = (r, left) => pad(r.map(() => 1), left);
  const single = [await run([a], [a.map(() => 1)], [range(0, a.length)]), await run([b], [b.map(() => 1)], [range(0, b.length)])];
  const right = await run([pad(a, false), pad(b, false)], [msk(a, false), msk(b, false)], [range(0, T), range(0, T)]);
  let dr = 0;
  [a, b].forEach((r, bi) => r.forEach((_, t) => (dr = Math.max(dr, maxDiff(row(right.logits, bi, t), row(single[bi].logits, 0, t))))));
  const lpos = (r) => [...Array(T - r.length).fill(1), ...range(0, r.length)]; // as transformers.js: masked positions -> 1
  const left = await run([pad(a, true), pad(b, true)], [msk(a, true), msk(b, true)], [lpos(a), lpos(b)]);
  let dl = 0;
  let finite = true;
  [a, b].forEach((r, bi) => r.forEach((_, t) => (dl = Math.max(dl, maxDiff(row(left.logits, bi, T - r.length + t), row(single[bi].logits, 0, t))))));
  for (const v of left.logits.data) finite &&= Number.isFinite(v);
  report('(a) right-padded batch matches unpadded rows', dr <= TOL, `max |diff| ${dr.toExponential(2)}`);
  report('(a) left-padded batch matches unpadded rows, no NaN', dl <= TOL && finite, `max |diff| ${dl.toExponential(2)}`);

  // ---- (b) incremental decoding with past key/values ----
  let di = 0;
  const n = a.length;
  const split = Math.floor(n / 2);
  let out = await run([a.slice(0, split)], [range(0, split).map(() => 1)], [range(0, split)]);
  let past = out;
  let t = split;
  for (const step of [3, 1, 1, 1, 2]) {
    const chunk = a.slice(t, t + step);
    out = await run([chunk], [range(0, t + step).map(() => 1)], [range(t, t + step)], past);
    for (let j = 0; j < step; j++) di = Math.max(di, maxDiff(row(out.logits, 0, j), row(single[0].logits, 0, t + j)));
    if (out['present.0.key'].dims[2] !== t + step) di = Infinity;
    past = out;
    t += step;
  }
  report('(b) past-KV incremental decoding equals full recomputation', di <= TOL, `max |diff| ${di.toExponential(2)}`);

  // Left-padded batch, then one cached step per row: equals the unpadded continuation.
  const pa = a.slice(0, a.length - 1);
  const pb = b.slice(0, b.length - 1);
  const T1 = Math.max(pa.length, pb.length);
  const lp = (r) => [...Array(T1 - r.length).fill(0), ...r];
  const lm = (r) => [...Array(T1 - r.length).fill(0), ...r.map(() => 1)];
  const first = await run([lp(pa), lp(pb)], [lm(pa), lm(pb)], [
    [...Array(T1 - pa.length).fill(1), ...range(0, pa.length)],
    [...Array(T1 - pb.length).fill(1), ...range(0, pb.length)],
  ]);
  const next = await run([[a.at(-1)], [b.at(-1)]], [[...lm(pa), 1], [...lm(pb), 1]], [[pa.length], [pb.length]], first, 1);
  const dbl = Math.max(
    maxDiff(row(next.logits, 0, 0), row(single[0].logits, 0, a.length - 1)),
    maxDiff(row(next.logits, 1, 0), row(single[1].logits, 0, b.length - 1)),
  );
  report('(b) left-padded batch + cached step equals full recomputation', dbl <= TOL, `max |diff| ${dbl.toExponential(2)}`);
}

// ---- (c) transformers.js ----
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = path.dirname(modelDir) + '/';
const tokenizer = await AutoTokenizer.from_pretrained(modelId);
const model = await AutoModelForCausalLM.from_pretrained(modelId, { dtype: 'fp32', device: 'cpu' });
report('(c) transformers.js loads tokenizer and model', true);

let tokOk = true;
let tmplOk = true;
for (const ex of fixture.examples) {
  const ids = tokenizer.encode(ex.text);
  if (JSON.stringify(ids) !== JSON.stringify(ex.token_ids)) {
    tokOk = false;
    console.log(`   token mismatch in ${ex.name}`);
  }
  const rendered = tokenizer.apply_chat_template(ex.messages, { tokenize: false });
  if (rendered !== ex.text) {
    tmplOk = false;
    console.log(`   template mismatch in ${ex.name}`);
  }
  if (tokenizer.decode(ids) !== ex.text) {
    tokOk = false;
    console.log(`   decode mismatch in ${ex.name}`);
  }
}
report('(c) tokenizer encodes fixture texts to the Python ids (and decodes back)', tokOk, `${fixture.examples.length} texts`);
report('(c) apply_chat_template reproduces the Python-rendered text', tmplOk);

// transformers.js scoring forward pass (no cache) reproduces the fixture log-probs.
{
  const ex = fixture.examples[0];
  const enc = tokenizer(ex.text);
  const { logits } = await model(enc);
  const [s, e] = ex.response_token_span;
  let d = 0;
  for (let t = s; t < e; t++) d = Math.max(d, Math.abs(logSoftmaxAt(row(logits, 0, t - 1), ex.token_ids[t]) - ex.response_token_logprobs[t - s]));
  report('(c) transformers.js forward reproduces fixture log-probs', d <= TOL, `max |diff| ${d.toExponential(2)}`);
}

let genOk = true;
const gens = [];
for (const ex of fixture.examples.slice(0, 3)) {
  const inputs = tokenizer.apply_chat_template(ex.messages.slice(0, 2), {
    add_generation_prompt: true,
    return_dict: true,
  });
  const out = await model.generate({ ...inputs, max_new_tokens: 40, do_sample: false });
  const all = Array.from(out.data, Number);
  const gen = all.slice(inputs.input_ids.dims[1]);
  const eosAt = gen.indexOf(EOS);
  const stops = eosAt === gen.length - 1;
  genOk &&= stops;
  gens.push(gen);
  console.log(`   ${ex.name}: ${JSON.stringify(tokenizer.decode(gen, { skip_special_tokens: false }))}${stops ? '' : '  (no <|im_end|>)'}`);
}
report('(c) greedy generate() runs and stops at <|im_end|>', genOk);

// Batched greedy generation (left padding) gives the same tokens as one-by-one generation.
{
  tokenizer.padding_side = 'left';
  const texts = fixture.examples.slice(0, 2).map((ex) =>
    tokenizer.apply_chat_template(ex.messages.slice(0, 2), { add_generation_prompt: true, tokenize: false }),
  );
  const inputs = tokenizer(texts, { padding: true });
  const out = await model.generate({ ...inputs, max_new_tokens: 40, do_sample: false });
  const [B, T] = out.dims;
  const P = inputs.input_ids.dims[1];
  let ok = true;
  for (let b = 0; b < B; b++) {
    const r = Array.from(out.data.slice(b * T + P, (b + 1) * T), Number);
    const want = gens[b];
    ok &&= JSON.stringify(r.slice(0, want.length)) === JSON.stringify(want);
  }
  report('(c) left-padded batched generate() equals single generation', ok);
}

const failed = results.filter((r) => !r).length;
console.log(failed ? `FAIL: ${failed} of ${results.length} checks failed` : `PASS: all ${results.length} checks passed`);
process.exit(failed ? 1 : 0);
