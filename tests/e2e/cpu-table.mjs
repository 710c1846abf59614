// Prints each e2e test's wall time (less any wait for a CPU slot) and CPU seconds from a run
// with E2E_CPU=1 (target/e2e/results.json), the tests that mostly wait first: the evidence for
// the `idle` project of playwright.config.mjs. Usage: node tests/e2e/cpu-table.mjs [results.json]
import fs from 'node:fs';

const file = process.argv[2] || new URL('../../target/e2e/results.json', import.meta.url);
const results = JSON.parse(fs.readFileSync(file, 'utf8'));
const rows = [];
const walk = (suite, file) => {
  for (const spec of suite.specs || []) {
    for (const t of spec.tests) {
      for (const r of t.results) {
        const notes = r.annotations || t.annotations || [];
        const cpu = notes.find((a) => a.type === 'cpu');
        if (!cpu) continue;
        // A wait for a CPU slot (harness.mjs) is in the duration, not in the test's work.
        const waited = parseFloat(notes.find((a) => a.type === 'cpu-slot-wait')?.description ?? '0');
        rows.push({
          wall: r.duration / 1000 - waited, cpu: Number(cpu.description), project: t.projectName, name: `${file} › ${spec.title}`,
        });
      }
    }
  }
  for (const s of suite.suites || []) walk(s, file ?? s.file);
};
for (const s of results.suites || []) walk(s, s.file);
if (!rows.length) {
  console.error('no CPU annotations: run the suite with E2E_CPU=1');
  process.exit(1);
}
rows.sort((a, b) => a.cpu / a.wall - b.cpu / b.wall);
console.log('  wall s   cpu s  cores  project  test');
for (const r of rows) {
  const cores = (r.cpu / r.wall).toFixed(2);
  console.log(`${r.wall.toFixed(1).padStart(8)}${r.cpu.toFixed(1).padStart(8)}${cores.padStart(7)}  ${r.project.padEnd(7)}  ${r.name.slice(0, 110)}`);
}
const sum = (f) => rows.reduce((a, r) => a + f(r), 0);
console.log(`${sum((r) => r.wall).toFixed(0).padStart(8)}${sum((r) => r.cpu).toFixed(0).padStart(8)}         total of ${rows.length} tests`);
