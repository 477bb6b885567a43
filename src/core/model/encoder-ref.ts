/**
 * How results, settings and cache keys name a text encoder (the bound's embedding model), and
 * the reverse: `input-embeddings:<bundled model>` for a bundled demo model's input-embedding
 * matrix, `hub:<owner/name>` for a feature-extraction model on the Hub. A Hub encoder's revision
 * and precision are load options, not part of its name (its fingerprint records the commit).
 */

/** What names an encoder; the model service's EncoderRef adds load options to the Hub kind. */
export type EncoderId =
  { readonly kind: 'input-embeddings'; readonly model: string } | { readonly kind: 'hub'; readonly id: string };

const INPUT_EMBEDDINGS = 'input-embeddings:';
const HUB = 'hub:';

/** An encoder's name, e.g. `input-embeddings:rolescope-tiny-multi` or `hub:Xenova/all-MiniLM-L6-v2`. */
export const encoderName = (ref: EncoderId): string =>
  ref.kind === 'input-embeddings' ? `${INPUT_EMBEDDINGS}${ref.model}` : `${HUB}${ref.id}`;

/** The reverse of encoderName; null for a name of neither form. */
export function encoderRef(name: string): EncoderId | null {
  if (name.startsWith(INPUT_EMBEDDINGS))
    return { kind: 'input-embeddings', model: name.slice(INPUT_EMBEDDINGS.length) };
  if (name.startsWith(HUB)) return { kind: 'hub', id: name.slice(HUB.length) };
  return null;
}
