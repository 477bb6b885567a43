/**
 * The Node side of an evaluation: a disk store (JSON Lines, append-only: scores, generations and
 * embedding vectors) so an interrupted command-line run resumes.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { EvaluationStore, PairScore } from '../src/core/index.js';

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
      const { key, meanLogProb, tokens, meanEntropy } = JSON.parse(line);
      // Lines written before scores carried the predictive entropy are computed again.
      if (typeof meanEntropy !== 'number') continue;
      scores.set(key, { meanLogProb, tokens, meanEntropy });
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
  // Vectors as base64 of their float32 bytes: compact, and exact.
  const vectorsFile = path.join(dir, 'vectors.jsonl');
  const vectors = new Map<string, Float32Array>();
  for (const line of await read(vectorsFile)) {
    try {
      const { key, v } = JSON.parse(line);
      const bytes = Buffer.from(v, 'base64');
      vectors.set(key, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
    } catch {
      continue;
    }
  }
  return {
    async getVectors(keys) {
      return keys.map((k) => vectors.get(k));
    },
    async putVectors(entries) {
      if (entries.length === 0) return;
      for (const { key, value } of entries) vectors.set(key, value);
      const line = ({ key, value }: { key: string; value: Float32Array }) =>
        JSON.stringify({ key, v: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') });
      await appendFile(vectorsFile, entries.map(line).join('\n') + '\n');
    },
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
