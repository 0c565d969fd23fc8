import { defineConfig } from 'vitest/config';

// During `npm run dev` / `npm run preview` the console talks to a running
// CityOS server; in production the server itself serves `dist/`.
const apiTarget = process.env.CITYOS_URL ?? 'http://127.0.0.1:8080';
const proxy = {
  '/api': { target: apiTarget, changeOrigin: false },
  '/vendor': { target: apiTarget, changeOrigin: false },
  '/ogc': { target: apiTarget, changeOrigin: false },
};

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
  server: { proxy },
  preview: { proxy },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
