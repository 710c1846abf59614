// What a portal page's start costs in compiling snshare's code, from Chrome traces (README "The
// content glue compiled as it streams"). A development tool beside bench.mjs, not a test.
//
//   node tests/e2e/trace-start.mjs                 the list page, 5 loads of dist/chrome
//   SNSHARE_DIST=<dir>                             another build (a bench build, a variant)
//   TRACE_URL=/homepage  TRACE_LOADS=10            another page, more loads
//   TRACE_CSP=strict                               the replica's strict CSP (the JS build runs)
//   TRACE_CONNECT=1                                connected first (the integration user)
//   TRACE_NAMES=target/sizes/snshare_content_bg.wasm
//                                                  name the wasm functions the loads compiled,
//                                                  grouped by module (put that build, from
//                                                  `./build.sh sizes`, in SNSHARE_DIST's pkg/)
//
// Each load is traced from navigation to the first share button (or the cards' region on pages
// without rows) + 300 ms. Printed per load, in ms of CPU (`tdur`): V8's compile and parse on the
// main thread and on the thread that streams scripts, the wasm's lazy compile, and the main
// thread's script callbacks; then the median of each.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, PORTAL, startReplica, startSandbox, launchExtension, grantedExtensionDir, connectWithPassword } from './harness.mjs';
import { median } from './bench/stats.mjs';
import { traced } from './bench/trace.mjs';

const URL_PATH = process.env.TRACE_URL || '/securescore?viewid=actions';
const LOADS = Number(process.env.TRACE_LOADS || 5);
const CATEGORIES = ['v8', 'disabled-by-default-v8.compile', 'devtools.timeline', 'v8.wasm', 'disabled-by-default-v8.wasm.detailed'];
const COUNTED = /^(V8\.ParseFunction|V8\.CompileIgnition|v8\.parseOnBackground|wasm\.CompileLazy|FunctionCall)$/;

const sandbox = await startSandbox(['--no-demo-records']);
const replica = await startReplica(process.env.TRACE_CSP || 'none');
const ext = await launchExtension({
  portalPort: replica.port, sandboxPort: sandbox.port, extensionDir: grantedExtensionDir(), front: false,
});
const rows = [];
const compiled = new Map();
try {
  if (process.env.TRACE_CONNECT) await (await connectWithPassword(ext.context, ext.extensionId)).close();
  for (let i = 0; i < LOADS; i += 1) {
    const page = await ext.context.newPage();
    await page.goto(`${PORTAL}/favicon.svg`); // same origin: the trace session carries over
    const events = await traced(ext.context, page, CATEGORIES, async () => {
      await page.goto(PORTAL + URL_PATH);
      await page.locator('button.snshare-share, [data-snshare="card"]').first().waitFor({ timeout: 15_000 });
      await page.waitForTimeout(300);
    });
    const threads = new Map();
    for (const e of events) if (e.name === 'thread_name') threads.set(`${e.pid}:${e.tid}`, e.args.name);
    const row = {};
    for (const e of events) {
      if (e.ph !== 'X' || !e.tdur || !COUNTED.test(e.name)) continue;
      const thread = (threads.get(`${e.pid}:${e.tid}`) || '').startsWith('CrRendererMain') ? 'main' : 'other';
      const key = `${thread} ${e.name}`;
      row[key] = (row[key] || 0) + e.tdur / 1000;
      if (e.name === 'wasm.CompileLazy') compiled.set(e.args.func_index, (compiled.get(e.args.func_index) || 0) + 1);
    }
    rows.push(row);
    await page.close();
  }
} finally {
  await ext.context.close();
  fs.rmSync(ext.userDataDir, { recursive: true, force: true });
  await replica.stop();
  await sandbox.stop();
}

const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].sort();
console.log(`${URL_PATH}, ${LOADS} loads, ms of CPU per load (last column: median)`);
for (const k of keys) {
  const xs = rows.map((r) => r[k] || 0);
  console.log(`${xs.map((x) => x.toFixed(1).padStart(7)).join('')} | ${median(xs).toFixed(1).padStart(6)}  ${k}`);
}

if (process.env.TRACE_NAMES) {
  // The function indices the loads compiled, named and grouped by tests/tools/wasm_sizes.py.
  const script = `
import json, sys
from collections import defaultdict
sys.path.insert(0, ${JSON.stringify(path.join(ROOT, 'tests/tools'))})
import wasm_sizes as w
_, imported, bodies, names = w.parse(open(sys.argv[1], 'rb').read())
readable = w.demangle_all(list(names.values()))
seen = json.loads(sys.argv[2])
groups = defaultdict(lambda: [0, 0])
for f in seen:
    n = readable.get(names.get(f, ''), names.get(f, '?'))
    g = groups[w.owner(n, 2)]; g[0] += bodies[f - imported]; g[1] += 1
total = sum(v[0] for v in groups.values())
print(f"compiled in any of the loads: {len(seen)} of {len(bodies)} functions, {total:,} of {sum(bodies):,} B of code")
for o, (b, c) in sorted(groups.items(), key=lambda x: -x[1][0])[:25]:
    print(f"{b:9,} B {c:4} fn  {o}")
`;
  console.log(execFileSync('python3', ['-c', script, process.env.TRACE_NAMES, JSON.stringify([...compiled.keys()])], { encoding: 'utf8' }));
}
