import init, { tickets_start } from './pkg/snshare_pages.js';
init({ module_or_path: './pkg/snshare_pages_bg.wasm' }).then(() => tickets_start());
