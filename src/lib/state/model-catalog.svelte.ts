/**
 * The models this browser can run without asking anyone: the bundled demo models, model folders
 * the user stored, and Hub models already downloaded. Every model picker (first screen, run panel)
 * lists these; the model manager adds and removes them.
 */
import {
  folderName,
  modelName,
  ModelFolderError,
  planModelFolder,
  type BundledModelEntry,
  type FolderDType,
  type ModelRef,
} from '../../core/index.js';
import { cachedHubModels, deleteHubModel, readHubCache } from '../../storage/hub-cache.js';
import type { ModelFolderStore, PickedFile, StoreProgress } from '../../storage/model-folder-store.js';

const STORED_AT = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' });

export interface CatalogEntry {
  /** How results and settings name it: `rolescope-tiny-en`, `hub:owner/name`, `folder:name`. */
  readonly name: string;
  readonly ref: ModelRef;
  readonly label: string;
  readonly description: string;
  /** Precisions on this machine (for a Hub model, those downloaded). */
  readonly dtypes: readonly FolderDType[];
  /** Bytes on this machine; null when not measured. */
  readonly bytes: number | null;
}

export interface FolderStoring {
  readonly name: string;
  readonly progress: StoreProgress;
  /** Files left out of the folder (READMEs, PyTorch weights): shown so nothing seems lost. */
  readonly skipped: readonly string[];
}

export class ModelCatalog {
  #bundled = $state.raw<readonly BundledModelEntry[]>([]);
  #folders = $state.raw<readonly CatalogEntry[]>([]);
  #hub = $state.raw<readonly CatalogEntry[]>([]);
  #storing = $state.raw<FolderStoring | null>(null);
  #error = $state('');
  #notice = $state('');

  constructor(private readonly folders: ModelFolderStore) {}

  get entries(): readonly CatalogEntry[] {
    const bundled = this.#bundled.map((m): CatalogEntry => ({
      name: m.id,
      ref: { source: 'bundled', id: m.id },
      label: m.name,
      description: m.description,
      dtypes: [m.dtype],
      bytes: Object.values(m.files).reduce((sum, f) => sum + f.bytes, 0),
    }));
    return [...bundled, ...this.#folders, ...this.#hub];
  }
  get bundled() {
    return this.#bundled;
  }
  get storing() {
    return this.#storing;
  }
  get error() {
    return this.#error;
  }
  get notice() {
    return this.#notice;
  }

  find(name: string): CatalogEntry | undefined {
    return this.entries.find((e) => e.name === name);
  }

  /**
   * The precision a run loads `name` in: the one on this machine when there is exactly one
   * choice to make (a Hub download), else the model service's default for the device.
   */
  dtypeOf(name: string): FolderDType | undefined {
    const entry = this.find(name);
    return entry?.ref.source === 'hub' ? entry.dtypes[0] : undefined;
  }

  setBundled(models: readonly BundledModelEntry[]): void {
    this.#bundled = models;
  }

  /** Reads the stored folders and the Hub cache again. */
  async refresh(): Promise<void> {
    try {
      const [folders, hubFiles] = await Promise.all([this.folders.list(), readHubCache()]);
      this.#folders = folders.map((f) => ({
        name: modelName({ source: 'folder', id: f.name }),
        ref: { source: 'folder', id: f.name },
        label: f.name,
        description: `Model folder stored ${STORED_AT.format(f.addedAt)}`,
        dtypes: f.dtypes,
        bytes: f.totalBytes,
      }));
      this.#hub = cachedHubModels(hubFiles).map((m) => ({
        name: modelName({ source: 'hub', id: m.id }),
        ref: { source: 'hub', id: m.id },
        label: m.id,
        description: `Downloaded from the Hub (${m.revision}): ${m.files.length} files`,
        dtypes: m.dtypes,
        bytes: m.bytes,
      }));
    } catch (error) {
      this.#error = `the stored models could not be read: ${(error as Error).message}`;
    }
  }

  /**
   * Checks a picked folder, then hashes and stores its model files. Returns the catalog name, or
   * null when the folder was refused (the reason is in `error`).
   */
  async storeFolder(files: readonly PickedFile[], fallbackName = 'model'): Promise<string | null> {
    this.#error = '';
    this.#notice = '';
    if (this.#storing) return null;
    try {
      const plan = planModelFolder(files);
      const name = folderName(plan.root ?? fallbackName);
      this.#storing = {
        name,
        skipped: plan.skipped,
        progress: { file: '', bytesDone: 0, bytesTotal: plan.totalBytes },
      };
      await this.folders.save(name, plan, (progress) => (this.#storing = { name, skipped: plan.skipped, progress }));
      this.#notice =
        `Stored model folder "${name}" (${plan.keep.size} files).` +
        (plan.skipped.length > 0
          ? ` Left out, as transformers.js does not read them: ${plan.skipped.join(', ')}.`
          : '');
      await this.refresh();
      return modelName({ source: 'folder', id: name });
    } catch (error) {
      this.#error =
        error instanceof ModelFolderError
          ? `This folder cannot be used: ${error.message}.`
          : `The folder could not be stored: ${(error as Error).message}`;
      return null;
    } finally {
      this.#storing = null;
    }
  }

  async remove(entry: CatalogEntry): Promise<void> {
    if (entry.ref.source === 'folder') await this.folders.delete(entry.ref.id);
    else if (entry.ref.source === 'hub') await deleteHubModel(entry.ref.id);
    await this.refresh();
  }
}
