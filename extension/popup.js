import init, { popup_start } from './pkg/snshare_pages.js';
init({ module_or_path: './pkg/snshare_pages_bg.wasm' }).then(() => popup_start());
