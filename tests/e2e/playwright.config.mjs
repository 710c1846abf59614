// End-to-end suite: Debian's Chromium (never a downloaded browser), the built extension from
// dist/chrome, the ServiceNow sandbox and the portal replica on loopback. See harness.mjs.
import { defineConfig } from '@playwright/test';

// The tests that take longest (~15 s or more under load), started first. Playwright hands tests
// to its workers in the order it lists them, file by file: a long test listed late could leave
// one worker alone with it at the end of the run while the other sat idle. Each test is in
// exactly one of the three projects below (same options), so the suite runs the same tests
// either way; a renamed test only loses its early start or its own worker.
const LONG = new RegExp([
  'tracking on every variant',
  'one share button per visible row',
  'keyboard only, from the Share menu and from a row',
  'shared while its id was unknown',
  'one Tab stop per row',
  'the task form in every state',
  'French portal, English browser',
  '25 selected, 5 with open tickets',
  '503 three times',
  'two queued shares survive closing the browser',
  'the demo walkthrough passes twice',
].join('|'));

// The tests that mostly wait: on a held create, the outbox's lease and backoff, a browser
// restart. Each keeps 0.2 to 0.35 of a core busy, where most tests keep 1.5 (measured alone
// with E2E_CPU=1 and tests/e2e/cpu-table.mjs, README "How we test"). They run in a worker of
// their own, the `idle` project, beside the two that keep the cores busy; the others hold one
// of two CPU slots (harness.mjs, cpuSlots), so the third worker never adds a third busy test.
const IDLE = new RegExp([
  'the worker stopped between write and send',
  'a create the instance commits after the first lookup',
  'offline for 20 s',
  'a 10-second delay beyond the client timeout',
  'a bulk whose browser closes after 10 tickets',
].join('|'));

export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.mjs$/,
  // Every test gets its own browser profile; the servers are shared per worker and reset, so
  // tests of one file may run in different workers. Three workers by default: two for the tests
  // that keep the cores busy (a test with its browser keeps ~1.5 of two cores busy while it
  // acts; a third such test made the role-query-heavy audits of fluent.spec.mjs miss their
  // bounds on two cores), one for the `idle` project.
  fullyParallel: true,
  workers: Number(process.env.E2E_WORKERS || 3),
  globalSetup: './global-setup.mjs',
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  // Listed first, the idle tests are first in line: whenever none of them runs, a free worker
  // takes the next one.
  projects: [
    { name: 'idle', grep: IDLE, workers: 1 },
    { name: 'long', grep: LONG },
    { name: 'rest', grepInvert: new RegExp(`${LONG.source}|${IDLE.source}`) },
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
