/**
 * Model folders picked from disk, kept in the browser's Cache Storage so they load offline next
 * time. Each file is stored as a response at `<app>/model-folders/<name>/<path>`, the layout
 * transformers.js reads, and the folder's description (files, hashes, precisions) beside them.
 * The model workers serve those URLs from here (workers/model/browser-host.ts); no server ever sees them.
 * Used on the main thread (store, list, delete) and in workers (read).
 */
import { describeModelFolder, ModelFolderError, type FolderPlan, type ModelFolderManifest } from '../core/index.js';

export const FOLDER_CACHE = 'rolescope-model-folders';
/** The folder's description, stored beside its files under a name no model file has. */
const MANIFEST_FILE = 'rolescope-folder.json';

/** `<app>/model-folders/`: an absolute URL path under the app's base. */
export const folderModelPath = (base: string): string => `${base}model-folders/`;

const fileUrl = (base: string, name: string, path: string) =>
  new URL(`${folderModelPath(base)}${name}/${path}`, self.location.origin).href;

/** A file the user picked, with its path inside what was picked. */
export interface PickedFile {
  readonly path: string;
  readonly bytes: number;
  readonly file: Blob;
}

export interface StoreProgress {
  /** The file being hashed and stored, or '' when done. */
  readonly file: string;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export class ModelFolderStore {
  constructor(private readonly base: string) {}

  /**
   * Hashes and stores a planned folder as `name`, replacing a folder of that name. Nothing is
   * listed until every file is in: the description is written last.
   */
  async save(
    name: string,
    plan: FolderPlan<PickedFile>,
    onProgress: (p: StoreProgress) => void = () => {},
  ): Promise<ModelFolderManifest> {
    // Read and checked whole first: a folder refused here leaves a stored one of that name as it was.
    const manifest = await describeModelFolder(
      plan,
      name,
      async (picked) => new Uint8Array(await picked.file.arrayBuffer()),
      (path, bytesDone) => onProgress({ file: path, bytesDone, bytesTotal: plan.totalBytes }),
    );
    const cache = await caches.open(FOLDER_CACHE);
    await this.delete(name);
    try {
      for (const [path, picked] of plan.keep) {
        await cache.put(fileUrl(this.base, name, path), new Response(picked.file, { headers: contentType(path) }));
      }
      await cache.put(
        fileUrl(this.base, name, MANIFEST_FILE),
        new Response(JSON.stringify(manifest), { headers: contentType(MANIFEST_FILE) }),
      );
      onProgress({ file: '', bytesDone: plan.totalBytes, bytesTotal: plan.totalBytes });
      return manifest;
    } catch (error) {
      await this.delete(name);
      if (error instanceof DOMException && error.name === 'QuotaExceededError') {
        throw new ModelFolderError(`the browser has no room for ${name}: free some space on the Storage tab`);
      }
      throw error;
    }
  }

  /** The stored folders, newest first. */
  async list(): Promise<ModelFolderManifest[]> {
    const cache = await caches.open(FOLDER_CACHE);
    const manifests = (await cache.keys()).filter((r) => r.url.endsWith(`/${MANIFEST_FILE}`));
    const read = await Promise.all(
      manifests.map(async (r) => (await cache.match(r))?.json() as Promise<ModelFolderManifest>),
    );
    return read.filter(Boolean).sort((a, b) => b.addedAt - a.addedAt);
  }

  /** A stored folder's description. @throws Error when no folder has that name. */
  async read(name: string): Promise<ModelFolderManifest> {
    const response = await (await caches.open(FOLDER_CACHE)).match(fileUrl(this.base, name, MANIFEST_FILE));
    if (!response) throw new Error(`no model folder is stored as "${name}"`);
    return (await response.json()) as ModelFolderManifest;
  }

  /** A stored file as transformers.js fetches it: 404 when it is not there. */
  async respond(url: string): Promise<Response> {
    const response = await (await caches.open(FOLDER_CACHE)).match(url);
    return response ?? new Response('not stored', { status: 404, statusText: 'Not Found' });
  }

  /** True for a URL this store answers. */
  owns(url: URL): boolean {
    return url.origin === self.location.origin && url.pathname.startsWith(folderModelPath(this.base));
  }

  async delete(name: string): Promise<void> {
    const cache = await caches.open(FOLDER_CACHE);
    const prefix = fileUrl(this.base, name, '');
    await Promise.all((await cache.keys()).filter((r) => r.url.startsWith(prefix)).map((r) => cache.delete(r)));
  }
}

function contentType(path: string): HeadersInit {
  return { 'Content-Type': path.endsWith('.json') ? 'application/json' : 'application/octet-stream' };
}
