//! Extension pages: popup, options, ticket list.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub fn popup_start() {}

#[wasm_bindgen]
pub fn options_start() {}

#[wasm_bindgen]
pub fn tickets_start() {}
