import { resolve } from 'node:path'
import { defineConfig } from 'vite'

// The `fws` CLI (and the engine's worker entry points) as Node ESM; npm packages stay external.
export default defineConfig({
  build: {
    ssr: true,
    outDir: 'out/cli',
    emptyOutDir: true,
    target: 'node20',
    sourcemap: true,
    rollupOptions: {
      input: {
        fws: resolve(import.meta.dirname, 'src-main/cli/index.ts'),
        // Worker-thread entries (engine/core/worker-entry.ts finds them next to the bundle).
        'pipeline-worker': resolve(import.meta.dirname, 'src-main/engine/jobs/workers/pipeline-worker.ts'),
        'finetune-worker': resolve(import.meta.dirname, 'src-main/engine/jobs/workers/finetune-worker.ts'),
        'grad-worker': resolve(import.meta.dirname, 'src-main/engine/jobs/workers/grad-worker.ts'),
      },
      output: { format: 'es', entryFileNames: '[name].js' },
    },
  },
})
