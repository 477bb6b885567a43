/**
 * How the app names the public sources it converts (see src/core/benchmark/importers), and which
 * files it offers for each.
 */
import type { ImportSourceKind } from '../../protocol/benchmark-service.js';

export interface ImportSourceInfo {
  readonly kind: ImportSourceKind;
  /** Shown in the source select. */
  readonly label: string;
  /** Short name in running text. */
  readonly name: string;
  /** The file input's `accept`. */
  readonly accept: string;
  /** What the files look like. */
  readonly hint: string;
}

export const IMPORT_SOURCES: readonly ImportSourceInfo[] = [
  {
    kind: 'xpersona',
    label: 'Xpersona JSON',
    name: 'Xpersona',
    accept: '.json,application/json',
    hint: 'A list of {persona, dialogue}, e.g. Fr_persona_split_test_human_annotated.json: the language is read from the name (Fr, En, Zh, Jp, Ko, It, Id) unless you give one.',
  },
  {
    kind: 'spc',
    label: 'Synthetic-Persona-Chat CSV',
    name: 'Synthetic-Persona-Chat',
    accept: '.csv,text/csv',
    hint: 'Columns "user 1 personas", "user 2 personas" and "Best Generated Conversation"; User 1 is the user, User 2 the agent. English unless you give a language.',
  },
  {
    kind: 'rolebench',
    label: 'RoleBench JSONL',
    name: 'RoleBench',
    accept: '.jsonl,.json,application/json',
    hint: 'One {role, question, generated} per line; single-turn questions, so the turn does not apply. English unless you give a language.',
  },
];

export function importSourceInfo(kind: ImportSourceKind): ImportSourceInfo {
  return IMPORT_SOURCES.find((s) => s.kind === kind) ?? IMPORT_SOURCES[0]!;
}
