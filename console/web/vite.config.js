import { defineConfig } from 'vite';

// Relative asset URLs: the console server serves the build from its root, with nothing fetched elsewhere.
export default defineConfig({
  base: './',
  build: { assetsDir: 'assets', sourcemap: false, chunkSizeWarningLimit: 1000 },
});
