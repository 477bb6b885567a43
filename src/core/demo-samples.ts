/**
 * The bundled demo samples (`public/samples/demo-samples.json`), built from the public test files
 * by scripts/build-demo-samples.ts. Each is a role-play input and its golden next response.
 */
import type { RolePlayInput } from './prompts/prompt.js';

export interface DemoSample extends RolePlayInput {
  readonly id: string;
  /** Human label, e.g. "Xpersona (English) #12". */
  readonly label: string;
  readonly source: string;
  /** BCP 47 code of the dialogue's language. */
  readonly language: string;
  readonly goldenResponse: string;
}

export interface DemoSampleFile {
  readonly version: 1;
  readonly attribution: string;
  readonly samples: readonly DemoSample[];
}
