// `./build.sh demo` is one of the two commands a new user runs. Without a display its
// walkthrough runs itself; the sandbox keeps its data between demos, so the second demo on a
// machine meets the first one's tickets (the task form then offers the open ticket first). Both
// runs must pass every step and create their two tickets.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { ROOT } from './harness.mjs';

function demo(out) {
  return new Promise((resolve) => {
    const env = { ...process.env, SNSHARE_DEMO_OUT: out };
    delete env.DISPLAY;
    const child = spawn(process.execPath, [path.join(ROOT, 'tests/e2e/demo.mjs')], { cwd: ROOT, env });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('close', (code) => resolve({ code, output }));
  });
}

test('the demo walkthrough passes twice in a row, the second time beside the first one\'s tickets', async () => {
  test.setTimeout(300_000);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'snshare-demo-'));
  try {
    for (const run of ['first', 'second']) {
      const { code, output } = await demo(out);
      expect(output, `${run} run`).not.toContain('FAIL');
      expect(output, `${run} run`).toContain('Tickets created in the sandbox (2):');
      expect(output, `${run} run`).toMatch(/\bINC\d{7}\b[\s\S]*\bCHG\d{7}\b/);
      expect(code, `${run} run's exit code`).toBe(0);
      expect(fs.readdirSync(out).filter((f) => f.endsWith('.png')), `${run} run's screenshots`).toHaveLength(9);
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
