// Page-world instruments, installed with page.addInitScript before the portal's own scripts
// run. They watch the DOM from outside snshare: no reliance on marks the content script may or
// may not emit. Everything lands on window.__snshareBench.

/**
 * Row/button watcher and DOM-idle tracker.
 *
 * A row is an element with role=row (or a tr) that links to an actionId; a share button is an
 * element with role=button (or a button) whose accessible name starts with "Share to
 * ServiceNow". For each row: when it was inserted and when its share button appeared (both
 * performance.now(), taken in a MutationObserver created before any other, so it is told first
 * at each microtask checkpoint).
 */
export function rowWatcher({ buttonPrefix = 'Share to ServiceNow', rows = true, calibrateOnFirstButton = false, dataRows = false } = {}) {
  // See profile.mjs: ties the CPU profile's clock to performance.now(). The busy loop is
  // plain JS arithmetic: samples taken inside a fast API call (performance.now itself) may be
  // attributed to "(program)", so the clock is read only between rounds.
  function calibrate() {
    return (function __snshareBenchCalibrate() {
      const t0 = performance.now();
      let x = 1;
      do { for (let i = 0; i < 20000; i++) x = (x * 48271) % 2147483647; } while (performance.now() - t0 < 4);
      window.__snshareBenchSink = x;
      return t0;
    })();
  }
  const B = {
    rows: new Map(),
    withButton: 0,
    firstButtonAt: null,
    /** With calibrateOnFirstButton: when the calibration loop ran, right as the first button was seen. */
    calibratedAt: null,
    lastMutationAt: 0,
    mutations: 0,
    /** Time spent in this watcher's own callbacks (total, longest). */
    ownMs: 0,
    ownMaxMs: 0,
    waiters: [],
    reset() { this.rows = new Map(); this.withButton = 0; this.firstButtonAt = null; this.ownMs = 0; this.ownMaxMs = 0; },
    /** Resolves when `n` rows have their button (or at once if they have). */
    untilButtons(n) {
      return new Promise((resolve) => {
        const w = () => this.withButton >= n;
        if (w()) resolve(performance.now()); else this.waiters.push([w, resolve]);
      });
    },
    /** Resolves with the time of the first share button. */
    untilFirstButton() {
      return new Promise((resolve) => {
        const w = () => this.firstButtonAt !== null;
        if (w()) resolve(this.firstButtonAt); else this.waiters.push([w, () => resolve(this.firstButtonAt)]);
      });
    },
    /** Resolves once the DOM has not changed for `quietMs`; with the time of the last change. */
    async untilQuiet(quietMs = 500) {
      for (;;) {
        const since = performance.now() - this.lastMutationAt;
        if (since >= quietMs) return this.lastMutationAt;
        await new Promise((r) => setTimeout(r, Math.max(10, quietMs - since)));
      }
    },
    latencies() {
      const out = [];
      for (const r of this.rows.values()) out.push(r.btn === null ? null : r.btn - r.ins);
      return out;
    },
    /**
     * __replica.setRows(n) with every row inserted in one task: the replica appends 50 rows
     * per animation frame, so the page world's requestAnimationFrame runs its callback at once
     * while setRows builds the list (the content script's own requestAnimationFrame, in its
     * isolated world, is not affected). Returns the start time; the promise is kept on
     * window.__snshareSetRows.
     */
    setRowsAtOnce(n) {
      const raf = window.requestAnimationFrame;
      window.requestAnimationFrame = (cb) => { cb(performance.now()); return 0; };
      const t = performance.now();
      try { window.__snshareSetRows = __replica.setRows(n); } finally { window.requestAnimationFrame = raf; }
      return t;
    },
    lastInsertAt() { let m = 0; for (const r of this.rows.values()) m = Math.max(m, r.ins); return m; },
    lastButtonAt() { let m = 0; for (const r of this.rows.values()) if (r.btn !== null) m = Math.max(m, r.btn); return m; },
  };
  Object.defineProperty(window, '__snshareBench', { value: B, configurable: true });

  // dataRows: a list whose titles may be buttons (BENCH_VARIANT): any row with data cells and
  // no column header is an action row.
  const isRow = (el) => (el.getAttribute('role') === 'row' || el.tagName === 'TR')
    && (el.querySelector('a[href*="actionId="]') !== null
      || (dataRows && el.querySelector('[role="gridcell"], [role="rowheader"], td') !== null
        && el.querySelector('[role="columnheader"], th') === null));
  const nameOf = (el) => el.getAttribute('aria-label') || el.textContent || '';
  const isButton = (el) => (el.tagName === 'BUTTON' || el.getAttribute('role') === 'button')
    && nameOf(el).trim().startsWith(buttonPrefix);
  const ROWS = '[role="row"], tr';
  const BUTTONS = 'button, [role="button"]';

  function sawButton(b, now) {
    if (B.firstButtonAt === null) {
      B.firstButtonAt = now;
      // Marks the end of a profiled start-up in the profile itself (see profile.mjs).
      if (calibrateOnFirstButton) B.calibratedAt = calibrate();
    }
    if (!rows) return;
    const row = b.closest(ROWS);
    const r = row && B.rows.get(row);
    if (r && r.btn === null) { r.btn = now; B.withButton += 1; }
  }
  let fresh = [];
  function sawRow(row, now) {
    if (B.rows.has(row)) return;
    const r = { ins: now, btn: null };
    B.rows.set(row, r);
    fresh.push(r);
    // A row that arrives with its button (re-inserted) counts as served at once.
    for (const b of row.querySelectorAll(BUTTONS)) if (isButton(b)) { r.btn = now; B.withButton += 1; break; }
  }
  const observer = new MutationObserver((records) => {
    const now = performance.now();
    fresh = [];
    B.lastMutationAt = now;
    B.mutations += records.length;
    for (const rec of records) {
      if (rec.type === 'attributes') {
        if (rec.target.nodeType === 1 && isButton(rec.target)) sawButton(rec.target, now);
        continue;
      }
      for (const n of rec.addedNodes) {
        if (n.nodeType !== 1) continue;
        if (rows) {
          if (isRow(n)) sawRow(n, now);
          else if (n.firstElementChild) for (const r of n.querySelectorAll(ROWS)) if (isRow(r)) sawRow(r, now);
        }
        if (isButton(n)) sawButton(n, now);
        else if (n.firstElementChild) for (const b of n.querySelectorAll(BUTTONS)) if (isButton(b)) sawButton(b, now);
      }
    }
    // This observer is told first; the content script's observer only runs after this
    // callback. Its own cost (large for 2000 rows at once) is not snshare's: a row counts as
    // inserted when this callback is done with it.
    const end = performance.now();
    B.ownMs += end - now;
    B.ownMaxMs = Math.max(B.ownMaxMs, end - now);
    for (const r of fresh) { r.ins = end; if (r.btn !== null) r.btn = end; }
    fresh = [];
    if (B.waiters.length) {
      B.waiters = B.waiters.filter(([w, resolve]) => { if (w()) { resolve(performance.now()); return false; } return true; });
    }
  });
  observer.observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['aria-label'], characterData: true });

  window.__snshareBenchCalibrate = calibrate;
}

