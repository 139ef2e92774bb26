/// <reference types="vitest/config" />
// Build and dev-server settings. JSX is compiled by esbuild (React's automatic
// runtime) so the build needs no Babel plugin. In development, `/api` and
// `/pusher` go to a `paybell serve` on :8080, the same origin as in production.
import { defineConfig } from 'vite';

const backend = process.env.PAYBELL_DEV_BACKEND ?? 'http://127.0.0.1:8080';

export default defineConfig({
  esbuild: { jsx: 'automatic' },
  server: {
    proxy: {
      '/api': { target: backend, changeOrigin: false },
      '/pusher': { target: backend, changeOrigin: false },
    },
  },
  preview: {
    proxy: {
      '/api': { target: backend, changeOrigin: false },
      '/pusher': { target: backend, changeOrigin: false },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    chunkSizeWarningLimit: 400,
    rollupOptions: {
      onwarn(warning, warn) {
        // react-router marks its modules "use client" for server components; meaningless here.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
  },
});
