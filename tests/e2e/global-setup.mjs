// Runs once, in Playwright's main process, before any worker starts: what several workers would
// otherwise build at the same time (and delete under each other) is built here.
import fs from 'node:fs';
import path from 'node:path';
import { grantedExtensionDir, ROOT } from './harness.mjs';

export default function globalSetup() {
  grantedExtensionDir();
  grantedExtensionDir({ openShadowRoot: false });
  // The CPU slots of this run (harness.mjs, cpuSlots), read by the workers it starts.
  const slots = path.join(ROOT, 'target/e2e', `cpu-slots-${process.pid}`);
  fs.rmSync(slots, { recursive: true, force: true });
  process.env.E2E_CPU_SLOTS_DIR = slots;
  return () => fs.rmSync(slots, { recursive: true, force: true });
}
