/**
 * The service worker: keeps the app usable offline after the first visit.
 *
 * vite-plugin-pwa builds this file (injectManifest strategy) and replaces `self.__WB_MANIFEST` with
 * the precache list chosen in vite.config.ts: the app shell, the worker bundles, onnxruntime-web's
 * wasm, the bundled models, the demo samples and the demo benchmark, each with a revision so that a
 * new build replaces exactly the files that changed. Workbox installs them all or nothing: the
 * worker only activates once every file is in the cache.
 *
 * Only precached same-origin files are answered here. Every other request (Hugging Face Hub
 * downloads above all: transformers.js keeps those in its own cache) gets no `respondWith` and
 * goes to the network exactly as without a service worker; nothing is cached at run time.
 */
import { clientsClaim } from 'workbox-core';
import type { WorkboxPlugin } from 'workbox-core/types.js';
import { PrecacheController, PrecacheRoute, cleanupOutdatedCaches } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';

declare const self: ServiceWorkerGlobalScope;

/** What the page asks with `OFFLINE_STATUS`: how many precached files are in the cache now. */
export interface OfflineStatus {
  readonly total: number;
  readonly cached: number;
}

/**
 * The app needs cross-origin isolation (SharedArrayBuffer for onnxruntime-web's threads), which the
 * server grants with these headers (vite.config.ts). A cached response keeps the headers it was
 * fetched with; should a host have served a file without them, add them, so that a page and
 * workers loaded from the cache are isolated like the ones loaded from the network.
 */
const ISOLATION: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'credentialless',
};

const isolationHeaders: WorkboxPlugin = {
  cachedResponseWillBeUsed: async ({ cachedResponse }) => {
    if (!cachedResponse || Object.keys(ISOLATION).every((name) => cachedResponse.headers.has(name))) {
      return cachedResponse;
    }
    const headers = new Headers(cachedResponse.headers);
    for (const [name, value] of Object.entries(ISOLATION)) if (!headers.has(name)) headers.set(name, value);
    const { status, statusText } = cachedResponse;
    return new Response(cachedResponse.body, { status, statusText, headers });
  },
};

const precache = new PrecacheController({ plugins: [isolationHeaders] });
// Adds the install handler (fetch and store every entry, or fail the install) and the activate
// handler (drop the entries that a newer build no longer lists).
precache.precache(self.__WB_MANIFEST);
registerRoute(new PrecacheRoute(precache));
// A navigation to the app with a query string (or to index.html) gets the precached page too.
const scopePath = new URL(self.registration.scope).pathname.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
registerRoute(
  new NavigationRoute(precache.createHandlerBoundToURL('index.html'), {
    allowlist: [new RegExp(`^${scopePath}(index\\.html)?(\\?.*)?$`)],
  }),
);
cleanupOutdatedCaches();

// The first installation takes over the open page at once, so a page opened before the files were
// cached still works when the network goes away (switching models included). An update waits
// until the page asks for it (SKIP_WAITING), so a running page never mixes two builds.
clientsClaim();

async function offlineStatus(): Promise<OfflineStatus> {
  const cache = await caches.open(precache.strategy.cacheName);
  const stored = new Set((await cache.keys()).map((request) => request.url));
  const wanted = [...precache.getURLsToCacheKeys().values()];
  return { total: wanted.length, cached: wanted.filter((key) => stored.has(key)).length };
}

self.addEventListener('message', (event) => {
  const type = (event.data as { type?: unknown } | null)?.type;
  if (type === 'SKIP_WAITING') {
    void self.skipWaiting();
  } else if (type === 'OFFLINE_STATUS') {
    // Answered on the MessageChannel port that workbox-window's messageSW() sends.
    event.waitUntil(offlineStatus().then((status) => event.ports[0]?.postMessage(status)));
  }
});
