// End-to-end suite: Debian's Chromium (never a downloaded browser), the built extension from
// dist/chrome, the ServiceNow sandbox and the portal replica on loopback. See harness.mjs.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.mjs$/,
  // Every test gets its own browser profile; the servers are shared per worker and reset, so
  // tests of one file may run in different workers. Two workers by default: most of a test's
  // time is spent waiting (browser start, retries, timers), not computing — a one-worker run
  // kept two cores 40 % busy. Three made the role-query-heavy audits of fluent.spec.mjs miss
  // their bounds on two cores.
  fullyParallel: true,
  workers: Number(process.env.E2E_WORKERS || 2),
  globalSetup: './global-setup.mjs',
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  // One directory per concurrent run (E2E_RUN), since Playwright empties it at start.
  outputDir: `../../target/e2e/artifacts${process.env.E2E_RUN ? `-${process.env.E2E_RUN}` : ''}`,
  reporter: [['list']],
  // A failed test keeps its trace: the actions with their logs, console and network, and a
  // screenshot. Without the DOM snapshots and screencast frames a trace records at every action
  // of every test (to be thrown away when it passes): those made the tests 25-40 % slower.
  use: {
    trace: { mode: 'retain-on-failure', snapshots: false, screenshots: false, sources: true },
    screenshot: 'only-on-failure',
  },
});
