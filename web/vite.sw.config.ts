// The service worker, built on its own into one classic script at `dist/sw.js` (served at
// the root, so its scope is the whole app). Run after the app's build: it keeps `dist`.
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2020',
    sourcemap: false,
    lib: {
      entry: 'src/sw.ts',
      formats: ['iife'],
      name: 'paybellServiceWorker',
      fileName: () => 'sw.js',
    },
  },
});
