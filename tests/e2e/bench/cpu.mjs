// CPU time a browser spent, by process kind and thread, read from Linux's /proc (issue 17).
//
// The page-load ratio is a wall-clock figure: on a 2-core machine it moves by ±15 % from one
// load to the next. The CPU a load costs is steadier, and it says where snshare's share of it
// runs: the portal's main thread (snshare's code, and the style, layout and paint of what it
// adds), the renderer's other threads (V8's compiles and GC, the compositor), the browser
// process (messages, storage), the extension's service worker.
import fs from 'node:fs';

const read = (file) => { try { return fs.readFileSync(file, 'utf8'); } catch { return null; } };

/** Each process's parent, from /proc/<pid>/stat (the field after the parenthesized name). */
function processTree() {
  const children = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = read(`/proc/${name}/stat`);
    if (!stat) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(name));
  }
  return children;
}

/** The kind of a Chromium process, from its command line. */
function kindOf(cmdline) {
  const type = /--type=(\S+)/.exec(cmdline)?.[1];
  if (!type) return 'browser';
  if (type === 'renderer') return cmdline.includes('--extension-process') ? 'extension' : 'renderer';
  return type === 'gpu-process' ? 'gpu' : 'other';
}

/**
 * Milliseconds of CPU each part of the browser started with `userDataDir` has used so far:
 * `main` (renderers' main threads: the pages), `renderer` (renderers' other threads),
 * `browser`, `extension` (the extension's process: its service worker), `gpu`, `other`
 * (utility processes: the network service). Null where /proc cannot tell (not Linux, or the
 * browser is not found).
 */
export function browserCpu(userDataDir) {
  if (!fs.existsSync('/proc/self/task')) return null;
  const children = processTree();
  const cmd = (pid) => (read(`/proc/${pid}/cmdline`) ?? '').replace(/\0/g, ' ');
  const root = [...children.values()].flat().find((pid) => {
    const c = cmd(pid);
    return c.includes(`--user-data-dir=${userDataDir}`) && !c.includes('--type=');
  });
  if (root === undefined) return null;
  const out = { main: 0, renderer: 0, browser: 0, extension: 0, gpu: 0, other: 0 };
  const walk = (pid) => {
    const kind = kindOf(cmd(pid));
    let tids = [];
    try { tids = fs.readdirSync(`/proc/${pid}/task`); } catch { /* the process has just ended */ }
    for (const tid of tids) {
      // schedstat's first field: nanoseconds this thread has run.
      const ns = Number((read(`/proc/${pid}/task/${tid}/schedstat`) ?? '0').split(' ')[0]);
      const part = kind === 'renderer' && Number(tid) === pid ? 'main' : kind;
      out[part] += ns / 1e6;
    }
    for (const child of children.get(pid) ?? []) walk(child);
  };
  walk(root);
  return out;
}

/**
 * `after` − `before`, part by part. A process that ended between the two reads (a renderer
 * swapped by a navigation) takes its time with it: one pair can come out negative, which is
 * why the bench reports trimmed means of 20 pairs.
 */
export function cpuSpent(before, after) {
  if (!before || !after) return null;
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)]));
}
