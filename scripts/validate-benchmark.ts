/**
 * npm run validate -- <file>
 * Exit 0 with a summary for a valid benchmark file; exit 1 with every error (JSON path and what
 * was expected) for an invalid or unreadable one.
 */
import { readFile, stat } from 'node:fs/promises';
import { describeBenchmark } from '../src/core/benchmark/convert.js';
import { formatIssue, MAX_BENCHMARK_CHARS, validateBenchmarkText } from '../src/core/benchmark/validate.js';

async function main(args: string[]): Promise<number> {
  if (args.length !== 1 || args[0] === '--help') {
    console.error('usage: npm run validate -- <benchmark.json | benchmark.jsonl>');
    return 1;
  }
  const file = args[0]!;
  let text: string;
  try {
    // UTF-8 needs at least one byte per character: a file this large cannot pass.
    if ((await stat(file)).size > 4 * MAX_BENCHMARK_CHARS) throw new Error('the file is too large');
    const bytes = await readFile(file);
    try {
      // Fatal decoding, as in the app: a file in another encoding is refused, not read as U+FFFD.
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      console.log(`${file}: refused: the file is not UTF-8 text (save it as UTF-8 and try again)`);
      return 1;
    }
  } catch (error) {
    console.error(`${file}: cannot read: ${(error as Error).message}`);
    return 1;
  }
  const result = validateBenchmarkText(text);
  for (const warning of result.warnings) console.log(`warning: ${formatIssue(warning)}`);
  if (!result.ok) {
    console.log(`${file}: refused, ${result.errorCount} error${result.errorCount === 1 ? '' : 's'}:`);
    for (const error of result.errors) console.log(`  ${formatIssue(error)}`);
    if (result.errorCount > result.errors.length)
      console.log(`  ... and ${result.errorCount - result.errors.length} more`);
    return 1;
  }
  const languages = new Set(result.benchmark.categories.flatMap((c) => Object.keys(c.languages)));
  const families = new Set(result.benchmark.categories.map((c) => c.family));
  console.log(`${file}: valid (${result.format})`);
  for (const line of describeBenchmark(result.benchmark)) console.log(line);
  console.log(`shift families: ${[...families].join(', ')}`);
  console.log(`languages: ${[...languages].sort().join(', ')}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`validate: ${(error as Error).message}`);
    process.exit(1);
  },
);
