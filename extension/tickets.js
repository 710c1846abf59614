import init, { tickets_start } from './pkg/snshare_ext.js';
init({ module_or_path: './pkg/snshare_ext_bg.wasm' }).then(() => tickets_start());
