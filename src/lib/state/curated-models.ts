/**
 * Small chat models known to run in transformers.js, for the model manager's Hub list. The list
 * lives in curated-models.json, edited by hand; it is checked here when the module loads, so a bad
 * edit fails the unit test (and the build's first page load) with a message naming the model and
 * the field, rather than showing a wrong size or offering a precision whose file is not there.
 *
 * Sizes are the download as the Hub's file listing shows it (decimal units, the ONNX graph plus
 * its .onnx_data files), recorded together with the listing's entries they add up; null where no
 * listing was at hand, so the manager says "unknown" rather than guessing.
 */
import * as z from 'zod';
import { DTYPE_SUFFIXES, validateRef, type FolderDType } from '../../core/index.js';
import curatedModelsJson from './curated-models.json';

export interface CuratedPrecision {
  readonly dtype: FolderDType;
  /** The download in bytes: graph plus external data (null: unknown). */
  readonly bytes: number | null;
}

export interface CuratedModel {
  readonly id: string;
  readonly name: string;
  readonly parameters: string;
  /** The precisions its Hub repository has, in the data file's order. */
  readonly precisions: readonly CuratedPrecision[];
  /** The precision to offer first (where the device runs it). */
  readonly defaultDtype: FolderDType;
  /** Whether a CPU (wasm) is practical, or WebGPU is recommended for its size. */
  readonly webgpu: 'optional' | 'recommended';
  readonly note?: string;
  /** Where the numbers come from. */
  readonly source: { readonly checked: string; readonly url: string | null; readonly note: string };
}

const DTYPES = Object.keys(DTYPE_SUFFIXES) as [FolderDType, ...FolderDType[]];

/** The Hub's listing writes sizes in decimal units with three significant digits ("1.64 GB"). */
const LISTED_UNIT_BYTES = { Bytes: 1, kB: 1e3, MB: 1e6, GB: 1e9 } as const;
const LISTED_SIZE = /^(\d+(?:\.\d+)?) (Bytes|kB|MB|GB)$/;

/** A size as the listing shows it, in bytes ("2.47 GB" → 2 470 000 000); null if not of that form. */
export function listedSizeBytes(size: string): number | null {
  const match = LISTED_SIZE.exec(size);
  if (!match) return null;
  return Math.round(Number(match[1]) * LISTED_UNIT_BYTES[match[2] as keyof typeof LISTED_UNIT_BYTES]);
}

const text = z.string().trim().min(1, { error: 'expected a non-empty string' });

const listedFile = z.strictObject({
  path: text,
  size: text.refine((s) => LISTED_SIZE.test(s), {
    error: 'expected a size as the Hub lists it, e.g. "524 kB" or "1.64 GB"',
  }),
});

const precision = z.strictObject({
  bytes: z.number().int().positive().nullable(),
  /** The listing's entries for this precision: its graph, then any external-data files. */
  files: z.array(listedFile).min(1).nullable(),
  /** Why the precision is believed to exist when no listing was at hand. */
  evidence: text.optional(),
});

