// The bench's figures: one registry of metrics (names, units and budgets of issue 8, plus
// informational ones), the printed table and target/bench/results.json.
import fs from 'node:fs';
import path from 'node:path';

/**
 * Every metric the bench knows, in the order printed. `cmp` says how the value meets its
 * budget: 'le' (≤), 'ge' (≥). `budget` null = informational (no pass/fail).
 */
export const METRICS = [
  // issue 8
  ['content_payload_gzip_kb', 'KiB', 100, 'le'],
  ['wasm_raw_kb', 'KiB', 350, 'le'],
  ['inject_200_rows_ms', 'ms', 16, 'le'],
  ['inject_2000_rows_ms', 'ms', 100, 'le'],
  ['startup_main_thread_ms', 'ms', 30, 'le'],
  ['page_load_ratio', 'ratio', 1.05, 'le'],
  ['churn_cpu_share', 'share', 0.05, 'le'],
  ['cards_render_1000_ms', 'ms', 30, 'le'],
  ['share_overhead_ms', 'ms', 50, 'le'],
  ['sw_cold_start_ms', 'ms', 150, 'le'],
  ['requests_per_card_refresh', 'requests', 1, 'le'],
  ['content_heap_mb', 'MiB', 8, 'le'],
  // issue 13: what one user costs the instance
  ['instance_requests_per_user_hour', 'requests/h', 30, 'le'],
  ['counts_off_with_5000', 'tickets', 0, 'le'],
  // issue 7 (soak) and issue 3 (sandbox)
  ['outbox_soak_records', 'records', 200, 'ge'],
  ['outbox_soak_duplicates', 'records', 0, 'le'],
  ['outbox_soak_left', 'entries', 0, 'le'],
  ['outbox_soak_wall_s', 's', null],
  ['sandbox_startup_ms', 'ms', 2000, 'le'],
  ['sandbox_1000_gets_ms', 'ms', 2000, 'le'],
  // informational
  ['js_fallback_gzip_kb', 'KiB', null],
  ['js_fallback_page_gzip_kb', 'KiB', null],
  ['ext_wasm_raw_kb', 'KiB', null],
  ['inject_2000_rows_total_ms', 'ms', null],
  ['startup_main_thread_self_ms', 'ms', null],
  ['cards_page_load_main_thread_ms', 'ms', null],
  ['page_load_idle_with_ms', 'ms', null],
  ['page_load_idle_without_ms', 'ms', null],
  ['requests_first_card_refresh', 'requests', null],
  ['content_js_heap_mb', 'MiB', null],
  ['content_wasm_memory_mb', 'MiB', null],
  ['outbox_soak_faults', 'faults', null],
  ['sandbox_startup_tls_ms', 'ms', null],
  ['sandbox_1000_gets_tls_ms', 'ms', null],
].map(([name, unit, budget, cmp = 'le']) => ({ name, unit, budget, cmp }));

const byName = new Map(METRICS.map((m) => [m.name, m]));

export class Results {
  constructor() {
    /** name -> { value, status: 'ok' | 'not yet' | 'error' | 'skipped', note, runs } */
    this.values = new Map();
  }

  set(name, value, { note, runs } = {}) {
    if (!byName.has(name)) throw new Error(`unknown metric ${name}`);
    if (value === null || value === undefined || !Number.isFinite(value)) {
      this.values.set(name, { value: null, status: 'error', note: note ?? `not a number: ${value}`, runs });
    } else {
      this.values.set(name, { value, status: 'ok', note, runs });
    }
  }

  /** The feature this metric needs does not exist yet. */
  notYet(name, note) { this.values.set(name, { value: null, status: 'not yet', note }); }

  error(name, note) {
    if (this.values.get(name)?.status === 'ok') return;
    this.values.set(name, { value: null, status: 'error', note });
  }

  skipped(name, note) { this.values.set(name, { value: null, status: 'skipped', note }); }

  get(name) { return this.values.get(name); }

  verdict(name) {
    const m = byName.get(name);
    const v = this.values.get(name);
    if (!v || v.value === null) return v?.status ?? 'missing';
    if (m.budget === null) return 'info';
    const ok = m.cmp === 'ge' ? v.value >= m.budget : v.value <= m.budget;
    return ok ? 'pass' : 'FAIL';
  }

  table() {
    const fmt = (x) => {
      if (x === null || x === undefined) return '';
      if (Number.isInteger(x)) return String(x);
      if (Math.abs(x) >= 100) return x.toFixed(0);
      if (Math.abs(x) >= 10) return x.toFixed(1);
      if (Math.abs(x) >= 1) return x.toFixed(2);
      return x.toFixed(3);
    };
    const rows = [['metric', 'value', 'unit', 'budget', 'result']];
    for (const m of METRICS) {
      const v = this.values.get(m.name);
      const shown = !v ? 'missing' : v.value === null ? v.status : fmt(v.value);
      const budget = m.budget === null ? '—' : `${m.cmp === 'ge' ? '≥' : '≤'} ${m.budget}`;
      rows.push([m.name, shown, m.unit, budget, this.verdict(m.name)]);
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
    const line = (r) => r.map((c, i) => (i === 1 ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ');
    const out = [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
    return out.join('\n');
  }

  notes() {
    const out = [];
    for (const m of METRICS) {
      const v = this.values.get(m.name);
      if (v?.note && v.status !== 'skipped') out.push(`  ${m.name}: ${v.note}`);
    }
    return out.join('\n');
  }

  summary() {
    const counts = {};
    for (const m of METRICS) { const r = this.verdict(m.name); counts[r] = (counts[r] ?? 0) + 1; }
    return counts;
  }

  write(file, run) {
    const metrics = {};
    for (const m of METRICS) {
      const v = this.values.get(m.name);
      metrics[m.name] = { value: v?.value === null || v?.value === undefined ? null : Number(v.value.toPrecision(6)), unit: m.unit, budget: m.budget };
    }
    const notes = {};
    for (const m of METRICS) {
      const v = this.values.get(m.name);
      const runs = v?.runs?.map((x) => (Number.isFinite(x) ? Number(x.toPrecision(6)) : x));
      notes[m.name] = { result: this.verdict(m.name), ...(v?.note ? { note: v.note } : {}), ...(runs ? { runs } : {}) };
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify({ metrics, run: { ...run, details: notes } }, null, 2)}\n`);
  }
}
