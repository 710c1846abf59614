// The in-page glue's string decoder: build.sh (`short_strings`) puts this function in place of
// wasm-bindgen's getStringFromWasm0 in the content script's and the forms' glue (both builds:
// wasm, and the JS build for strict-CSP pages). Every string the wasm hands the page (each
// attribute value, label and key a row's button gets) comes through here; wasm-bindgen asks a
// TextDecoder even for twenty bytes, ~0.5 µs a call, ~3 ms of the 2,000-row batch. Strings up
// to 128 bytes are decoded here instead; a Rust string is valid UTF-8, so there is no error
// case. Longer ones still go to the glue's TextDecoder (decodeText).
// Checked against TextDecoder for every code point: tests/e2e/foundation.spec.mjs.
function getStringFromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    if (len > 128) return decodeText(getUint8ArrayMemory0().subarray(ptr, ptr + len));
    const mem = getUint8ArrayMemory0(), end = ptr + len, units = [];
    for (let i = ptr; i < end; ) {
        let c = mem[i++];
        if (c > 0x7f) {
            if (c < 0xe0) c = (c & 0x1f) << 6 | mem[i++] & 0x3f;
            else if (c < 0xf0) c = (c & 0x0f) << 12 | (mem[i++] & 0x3f) << 6 | mem[i++] & 0x3f;
            else {
                c = ((c & 0x07) << 18 | (mem[i++] & 0x3f) << 12 | (mem[i++] & 0x3f) << 6 | mem[i++] & 0x3f) - 0x10000;
                units.push(0xd800 | c >> 10);
                c = 0xdc00 | c & 0x3ff;
            }
        }
        units.push(c);
    }
    return String.fromCharCode.apply(null, units);
}
