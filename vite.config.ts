import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';

/**
 * Cross-origin isolation lets onnxruntime-web use threads (SharedArrayBuffer). `credentialless`
 * rather than `require-corp` so that Hub downloads, which a user may ask for, still load.
 */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'credentialless',
};

/**
 * What the built app may load: scripts, workers and wasm from its own origin only; connections to
 * its own origin and to the Hugging Face Hub's hosts (model downloads the user asks for, which
 * redirect to *.hf.co storage), and to blob: URLs (files the page itself made, such as exports). No analytics, fonts or CDNs can load. 'wasm-unsafe-eval' lets
 * onnxruntime compile its wasm; inline styles are Svelte's and Observable Plot's.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self' blob: https://huggingface.co https://*.huggingface.co https://*.hf.co",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');

/**
 * The policy as a meta tag in the built page, so any static host enforces it on the page; the
 * preview server also sends it as a header, which is what binds the workers.
 */
const contentSecurityPolicy: Plugin = {
  name: 'rolescope-content-security-policy',
  apply: 'build',
  transformIndexHtml: () => [
    {
      tag: 'meta',
      attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY },
      injectTo: 'head-prepend',
    },
  ],
};

/**
 * The bundled models' files, exactly those their manifest lists (what the model worker loads), so
 * a model added to or removed from public/models/manifest.json is precached or dropped with it.
 */
const bundledModels = (
  JSON.parse(readFileSync('public/models/manifest.json', 'utf8')) as {
    models: { id: string; files: Record<string, unknown> }[];
  }
).models.flatMap((model) => Object.keys(model.files).map((file) => `models/${model.id}/${file}`));

/**
 * Offline use: a service worker (workers/sw.ts, built by vite-plugin-pwa with Workbox)
 * precaches the app shell, every built asset (the worker bundles and onnxruntime-web's
 * `.wasm`/`.mjs` included), the bundled models, the demo samples and the demo benchmark. Nothing
 * is cached at run time, and Hub downloads are never touched (transformers.js caches those).
 */
const pwa = VitePWA({
  strategies: 'injectManifest',
  srcDir: 'workers',
  filename: 'sw.ts',
  // Registered by src/main.ts (src/lib/state/offline.svelte.ts), which also drives the header's badge.
  injectRegister: false,
  manifest: {
    name: 'Rolescope',
    short_name: 'Rolescope',
    description: 'Measure how role-playing language models generalize, entirely in your browser.',
    theme_color: '#1f5fa8',
    background_color: '#f7f7f5',
    display: 'standalone',
    icons: [{ src: 'icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
  },
  injectManifest: {
    // A classic (not module) worker: every browser with service workers can run it.
    rollupFormat: 'iife',
    globPatterns: [
      'index.html',
      'assets/**/*.{js,mjs,css,wasm}',
      'data/demo-benchmark.json',
      'samples/*.json',
      'models/manifest.json',
      ...bundledModels,
    ],
    // Workbox refuses files over 2 MiB by default; onnxruntime-web's wasm is ~26 MiB and each
    // bundled model ~14 MiB, and the app is useless offline without them. The limit is raised
    // deliberately, to just above the largest file, so an accidental giant still fails the build.
    maximumFileSizeToCacheInBytes: 32 * 1024 * 1024,
  },
});

export default defineConfig({
  plugins: [svelte(), pwa, contentSecurityPolicy],
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    // The onnxruntime-web bundle is large by nature; it loads in the worker, not on the page.
    chunkSizeWarningLimit: 4096,
  },
  optimizeDeps: { exclude: ['@huggingface/transformers', 'onnxruntime-web'] },
  server: { headers: isolation },
  preview: {
    headers: { ...isolation, 'Content-Security-Policy': CONTENT_SECURITY_POLICY },
    port: 4173,
    host: '127.0.0.1',
  },
});
