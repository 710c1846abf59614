import init, { popup_start } from './pkg/snshare_pages.js';
// What the last opening drew (popup.rs, DRAWN_KEY) is read while the wasm loads, not after.
const drawn = chrome.storage.session?.get('popup.drawn');
init({ module_or_path: './pkg/snshare_pages_bg.wasm' }).then(() => popup_start(drawn));
