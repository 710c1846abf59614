// Main-thread time spent by snshare, measured from outside with the CDP sampling profiler.
//
// The portal page and snshare's content script share one V8 isolate (the content script runs
// in an isolated world of the same main thread), so one CPU profile of the page covers both.
// A sample is snshare's when its leaf frame comes from the extension: a script URL starting
// with chrome-extension:// (loader, wasm-bindgen glue, the JS fallback) or wasm:// (the replica
// has no WebAssembly, so any wasm is ours). Time inside DOM calls made by that code is counted
// by V8 as the caller's self time; style and layout the page does later are not attributable
// and are not counted (the page-load ratio covers them).
//
// To cut a profile to a window measured in the page's own clock (performance.now()), the page
// calls CALIBRATE (a named busy loop, see observe.mjs) once; its first sample ties the profile's
// clock to the page's.

export const CALIBRATE = '__snshareBenchCalibrate';
export const SAMPLING_US = 100;

export async function startProfile(cdp, intervalUs = SAMPLING_US) {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: intervalUs });
  await cdp.send('Profiler.start');
}

export async function stopProfile(cdp) {
  const { profile } = await cdp.send('Profiler.stop');
  await cdp.send('Profiler.disable');
  return profile;
}

const isExtensionUrl = (url) => typeof url === 'string' && (url.startsWith('chrome-extension://') || url.startsWith('wasm://'));

/**
 * Sums snshare's main-thread time in a profile.
 * `calibration` = performance.now() (ms) at which CALIBRATE started in the page; with it,
 * `from`/`to` (page ms) restrict the samples to that window. Returns ms, plus the inclusive
 * figure (samples with an extension frame anywhere on the stack) for comparison.
 */
export function extensionTime(profile, { calibration = null, from = -Infinity, to = Infinity } = {}) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfExt = new Map();
  const inclExt = new Map();
  const hasCal = new Map();
  const inclusive = (id) => {
    if (inclExt.has(id)) return inclExt.get(id);
    const n = nodes.get(id);
    const p = parent.get(id);
    const v = isExtensionUrl(n.callFrame.url) || (p !== undefined && inclusive(p));
    inclExt.set(id, v);
    return v;
  };
  const calibrating = (id) => {
    if (hasCal.has(id)) return hasCal.get(id);
    const n = nodes.get(id);
    const p = parent.get(id);
    const v = n.callFrame.functionName === CALIBRATE || (p !== undefined && calibrating(p));
    hasCal.set(id, v);
    return v;
  };
  for (const n of profile.nodes) selfExt.set(n.id, isExtensionUrl(n.callFrame.url));

  const times = [];
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) { t += profile.timeDeltas[i]; times.push(t); }
  // Profile µs = page ms * 1000 + offset.
  let offset = null;
  if (calibration !== null) {
    const i = profile.samples.findIndex((id) => calibrating(id));
    if (i >= 0) offset = times[i] - calibration * 1000;
  }
  const lo = offset === null ? -Infinity : from * 1000 + offset;
  const hi = offset === null ? Infinity : to * 1000 + offset;
  let self = 0; let incl = 0; let wall = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const start = times[i];
    const end = i + 1 < times.length ? times[i + 1] : profile.endTime;
    if (start < lo || start > hi) continue;
    const dur = Math.max(0, end - start);
    wall += dur;
    const id = profile.samples[i];
    if (selfExt.get(id)) self += dur;
    if (inclusive(id)) incl += dur;
  }
  return { selfMs: self / 1000, inclusiveMs: incl / 1000, windowMs: wall / 1000, calibrated: offset !== null };
}

/** The extension's scripts seen in a profile (to tell wasm from JS fallback, and for debugging). */
export function extensionScripts(profile) {
  return [...new Set(profile.nodes.map((n) => n.callFrame.url).filter(isExtensionUrl))];
}
