import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

// Three bundles: Electron main (ESM), preload (CJS: sandboxed preloads cannot be ES modules), renderer (Vue).
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      rollupOptions: {
        input: {
          index: resolve(import.meta.dirname, 'src-main/app/main.ts'),
          // The engine's utilityProcess (out/main/engine.js), started by main.ts.
          engine: resolve(import.meta.dirname, 'src-main/app/engine-process.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // Sandboxed preload: everything except electron itself is bundled in.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'src-main/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src-renderer',
    // Relative asset URLs: the page is served from app://renderer/ in Electron and from a per-run
    // session path (/s/<id>/, where the token cookie is scoped) by `fws serve`.
    base: './',
    resolve: { alias: { '@contract': resolve(import.meta.dirname, 'src-main/contract') } },
    build: {
      outDir: 'out/renderer',
      rollupOptions: { input: { index: resolve(import.meta.dirname, 'src-renderer/index.html') } },
    },
    plugins: [vue()],
  },
})
