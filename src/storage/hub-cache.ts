/**
 * Which Hub models this browser already holds: transformers.js keeps each downloaded file in
 * Cache Storage ("transformers-cache") under its Hub URL,
 * `https://huggingface.co/<owner>/<name>/resolve/<revision>/<file>`. Reading the keys back tells
 * the model manager what loads offline, in which precision, and how much room it takes.
 */
import { DTYPE_SUFFIXES, type FolderDType } from '../core/index.js';

export const HUB_CACHE = 'transformers-cache';
const HUB_FILE = /^https:\/\/huggingface\.co\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/;

export interface CachedHubModel {
  readonly id: string;
  readonly revision: string;
  readonly files: readonly string[];
  /** Precisions whose ONNX graph is cached, in DTYPE_SUFFIXES order. */
  readonly dtypes: readonly FolderDType[];
  readonly bytes: number;
}

/** Groups cached Hub files by model and revision. */
export function cachedHubModels(entries: readonly { url: string; bytes: number }[]): CachedHubModel[] {
  const models = new Map<string, { id: string; revision: string; files: string[]; bytes: number }>();
  for (const { url, bytes } of entries) {
    const match = HUB_FILE.exec(url);
    if (!match) continue;
    const [, id, revision, file] = match as unknown as [string, string, string, string];
    const key = `${id}@${revision}`;
    const model = models.get(key) ?? { id, revision: decodeURIComponent(revision), files: [], bytes: 0 };
    model.files.push(decodeURIComponent(file));
    model.bytes += bytes;
    models.set(key, model);
  }
  return [...models.values()]
    .map((m) => ({
      ...m,
      files: m.files.sort(),
      dtypes: (Object.keys(DTYPE_SUFFIXES) as FolderDType[]).filter((d) =>
        m.files.includes(`onnx/model${DTYPE_SUFFIXES[d]}.onnx`),
      ),
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** The cached Hub files with their sizes (Content-Length, else the body's size). */
export async function readHubCache(): Promise<{ url: string; bytes: number }[]> {
  if (!globalThis.caches || !(await caches.has(HUB_CACHE))) return [];
  const cache = await caches.open(HUB_CACHE);
  return Promise.all(
    (await cache.keys()).map(async (request) => ({ url: request.url, bytes: await responseBytes(cache, request) })),
  );
}

/** Deletes every cached file of one Hub model (all revisions). */
export async function deleteHubModel(id: string): Promise<void> {
  if (!globalThis.caches || !(await caches.has(HUB_CACHE))) return;
  const cache = await caches.open(HUB_CACHE);
  const prefix = `https://huggingface.co/${id}/resolve/`;
  await Promise.all((await cache.keys()).filter((r) => r.url.startsWith(prefix)).map((r) => cache.delete(r)));
}

/** A cached response's size without reading it when the headers say. */
export async function responseBytes(cache: Cache, request: Request): Promise<number> {
  const response = await cache.match(request);
  const length = Number(response?.headers.get('content-length'));
  return Number.isFinite(length) && length > 0 ? length : ((await response?.blob())?.size ?? 0);
}
