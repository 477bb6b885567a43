import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/**
 * Cross-origin isolation lets onnxruntime-web use threads (SharedArrayBuffer). `credentialless`
 * rather than `require-corp` so that Hub downloads, which a user may ask for, still load.
 */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'credentialless',
};

export default defineConfig({
  plugins: [svelte()],
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    // The onnxruntime-web bundle is large by nature; it loads in the worker, not on the page.
    chunkSizeWarningLimit: 4096,
  },
  optimizeDeps: { exclude: ['@huggingface/transformers', 'onnxruntime-web'] },
  server: { headers: isolation },
  preview: { headers: isolation, port: 4173, host: '127.0.0.1' },
});
