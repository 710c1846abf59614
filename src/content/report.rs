//! The recognition report, for when the portal changes: what snshare recognized on
//! this tab — page kind, rows found, rows with an action id, Share menu found — and the shape of
//! what it looked at, for a bug report when the portal changed.
//!
//! The shape (outlines of the list, its first row, the panel and the open menu) is written by
//! the forms module, loaded when the popup asks (`snshare_web::outline`, issue 17: its
//! vocabularies and walk are not in the portal's first download): the content script hands it
//! the elements. Structure only — no text, ids, class names or attribute values can leave in
//! the report (`snshare_web::outline` says how).

use wasm_bindgen::prelude::*;
use web_sys::Element;

use super::app::Ctx;
use super::dom::{self, all, first};
use super::selectors::{self, ACTION_LINK, HEADER_CELL};
use crate::domain::action_title::is_title_key;
use crate::domain::portal_url::PortalPage;

/// Report format version (the popup reads these fields).
const FORMAT: &str = "snshare-recognition/1";

/// The report for the current tab, for content.js to finish in the forms module
/// (`recognition_report_json`, whose JSON text answers the popup): [`report_for`]'s parts, or
/// `undefined` before the features started.
#[wasm_bindgen]
pub fn recognition_report() -> JsValue {
    super::page_ctx().map_or(JsValue::UNDEFINED, |ctx| report_for(&ctx))
}

/// The report of the page `ctx` works on, as `{report, outlines}`: the report's fields, and the
/// elements to outline as `[field, element, collapse selector or null]`
/// (`snshare_web::outline::finish` writes them and gives the JSON text).
pub fn report_for(ctx: &Ctx) -> JsValue {
    let o = js_sys::Object::new();
    let outlines = js_sys::Array::new();
    let outline = |field: &str, e: &Element, collapse: Option<&str>| {
        outlines.push(
            &[
                JsValue::from_str(field),
                e.into(),
                collapse.map_or(JsValue::NULL, JsValue::from_str),
            ]
            .iter()
            .collect::<js_sys::Array>(),
        );
    };
    let href = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    let page = PortalPage::from_url(&href);
    put(&o, "format", FORMAT.into());
    put(
        &o,
        "page",
        page.as_ref().map_or("other", PortalPage::name).into(),
    );
    let root = dom::document().and_then(|d| d.document_element());
    let (list, _) = ctx.list(true);
    let mut rows = 0u32;
    let mut with_id = 0u32;
    let mut with_link = 0u32;
    if let Some(list) = &list {
        let map = selectors::column_map(list);
        for r in selectors::action_rows(list) {
            let Some(a) = selectors::row_action(&map, &r) else {
                continue;
            };
            rows += 1;
            if a.action_id.is_some() {
                with_link += 1;
            }
            if !is_title_key(&ctx.resolve(a.action_id.as_deref(), &a.title).key) {
                with_id += 1;
            }
        }
        let headers = selectors::header_cells(list);
        let named = |f: fn(&str) -> bool| headers.iter().any(|h| f(&selectors::accessible_name(h)));
        let title_column = if named(selectors::is_title_header) {
            "header"
        } else if map.title.is_some() {
            if first(list, ACTION_LINK).is_some() {
                "structure"
            } else {
                "key"
            }
        } else {
            "none"
        };
        put(&o, "title_column", title_column.into());
        put(&o, "category_column", map.category.is_some().into());
        put(&o, "status_column", map.status.is_some().into());
        put(&o, "header_cells", (headers.len() as u32).into());
        outline("list_outline", list, Some(selectors::ROW));
        if let Some(row) = selectors::action_rows(list).first() {
            outline("row_outline", row, None);
        }
    }
    put(&o, "list_found", list.is_some().into());
    put(&o, "rows_found", rows.into());
    put(&o, "rows_with_action_id", with_id.into());
    put(&o, "rows_with_link", with_link.into());
    let (panel, _) = ctx.panel(true);
    put(&o, "panel_found", panel.is_some().into());
    if let Some(p) = &panel {
        let content = selectors::read_panel(p);
        put(&o, "panel_title_found", (!content.title.is_empty()).into());
        put(
            &o,
            "panel_description_found",
            (!content.description.is_empty()).into(),
        );
        put(
            &o,
            "panel_category_found",
            content.category.is_some().into(),
        );
        put(&o, "panel_status_found", content.status.is_some().into());
        put(
            &o,
            "share_button_found",
            selectors::share_button(p).is_some().into(),
        );
        outline("panel_outline", p, None);
    }
    let share_menu = match ctx.recognition.borrow().share_menu {
        Some(true) => "found",
        Some(false) => "not_found",
        None => "not_opened",
    };
    put(&o, "share_menu", share_menu.into());
    if let Some(root) = &root {
        let menus = selectors::open_menus(root);
        put(&o, "open_menus", (menus.len() as u32).into());
        if let Some(m) = menus.last() {
            outline("menu_outline", m, None);
        }
        put(
            &o,
            "account_control_found",
            (!selectors::account_controls(root).is_empty()).into(),
        );
        put(
            &o,
            "grids",
            (all(root, selectors::LIST).len() as u32).into(),
        );
        put(
            &o,
            "header_cells_total",
            (all(root, HEADER_CELL).len() as u32).into(),
        );
    }
    put(&o, "upn_found", ctx.upn().is_some().into());
    let parts = js_sys::Object::new();
    put(&parts, "report", o.into());
    put(&parts, "outlines", outlines.into());
    parts.into()
}

fn put(o: &js_sys::Object, k: &str, v: JsValue) {
    let _ = js_sys::Reflect::set(o, &JsValue::from_str(k), &v);
}
