// The Debug Console's build: its own entry (console.html), served by the realtime server
// under /console, so its files are built for that base into dist/console/. In development,
// `/console/api` goes to a realtime server on :6001.
import { defineConfig } from 'vite';

const realtime = process.env.PAYBELL_DEV_REALTIME ?? 'http://127.0.0.1:6001';

export default defineConfig({
  base: '/console/',
  esbuild: { jsx: 'automatic' },
  server: {
    proxy: { '/console/api': { target: realtime, changeOrigin: true } },
  },
  build: {
    outDir: 'dist/console',
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    chunkSizeWarningLimit: 400,
    rollupOptions: { input: 'console.html' },
  },
});
