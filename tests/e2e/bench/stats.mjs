// Small statistics for the bench: medians of runs, percentiles of samples.

/** The median of finite numbers (null when there are none). */
export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/**
 * The mean of finite numbers without the lowest and highest tenth (null when none are left):
 * for sums of time such as CPU per load, where the mean is the figure that adds up and a rare
 * pair disturbed by something else must not move it.
 */
export function trimmedMean(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const cut = Math.floor(v.length / 10);
  const kept = v.slice(cut, v.length - cut);
  return kept.length ? kept.reduce((a, b) => a + b, 0) / kept.length : null;
}

/** Nearest-rank percentile (p in 0..100) of finite numbers (null when there are none). */
export function percentile(values, p) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * v.length));
  return v[Math.min(v.length, rank) - 1];
}

export const round = (x, digits = 1) => (x === null || x === undefined || !Number.isFinite(x)
  ? x : Math.round(x * 10 ** digits) / 10 ** digits);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
