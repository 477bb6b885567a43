/**
 * The Node side of an evaluation: the model service adapted to the pipeline's EvaluationModel,
 * and a disk store (JSON Lines, append-only) so an interrupted command-line run resumes.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { EvaluationModel, EvaluationStore, PairScore } from '../src/core/index.js';
import type { LoadedModelInfo, LoadOptions, ModelRef, ModelService } from '../src/protocol/model-service.js';

export async function loadEvaluationModel(
  service: ModelService,
  ref: ModelRef,
  options: LoadOptions = {},
): Promise<{ model: EvaluationModel; info: LoadedModelInfo }> {
  const info = await service.load(ref, options);
  const model: EvaluationModel = {
    id: `${ref.source}:${ref.id}`,
    async score(groups) {
      const result = await service.score(groups);
      return result.groups.map((g) => g.map((s) => ({ meanLogProb: s.meanLogProb, tokens: s.tokenIds.length })));
    },
    async generate(prompt, opts) {
      const { text } = await service.generate(prompt, opts);
      return { text };
    },
  };
  return { model, info };
}

/** Scores and generations in two JSONL files under `dir`, read once and appended to. */
export async function openDiskStore(dir: string): Promise<EvaluationStore> {
  await mkdir(dir, { recursive: true });
  const scoresFile = path.join(dir, 'scores.jsonl');
  const textsFile = path.join(dir, 'generations.jsonl');
  const read = async (file: string) => {
    try {
      return (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim() !== '');
    } catch {
      return [];
    }
  };
  const scores = new Map<string, PairScore>();
  for (const line of await read(scoresFile)) {
    // A line cut short by an interrupted write is skipped; its pair is computed again.
    try {
      const { key, meanLogProb, tokens } = JSON.parse(line);
      scores.set(key, { meanLogProb, tokens });
    } catch {
      continue;
    }
  }
  const texts = new Map<string, string>();
  for (const line of await read(textsFile)) {
    try {
      const { key, text } = JSON.parse(line);
      texts.set(key, text);
    } catch {
      continue;
    }
  }
  return {
    async getScores(keys) {
      return keys.map((k) => scores.get(k));
    },
    async putScores(entries) {
      if (entries.length === 0) return;
      for (const { key, value } of entries) scores.set(key, value);
      await appendFile(
        scoresFile,
        entries.map(({ key, value }) => JSON.stringify({ key, ...value })).join('\n') + '\n',
      );
    },
    async getText(key) {
      return texts.get(key);
    },
    async putText(key, text) {
      texts.set(key, text);
      await appendFile(textsFile, JSON.stringify({ key, text }) + '\n');
    },
  };
}
