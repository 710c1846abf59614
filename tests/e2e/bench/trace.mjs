// A list page's load traced on the page's main thread, with and without snshare (issue 17):
// where the page-load ratio's milliseconds go, by Chromium's own trace events. The CPU profile
// (profile.mjs) sees JavaScript and wasm only; the trace also sees the style, layout and paint
// of what snshare adds, the microtasks its answers run in, and the loading of its files.
//
// Each event's self time (its duration less its children's) is summed per name on the thread
// that ran the page's readiness mark, from the page's `navigationStart` to that mark. Script
// events are told apart by their file: snshare's (chrome-extension://) or the page's.

const CATEGORIES = [
  'devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'blink.user_timing',
  'toplevel', 'loading', '__metadata',
];

/**
 * Runs `run` with Chromium's tracing on for `page` (its `categories`), and returns the trace's
 * events. Also used by trace-start.mjs.
 */
export async function traced(context, page, categories, run) {
  const cdp = await context.newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', (d) => { for (const e of d.value) events.push(e); });
  const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: categories }, transferMode: 'ReportEvents' });
  try {
    await run();
  } finally {
    await cdp.send('Tracing.end');
    await complete;
    await cdp.detach();
  }
  return events;
}

/**
 * Loads `url` in `page` with tracing on. `ready` runs in the page: it resolves when the page is
 * ready, after marking that moment with `performance.mark('bench-ready')` (in the same task, so
 * nothing runs between the readiness and its mark).
 */
export function tracedLoad(context, page, url, ready) {
  return traced(context, page, CATEGORIES, async () => {
    await page.goto(url);
    await page.evaluate(ready);
  });
}

/** Events that run a script and name its file (those without a file keep their own name). */
const SCRIPT_EVENTS = new Set(['FunctionCall', 'EvaluateScript', 'v8.compile', 'v8.compileModule', 'v8.evaluateModule']);

/** The group a main-thread event's self time counts in. */
export function groupOf(name) {
  if (name.startsWith('snshare ')) return 'snshare script';
  if (name.startsWith('page ')) return 'page script';
  if (/^(RunMicrotasks|BlinkScheduler_PerformMicrotaskCheckpoint|v8\.run|V8\.BytecodeBudgetInterrupt|V8\.HandleInterrupts|v8\.callFunction)/.test(name)) return 'microtasks and V8';
  if (/^(V8\.GC|MinorGC|MajorGC|BlinkGC|V8\.Scavenge|V8\.MarkCompact|GCEvent)/.test(name)) return 'garbage collection';
  if (/^(UpdateLayoutTree|RecalculateStyles|ScheduleStyleRecalculation|ParseAuthorStyleSheet)/.test(name)) return 'style';
  if (/^(Layout|LayoutShift)/.test(name)) return 'layout';
  if (/^(Paint|PrePaint|Layerize|Commit|UpdateLayerTree|PaintImage|Rasterize|CompositeLayers)/.test(name)) return 'paint';
  if (/^(v8\.wasm|v8\.newInstance|v8\.produce|v8\.consume|V8\.Deserialize)/.test(name)) return 'compile and instantiate';
  if (/(URLLoader|ResourceRequest|ResourceFetcher|mojo|Mojo|SimpleWatcher|Loader|ResourceLoad|Throttling)/.test(name)) return 'loading and messages';
  if (/^(ParseHTML|HTMLDocumentParser|DecodedDataDocumentParser)/.test(name)) return 'HTML parsing';
  return 'other';
}

/**
 * The page's main-thread self time by event name, navigation -> `mark`: `{ wallMs, busyMs,
 * byEvent: Map(name -> ms) }`, or null when the trace lacks either end. A script event's name
 * carries whose script ran: `snshare <event> <file>` or `page <event> <file>`.
 */
export function mainThreadBreakdown(events, { urlPart, mark = 'bench-ready' }) {
  const end = events.find((e) => e.name === mark);
  if (!end) return null;
  const thread = (e) => `${e.pid}:${e.tid}`;
  const starts = events
    .filter((e) => e.name === 'navigationStart' && thread(e) === thread(end)
      && String(e.args?.data?.documentLoaderURL ?? '').includes(urlPart) && e.ts <= end.ts)
    .map((e) => e.ts);
  if (!starts.length) return null;
  const from = Math.max(...starts);
  const xs = events
    .filter((e) => e.ph === 'X' && thread(e) === thread(end) && e.ts >= from && e.ts <= end.ts)
    .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const stack = [];
  const entries = [];
  const self = new Map();
  for (const e of xs) {
    while (stack.length && stack.at(-1).ts + stack.at(-1).dur <= e.ts) stack.pop();
    const url = String(e.args?.data?.url ?? e.args?.data?.scriptName ?? e.args?.fileName ?? '');
    let name = e.name;
    if (url && (SCRIPT_EVENTS.has(name) || name.startsWith('v8.compile'))) {
      const whose = url.startsWith('chrome-extension://') || url.startsWith('moz-extension://') ? 'snshare' : 'page';
      name = `${whose} ${name} ${url.replace(/[?#].*$/, '').replace(/^.*\//, '')}`.trim();
    }
    const entry = { ts: e.ts, dur: e.dur ?? 0, name, self: e.dur ?? 0 };
    const parent = stack.at(-1);
    if (parent) parent.self -= entry.dur;
    stack.push(entry);
    entries.push(entry);
  }
  for (const e of entries) self.set(e.name, (self.get(e.name) ?? 0) + Math.max(0, e.self) / 1000);
  let busy = 0;
  for (const v of self.values()) busy += v;
  return { wallMs: (end.ts - from) / 1000, busyMs: busy, byEvent: self };
}

/** Sums breakdowns into mean ms per load, by event and by group. */
export function meanBreakdown(list) {
  const byEvent = new Map();
  const byGroup = new Map();
  for (const b of list) {
    for (const [name, ms] of b.byEvent) {
      byEvent.set(name, (byEvent.get(name) ?? 0) + ms / list.length);
      const g = groupOf(name);
      byGroup.set(g, (byGroup.get(g) ?? 0) + ms / list.length);
    }
  }
  return { byEvent, byGroup };
}
