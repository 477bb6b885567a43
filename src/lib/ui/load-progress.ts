/**
 * Per-file and overall progress of a model load, from transformers.js's progress events: which
 * files are being read or downloaded, how many bytes of each, and the whole as a fraction. A
 * model load is two calls (tokenizer, then weights), each with its own totals, so the overall
 * figure is summed here from the files rather than taken from either call's `progress_total`.
 */
import type { LoadProgress } from '../../protocol/model-service.js';

export interface FileProgress {
  readonly file: string;
  readonly loadedBytes: number;
  /** Null until the file's size is known (a cached or local file may never report one). */
  readonly totalBytes: number | null;
  readonly done: boolean;
}

export interface LoadProgressView {
  readonly files: readonly FileProgress[];
  readonly loadedBytes: number;
  /** Sum of the known sizes. */
  readonly totalBytes: number;
  /** 0–1 over the files whose size is known; files done count as whole. */
  readonly fraction: number;
  readonly filesDone: number;
}

export const EMPTY_PROGRESS: LoadProgressView = { files: [], loadedBytes: 0, totalBytes: 0, fraction: 0, filesDone: 0 };

export class LoadProgressTracker {
  readonly #files = new Map<string, FileProgress>();

  /** Takes one event; returns the new view (a fresh object, for reactive state). */
  update(event: LoadProgress): LoadProgressView {
    if ('file' in event && event.file) {
      const before = this.#files.get(event.file) ?? { file: event.file, loadedBytes: 0, totalBytes: null, done: false };
      if (event.status === 'progress') {
        this.#files.set(event.file, { ...before, loadedBytes: event.loaded, totalBytes: event.total || null });
      } else if (event.status === 'done') {
        this.#files.set(event.file, {
          ...before,
          loadedBytes: before.totalBytes ?? before.loadedBytes,
          done: true,
        });
      } else {
        this.#files.set(event.file, before);
      }
    }
    return this.view();
  }

  view(): LoadProgressView {
    const files = [...this.#files.values()];
    const sized = files.filter((f) => f.totalBytes !== null);
    const totalBytes = sized.reduce((sum, f) => sum + f.totalBytes!, 0);
    const loadedBytes = files.reduce((sum, f) => sum + f.loadedBytes, 0);
    const sizedLoaded = sized.reduce((sum, f) => sum + Math.min(f.loadedBytes, f.totalBytes!), 0);
    const filesDone = files.filter((f) => f.done).length;
    const fraction = totalBytes > 0 ? sizedLoaded / totalBytes : files.length > 0 ? filesDone / files.length : 0;
    return { files, loadedBytes, totalBytes, fraction, filesDone };
  }
}

/** "12.3 MB": decimal units, as the Hub shows sizes. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${units[unit]}`;
}
