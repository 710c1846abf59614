// The store images of ./build.sh release, into the folder given (dist/release/store):
//   icons/      store/icon.svg rendered at the sizes the stores ask for: 64 (AMO's listing
//               icon), 128 (Chrome Web Store), 300 (Edge Add-ons' logo), and the Chrome Web
//               Store's 440x280 promo tile (tests/release/check.py --images checks each size)
//   screenshots/ the demo walkthrough (tests/e2e/demo.mjs, headless) at 1280x800, the size
//               all three stores take
// Headless Chromium (Debian's), nothing downloaded. Not byte-reproducible (fonts, anti-aliasing):
// they are uploaded by hand and are not part of any zip.
import { chromium } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.resolve(process.argv[2] || path.join(ROOT, 'dist/release/store'));
const svg = fs.readFileSync(path.join(ROOT, 'store/icon.svg'), 'utf8');
const names = JSON.parse(fs.readFileSync(path.join(ROOT, 'extension/_locales/en/messages.json'), 'utf8'));
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, 'icons'), { recursive: true });
fs.mkdirSync(path.join(out, 'screenshots'), { recursive: true });

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage({ deviceScaleFactor: 1 });
const icon = (size) => svg.replace('width="128" height="128"', `width="${size}" height="${size}"`);
for (const size of [64, 128, 300]) {
  await page.setViewportSize({ width: size, height: size });
  await page.setContent(`<style>html,body{margin:0;background:transparent}svg{display:block}</style>${icon(size)}`);
  await page.screenshot({ path: path.join(out, 'icons', `icon${size}.png`), omitBackground: true });
}
await page.setViewportSize({ width: 440, height: 280 });
const escape = (t) => t.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);
await page.setContent(`<style>
  html,body{margin:0;width:440px;height:280px;background:#f3f6f6;font-family:system-ui,sans-serif}
  main{display:flex;align-items:center;gap:24px;padding:0 28px;height:100%;box-sizing:border-box} svg{flex:none}
  h1{margin:0 0 8px;font-size:30px;color:#173f3d} p{margin:0;font-size:16px;color:#2d4a48;line-height:1.35}
</style><main>${icon(112)}<div><h1>snshare</h1><p>${escape(names.extDescription.message)}</p></div></main>`);
await page.screenshot({ path: path.join(out, 'icons', 'promo-440x280.png') });
await browser.close();

// The walkthrough's screenshots at 1280x800; the popup's (380 wide) is not a store size.
const shots = fs.mkdtempSync(path.join(os.tmpdir(), 'snshare-shots-'));
const demo = spawnSync(process.execPath, [path.join(ROOT, 'tests/e2e/demo.mjs')], {
  cwd: ROOT, stdio: 'inherit',
  env: { ...process.env, DISPLAY: '', SNSHARE_DEMO_HEADLESS: '1', SNSHARE_DEMO_OUT: shots, SNSHARE_DEMO_VIEWPORT: '1280x800' },
});
const taken = fs.readdirSync(shots).filter((f) => f.endsWith('.png') && !f.includes('popup'));
for (const f of taken) fs.copyFileSync(path.join(shots, f), path.join(out, 'screenshots', f));
fs.rmSync(shots, { recursive: true, force: true });
console.log(`store images: ${fs.readdirSync(path.join(out, 'icons')).length} icons, ${taken.length} screenshots in ${out}`);
process.exit(demo.status === 0 && taken.length > 0 ? 0 : 1);