const model = z
  .strictObject({
    id: text.refine(
      (id) => {
        try {
          validateRef({ source: 'hub', id });
          return true;
        } catch {
          return false;
        }
      },
      { error: 'expected a Hub model id, "owner/name"' },
    ),
    name: text,
    parameters: text,
    defaultDtype: z.enum(DTYPES),
    webgpu: z.enum(['optional', 'recommended']),
    note: text.optional(),
    dtypes: z.partialRecord(z.enum(DTYPES), precision),
    source: z.strictObject({
      checked: z.iso.date({ error: 'expected the date the numbers were checked, YYYY-MM-DD' }),
      url: z.url({ protocol: /^https$/ }).nullable(),
      note: text,
    }),
  })
  .superRefine((m, ctx) => {
    const dtypes = Object.keys(m.dtypes) as FolderDType[];
    if (dtypes.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['dtypes'], message: 'expected at least one precision' });
    } else if (!dtypes.includes(m.defaultDtype)) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultDtype'],
        message: `"${m.defaultDtype}" is not one of the model's precisions (${dtypes.join(', ')})`,
      });
    }
    for (const dtype of dtypes) {
      const p = m.dtypes[dtype]!;
      const at = (...rest: (string | number)[]) => ['dtypes', dtype, ...rest];
      if (p.files === null) {
        if (p.bytes !== null) {
          ctx.addIssue({ code: 'custom', path: at('files'), message: 'a size needs the listing entries it adds up' });
        }
        if (!p.evidence) {
          ctx.addIssue({
            code: 'custom',
            path: at('evidence'),
            message: 'without a listing, say why the precision is believed to exist',
          });
        }
        continue;
      }
      // The files must be this precision's: transformers.js asks for exactly these names.
      const graph = `onnx/model${DTYPE_SUFFIXES[dtype]}.onnx`;
      p.files.forEach((file, i) => {
        const ok =
          i === 0
            ? file.path === graph
            : file.path.startsWith(graph) && /^_data(_\d+)?$/.test(file.path.slice(graph.length));
        if (!ok) {
          ctx.addIssue({
            code: 'custom',
            path: at('files', i, 'path'),
            message:
              i === 0 ? `expected ${dtype}'s graph, ${graph}` : `expected ${graph}'s external data, ${graph}_data`,
          });
        }
      });
      const listed = p.files.reduce((sum, f) => sum + (listedSizeBytes(f.size) ?? Number.NaN), 0);
      if (Number.isFinite(listed) && p.bytes !== listed) {
        ctx.addIssue({
          code: 'custom',
          path: at('bytes'),
          message: `${p.bytes} is not what the listed files add up to (${p.files.map((f) => f.size).join(' + ')} = ${listed})`,
        });
      }
    }
  });

const catalog = z.strictObject({
  $comment: z.string().optional(),
  models: z
    .array(model)
    .min(1)
    .superRefine((models, ctx) => {
      const seen = new Set<string>();
      models.forEach((m, i) => {
        if (seen.has(m.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `"${m.id}" is listed twice` });
        seen.add(m.id);
      });
    }),
});

export class CuratedModelsError extends Error {
  override readonly name = 'CuratedModelsError';
}

/** Where an issue is, naming the model by its id: `models[2] (owner/name).dtypes.q8.bytes`. */
function issuePath(data: unknown, path: readonly PropertyKey[]): string {
  let out = '';
  path.forEach((key, i) => {
    out += typeof key === 'number' ? `[${key}]` : `${out === '' ? '' : '.'}${String(key)}`;
    if (i === 1 && path[0] === 'models' && typeof key === 'number') {
      const id = (data as { models?: { id?: unknown }[] } | null)?.models?.[key]?.id;
      if (typeof id === 'string') out += ` (${id})`;
    }
  });
  return out || '(file)';
}

/** Checks the data file's contents; throws a CuratedModelsError listing every problem. */
export function parseCuratedModels(data: unknown): readonly CuratedModel[] {
  const parsed = catalog.safeParse(data);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      // A key that is not a precision: say which ones are.
      const hint =
        i.code === 'unrecognized_keys' && i.path.at(-1) === 'dtypes' ? ` (precisions: ${DTYPES.join(', ')})` : '';
      return `${issuePath(data, i.path)}: ${i.message}${hint}`;
    });
    throw new CuratedModelsError(`curated-models.json is not valid:\n${lines.join('\n')}`);
  }
  return parsed.data.models.map((m) => ({
    id: m.id,
    name: m.name,
    parameters: m.parameters,
    defaultDtype: m.defaultDtype,
    webgpu: m.webgpu,
    ...(m.note ? { note: m.note } : {}),
    precisions: (Object.keys(m.dtypes) as FolderDType[]).map((dtype) => ({ dtype, bytes: m.dtypes[dtype]!.bytes })),
    source: m.source,
  }));
}

export const CURATED_MODELS: readonly CuratedModel[] = parseCuratedModels(curatedModelsJson);
