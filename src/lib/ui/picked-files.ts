/**
 * The files of a folder the user picked (a directory input) or dropped, each with its path inside
 * what was picked, for the model folder store.
 */
import type { PickedFile } from '../../storage/model-folder-store.js';

/** From `<input type="file" webkitdirectory>`: paths are `folder/sub/file`. */
export function filesFromInput(list: FileList | readonly File[]): PickedFile[] {
  return Array.from(list, (file) => ({
    path: file.webkitRelativePath || file.name,
    bytes: file.size,
    file,
  }));
}

/** From a drop: a dropped folder is walked (every level), dropped files are taken as they are. */
export async function filesFromDrop(transfer: DataTransfer): Promise<PickedFile[]> {
  const entries = Array.from(transfer.items, (item) => item.webkitGetAsEntry()).filter(
    (e): e is FileSystemEntry => e !== null,
  );
  const files: PickedFile[] = [];
  for (const entry of entries) await walk(entry, files);
  return files;
}

async function walk(entry: FileSystemEntry, out: PickedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ path: entry.fullPath.replace(/^\//, ''), bytes: file.size, file });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries returns at most ~100 entries per call: read until it returns none.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    for (const child of batch) await walk(child, out);
  }
}
