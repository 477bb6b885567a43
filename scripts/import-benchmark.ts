/**
 * npm run import -- --from <xpersona|spc|rolebench> <files...> --out <file> [options]
 * Converts public role-play data into the benchmark format, validates the result and writes it.
 * With --append the samples are added to an existing benchmark file (e.g. a shift category next
 * to its IDTest reference).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { appendDocument, serializeDocument, toDocument } from '../src/core/benchmark/convert.js';
import {
  SHIFT_FAMILIES,
  type BenchmarkDocument,
  type CategoryDeclaration,
  type ShiftFamily,
} from '../src/core/benchmark/format.js';
import { IMPORT_SOURCE_KINDS, importSource, type ImportSourceKind } from '../src/core/benchmark/importers/index.js';
import { formatIssue, validateBenchmarkText } from '../src/core/benchmark/validate.js';

const USAGE = `usage: npm run import -- --from <${IMPORT_SOURCE_KINDS.join('|')}> <files...> --out <file>
  --tag <subset_tag>        category of the samples (default IDTest)
  --family <family>         shift family of a tag the paper does not define (${SHIFT_FAMILIES.join(', ')})
  --label <text>            human label of the category
  --reference <tag>         the in-distribution category it is compared with (default IDTest)
  --note <text>             a note on the category (e.g. a confound)
  --turn <n|all>            agent turn to predict, 1-based (default 4)
  --language <code>         language code (Xpersona's comes from the file name)
  --max <n> --seed <n>      keep at most n samples, drawn with the seed
  --profiles <file.json>    RoleBench character profiles keyed by role name
  --append                  add to the benchmark in --out instead of replacing it`;

function fail(message: string): never {
  throw new Error(message);
}

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) fail(`--${name} expects a whole number, got "${value}"`);
  return Number(value);
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      out: { type: 'string' },
      tag: { type: 'string' },
      family: { type: 'string' },
      label: { type: 'string' },
      reference: { type: 'string' },
      note: { type: 'string' },
      turn: { type: 'string' },
      language: { type: 'string' },
      max: { type: 'string' },
      seed: { type: 'string' },
      profiles: { type: 'string' },
      append: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.from || !values.out || positionals.length === 0) {
    console.error(USAGE);
    return 1;
  }
  const kind = values.from as ImportSourceKind;
  if (!IMPORT_SOURCE_KINDS.includes(kind)) fail(`--from must be one of ${IMPORT_SOURCE_KINDS.join(', ')}`);
  if (values.family && !SHIFT_FAMILIES.includes(values.family as ShiftFamily))
    fail(`--family must be one of ${SHIFT_FAMILIES.join(', ')}`);
  const declared = values.family || values.label || values.reference || values.note;
  const declaration: CategoryDeclaration | undefined = declared
    ? {
        ...(values.family ? { family: values.family as ShiftFamily } : {}),
        ...(values.label ? { label: values.label } : {}),
        ...(values.reference ? { reference: values.reference } : {}),
        ...(values.note ? { note: values.note } : {}),
      }
    : undefined;
  const files = await Promise.all(positionals.map(async (name) => ({ name, text: await readFile(name, 'utf8') })));
  const profiles = values.profiles ? JSON.parse(await readFile(values.profiles, 'utf8')) : undefined;
  const result = importSource(kind, files, {
    ...(values.tag ? { tag: values.tag } : {}),
    ...(declaration ? { declaration } : {}),
    turn: values.turn === 'all' ? 'all' : (integer(values.turn, 'turn') ?? 4),
    ...(values.language ? { language: values.language } : {}),
    ...(values.max ? { maxSamples: integer(values.max, 'max')! } : {}),
    seed: integer(values.seed, 'seed') ?? 0,
    ...(profiles ? { profiles } : {}),
  });
  for (const lack of result.lacks) console.log(`lacks: ${lack}`);
  for (const note of result.notes) console.log(`note: ${note}`);

  let document: BenchmarkDocument = result.document;
  if (values.append && existsSync(values.out)) {
    const existing = validateBenchmarkText(await readFile(values.out, 'utf8'));
    if (!existing.ok) fail(`${values.out} is not a valid benchmark (run npm run validate -- ${values.out})`);
    const base = toDocument(existing.benchmark);
    document = appendDocument(base, result.document);
  }
  const text = serializeDocument(document);
  const check = validateBenchmarkText(text);
  if (!check.ok) {
    console.log(`not written: the result would not be a valid benchmark (${check.errorCount} errors):`);
    for (const error of check.errors.slice(0, 20)) console.log(`  ${formatIssue(error)}`);
    console.log(
      '(a shift category needs its reference in the same file: import the reference first, then use --append)',
    );
    return 1;
  }
  await writeFile(values.out, text);
  console.log(
    `wrote ${values.out}: ${check.benchmark.samples.length} samples in ${check.benchmark.categories.length} categories`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`import: ${(error as Error).message}`);
    process.exit(1);
  },
);
