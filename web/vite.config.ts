/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';

// The API base is relative by default (the api serves web/dist itself); set
// VITE_API_BASE at build time to point the dashboard elsewhere, e.g.
//   VITE_API_BASE=https://status.example.com/api/v1 npm run build
// In development, `npm run dev` proxies /api to STATUSHAWK_API (default http://127.0.0.1:8000).
const apiTarget = process.env.STATUSHAWK_API || 'http://127.0.0.1:8000';

export default defineConfig({
  plugins: [react(), tailwindcss()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      '/api': { target: apiTarget, changeOrigin: false },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
