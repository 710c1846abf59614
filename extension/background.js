// Loads the Rust core and forwards events to it. Listeners are registered synchronously at
// start (MV3 requirement); no logic lives here.
import init, { background_start, background_on_message, background_on_alarm } from './pkg/snshare_worker.js';

const ready = init({ module_or_path: './pkg/snshare_worker_bg.wasm' }).then(() => background_start());

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  ready.then(() => background_on_message(message, sender)).then(sendResponse, (e) =>
    sendResponse({ v: 1, body: { type: 'error', data: { code: 'failed', message: String(e) } } }));
  return true;
});
chrome.alarms.onAlarm.addListener((alarm) => { ready.then(() => background_on_alarm(alarm.name)); });
