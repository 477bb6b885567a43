/**
 * The commit a Hub model's revision (a branch such as "main", a tag, or a commit) points to now.
 * Cached scores of a Hub model are keyed by it: a branch moves when the model is updated, and
 * keying by the branch name would serve the old model's scores for the new one.
 */

/** The commit SHA, or null when the Hub cannot be asked (offline) or does not answer with one. */
export type HubCommitResolver = (modelId: string, revision: string) => Promise<string | null>;

const SHA = /^[0-9a-f]{40}$/;

export function createHubCommitResolver(
  fetchJson: (url: string) => Promise<unknown> = async (url) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  },
  host = 'https://huggingface.co',
): HubCommitResolver {
  return async (modelId, revision) => {
    if (SHA.test(revision)) return revision;
    try {
      const info = (await fetchJson(`${host}/api/models/${modelId}/revision/${encodeURIComponent(revision)}`)) as {
        sha?: unknown;
      };
      return typeof info?.sha === 'string' && SHA.test(info.sha) ? info.sha : null;
    } catch {
      return null;
    }
  };
}

/**
 * The files-hash part of a Hub model's fingerprint: its commit when known; otherwise the revision
 * marked unresolved, so that scores computed without knowing the commit are never mistaken for a
 * known commit's.
 */
export const hubFilesHash = (revision: string, commit: string | null): string =>
  commit ? `hub-commit:${commit}` : `hub-revision:${revision}:unresolved`;