/** Only the DOM-idle tracker (for the page-load ratio: same cost with and without snshare). */
export function idleWatcher() {
  // rowsAt: when the page inserted action rows (one entry per observer delivery that added
  // any): the replica's chunks, to tell the time before the first rows from the time between chunks.
  const B = { lastMutationAt: 0, rowsAt: [] };
  Object.defineProperty(window, '__snshareIdle', { value: B, configurable: true });
  new MutationObserver((records) => {
    const now = performance.now();
    B.lastMutationAt = now;
    for (const r of records) {
      for (const n of r.addedNodes) {
        if (n.nodeType === 1 && n.matches('tr, [role="row"]') && n.querySelector('a[href*="actionId="]')) {
          if (B.rowsAt.at(-1) !== now) B.rowsAt.push(now);
          return;
        }
      }
    }
  }).observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
}

/** Only the profile calibrator (for profiled runs that need no DOM watcher of their own). */
export function calibrator() {
  function calibrate() {
    return (function __snshareBenchCalibrate() {
      const t0 = performance.now();
      let x = 1;
      do { for (let i = 0; i < 20000; i++) x = (x * 48271) % 2147483647; } while (performance.now() - t0 < 4);
      window.__snshareBenchSink = x;
      return t0;
    })();
  }
  window.__snshareBenchCalibrate = calibrate;
  /**
   * Resolves once both ticket cards list ticket numbers (INC…, CHG…), with that time and the
   * start of a calibration loop run right then (so a profile can be cut there).
   */
  window.__snshareCardsDone = () => new Promise((found) => {
    const resolve = (t) => found({ t, cal: calibrate() });
    const done = () => {
      let inc = false; let chg = false;
      for (const a of document.querySelectorAll('[role="region"] a')) {
        const t = a.textContent;
        if (/^INC\d+/.test(t)) inc = true;
        if (/^CHG\d+/.test(t)) chg = true;
      }
      return inc && chg;
    };
    if (done()) { resolve(performance.now()); return; }
    const mo = new MutationObserver(() => { if (done()) { mo.disconnect(); resolve(performance.now()); } });
    mo.observe(document, { childList: true, subtree: true });
  });
}
