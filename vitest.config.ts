import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    // Real processes under real ptrace: separate processes, not worker threads,
    // so signals and the tracer thread of one file never meet another's.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    globalSetup: ['test/global-setup.ts'],
    // test/*.test-d.ts: the public types, checked by tsc as tests (a misspelt name must not compile).
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.test.json' },
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
