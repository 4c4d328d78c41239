/**
 * Vitest reporter that ends the run with one plain line, "Tests: N passed, N failed, N skipped",
 * so CI logs state the outcome in a form any tool can read. A file that fails outside its tests
 * (it does not load, or a beforeAll/afterAll hook throws, leaving its tests skipped) counts as one
 * failure.
 */
import type { Reporter, TestModule } from 'vitest/node'

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    for (const m of modules) {
      const failedBefore = failed
      for (const t of m.children.allTests()) {
        const state = t.result().state
        if (state === 'passed') passed++
        else if (state === 'failed') failed++
        else skipped++
      }
      if (m.state() === 'failed' && failed === failedBefore) failed++
    }
    process.stdout.write(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`)
  }
}
