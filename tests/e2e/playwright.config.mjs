// End-to-end suite: Debian's Chromium (never a downloaded browser), the built extension from
// dist/chrome, the ServiceNow sandbox and the portal replica on loopback. See harness.mjs.
import { defineConfig } from '@playwright/test';

// The tests that take longest (~15 s or more under load), started first. Playwright hands tests
// to its workers in the order it lists them, file by file: a long test listed late could leave
// one worker alone with it at the end of the run while the other sat idle. Each test is in
// exactly one of the two projects below (same options, long first), so the suite runs the same
// tests either way; a renamed test only loses its early start.
const LONG = new RegExp([
  'tracking on every variant',
  'one share button per visible row',
  'keyboard only, from the Share menu and from a row',
  'shared while its id was unknown',
  'one Tab stop per row',
  'the task form in every state',
  'French portal, English browser',
  'a bulk whose browser closes after 10 tickets',
  '25 selected, 5 with open tickets',
  'the worker stopped between write and send',
  '503 three times',
  'offline for 20 s',
  'a 10-second delay beyond the client timeout',
  'a create the instance commits after the first lookup',
  'two queued shares survive closing the browser',
  'the demo walkthrough passes twice',
].join('|'));

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
  projects: [
    { name: 'long', grep: LONG },
    { name: 'rest', grepInvert: LONG },
  ],
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
