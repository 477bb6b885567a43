/**
 * Walking a dropped folder: every level is read, and readEntries is called until it returns
 * nothing (browsers hand back at most ~100 entries per call). The entries are stand-ins for the
 * browser's FileSystemEntry objects; the File objects are real.
 */
import { describe, expect, it } from 'vitest';
import { filesFromDrop, filesFromInput } from '../../../../src/lib/ui/picked-files.js';

type Entry = {
  isFile: boolean;
  fullPath: string;
  file?: (ok: (f: File) => void) => void;
  createReader?: () => unknown;
};

const fileEntry = (fullPath: string, text: string): Entry => ({
  isFile: true,
  fullPath,
  file: (ok) => ok(new File([text], fullPath.split('/').pop()!)),
});

/** A directory whose reader returns its children two at a time, as a browser returns pages. */
const dirEntry = (fullPath: string, children: Entry[]): Entry => ({
  isFile: false,
  fullPath,
  createReader: () => {
    let at = 0;
    return {
      readEntries: (ok: (batch: Entry[]) => void) => {
        ok(children.slice(at, at + 2));
        at += 2;
      },
    };
  },
});

describe('filesFromDrop', () => {
  it('walks a dropped folder to the last entry of every level', async () => {
    const folder = dirEntry('/my-model', [
      fileEntry('/my-model/config.json', '{}'),
      fileEntry('/my-model/tokenizer.json', '{"x":1}'),
      fileEntry('/my-model/tokenizer_config.json', '{}'),
      dirEntry('/my-model/onnx', [fileEntry('/my-model/onnx/model.onnx', 'graph')]),
    ]);
    const transfer = { items: [{ webkitGetAsEntry: () => folder }, { webkitGetAsEntry: () => null }] };
    const files = await filesFromDrop(transfer as unknown as DataTransfer);
    expect(files.map((f) => [f.path, f.bytes])).toEqual([
      ['my-model/config.json', 2],
      ['my-model/tokenizer.json', 7],
      ['my-model/tokenizer_config.json', 2],
      ['my-model/onnx/model.onnx', 5],
    ]);
    expect(await files[3]!.file.text()).toBe('graph');
  });
});

describe('filesFromInput', () => {
  it('takes the path inside the picked folder, or the name of a lone file', () => {
    const picked = new File(['abc'], 'config.json');
    Object.defineProperty(picked, 'webkitRelativePath', { value: 'my-model/config.json' });
    const lone = new File(['x'], 'tokenizer.json');
    expect(filesFromInput([picked, lone]).map((f) => [f.path, f.bytes])).toEqual([
      ['my-model/config.json', 3],
      ['tokenizer.json', 1],
    ]);
  });
});
