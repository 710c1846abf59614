//! The recognition report, for when the portal changes: what snshare recognized on
//! this tab — page kind, rows found, rows with an action id, Share menu found — and the shape of
//! what it looked at, for a bug report when the portal changed.
//!
//! The shape is structure only: tag names, roles, attribute names and counts. No text, no ids,
//! no class names, no attribute values (a role is written only when it is a WAI-ARIA role), no
//! custom element names and no attribute names outside a fixed vocabulary — whatever the page
//! holds, nothing it says about the tenant, its people or its actions can leave in the report.

use wasm_bindgen::prelude::*;
use web_sys::Element;

use super::app::Ctx;
use super::dom::{self, all, first, is_ours};
use super::selectors::{self, ACTION_LINK, HEADER_CELL};
use crate::domain::action_title::is_title_key;
use crate::domain::portal_url::PortalPage;

/// Report format version (the popup reads these fields).
const FORMAT: &str = "snshare-recognition/1";
/// Depth and size limits of an outline.
const MAX_DEPTH: usize = 14;
const MAX_LINES: usize = 160;

const ROLES: &[&str] = &[
    "alert",
    "alertdialog",
    "application",
    "article",
    "banner",
    "button",
    "cell",
    "checkbox",
    "columnheader",
    "combobox",
    "complementary",
    "contentinfo",
    "dialog",
    "document",
    "feed",
    "figure",
    "form",
    "grid",
    "gridcell",
    "group",
    "heading",
    "img",
    "link",
    "list",
    "listbox",
    "listitem",
    "log",
    "main",
    "menu",
    "menubar",
    "menuitem",
    "menuitemcheckbox",
    "menuitemradio",
    "navigation",
    "none",
    "note",
    "option",
    "presentation",
    "progressbar",
    "radio",
    "radiogroup",
    "region",
    "row",
    "rowgroup",
    "rowheader",
    "scrollbar",
    "search",
    "searchbox",
    "separator",
    "slider",
    "spinbutton",
    "status",
    "switch",
    "tab",
    "table",
    "tablist",
    "tabpanel",
    "term",
    "textbox",
    "timer",
    "toolbar",
    "tooltip",
    "tree",
    "treegrid",
    "treeitem",
];

/// Attribute names written as they are; any other is counted.
const ATTRIBUTES: &[&str] = &[
    "id",
    "class",
    "style",
    "href",
    "role",
    "tabindex",
    "title",
    "type",
    "hidden",
    "name",
    "for",
    "disabled",
    "open",
    "lang",
    "dir",
    "scope",
    "colspan",
    "rowspan",
    "headers",
    "alt",
    "src",
    "target",
    "rel",
    "value",
    "draggable",
    "aria-activedescendant",
    "aria-busy",
    "aria-checked",
    "aria-colcount",
    "aria-colindex",
    "aria-controls",
    "aria-current",
    "aria-describedby",
    "aria-disabled",
    "aria-expanded",
    "aria-haspopup",
    "aria-hidden",
    "aria-label",
    "aria-labelledby",
    "aria-level",
    "aria-live",
    "aria-modal",
    "aria-multiline",
    "aria-orientation",
    "aria-owns",
    "aria-posinset",
    "aria-pressed",
    "aria-readonly",
    "aria-rowcount",
    "aria-rowindex",
    "aria-selected",
    "aria-setsize",
    "aria-sort",
    "data-automationid",
    "data-automation-key",
    "data-item-key",
    "data-icon-name",
    "data-is-focusable",
    "data-list-index",
    "data-item-index",
    "data-selection-index",
    "data-testid",
    "data-is-scrollable",
    "data-focuszone-id",
    "data-portal-element",
];

/// The report for the current tab, as JSON text (the content script answers the popup with it).
#[wasm_bindgen]
pub fn recognition_report() -> String {
    super::CTX
        .with(|c| c.borrow().clone())
        .map(|ctx| report_for(&ctx))
        .unwrap_or_default()
}

/// The report of the page `ctx` works on.
pub fn report_for(ctx: &Ctx) -> String {
    let o = js_sys::Object::new();
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
        put(
            &o,
            "list_outline",
            outline(list, Some(selectors::ROW)).into(),
        );
        if let Some(row) = selectors::action_rows(list).first() {
            put(&o, "row_outline", outline(row, None).into());
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
        put(&o, "panel_outline", outline(p, None).into());
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
            put(&o, "menu_outline", outline(m, None).into());
        }
        put(
            &o,
            "account_control_found",
            first(root, selectors::ACCOUNT_CONTROL).is_some().into(),
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
    js_sys::JSON::stringify_with_replacer_and_space(&o, &JsValue::NULL, &JsValue::from(2))
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

fn put(o: &js_sys::Object, k: &str, v: JsValue) {
    let _ = js_sys::Reflect::set(o, &JsValue::from_str(k), &v);
}

/// One element as structure: `tag[role=…](attribute names)`, or `custom-element`.
pub fn signature(e: &Element) -> String {
    let tag = e.tag_name().to_ascii_lowercase();
    let mut s = if tag.contains('-') || !tag.chars().all(|c| c.is_ascii_alphanumeric()) {
        "custom-element".to_owned()
    } else {
        tag
    };
    if let Some(role) = e.get_attribute("role") {
        let role = role.trim().to_ascii_lowercase();
        if ROLES.contains(&role.as_str()) {
            s.push_str(&format!("[role={role}]"));
        } else {
            s.push_str("[role=?]");
        }
    }
    let names: Vec<String> = e
        .get_attribute_names()
        .iter()
        .map(|n| n.as_string().unwrap_or_default().to_ascii_lowercase())
        .collect();
    // In the vocabulary's order: the same element reads the same whatever the page's order.
    let known: Vec<&str> = ATTRIBUTES
        .iter()
        .copied()
        .filter(|a| *a != "role" && names.iter().any(|n| n == a))
        .collect();
    let other = names
        .iter()
        .filter(|n| !ATTRIBUTES.contains(&n.as_str()))
        .count();
    if !known.is_empty() || other > 0 {
        s.push('(');
        s.push_str(&known.join(","));
        if other > 0 {
            if !known.is_empty() {
                s.push(',');
            }
            s.push_str(&format!("+{other}"));
        }
        s.push(')');
    }
    s
}

/// The subtree's structure, one line per element, runs of alike siblings written once with a
/// count; `collapse` names elements (rows) whose second and later occurrences are only counted.
pub fn outline(root: &Element, collapse: Option<&str>) -> String {
    let mut out = Vec::new();
    walk(root, 0, collapse, &mut out);
    if out.len() >= MAX_LINES {
        out.truncate(MAX_LINES);
        out.push("…".to_owned());
    }
    out.join("\n")
}

fn walk(e: &Element, depth: usize, collapse: Option<&str>, out: &mut Vec<String>) {
    if out.len() >= MAX_LINES || is_ours(e) {
        return;
    }
    out.push(format!("{}{}", "  ".repeat(depth), signature(e)));
    if depth >= MAX_DEPTH {
        return;
    }
    let kids = e.children();
    let mut i = 0;
    let mut seen_collapsed = 0u32;
    while i < kids.length() {
        let Some(k) = kids.item(i) else { break };
        if is_ours(&k) {
            i += 1;
            continue;
        }
        let sig = signature(&k);
        let mut run = 1;
        while let Some(n) = kids.item(i + run) {
            if is_ours(&n) || signature(&n) != sig {
                break;
            }
            run += 1;
        }
        let collapsed = collapse.is_some_and(|c| dom::matches(&k, c));
        if collapsed && seen_collapsed > 0 {
            out.push(format!("{}{sig} ×{run}", "  ".repeat(depth + 1)));
        } else {
            walk(&k, depth + 1, collapse, out);
            if run > 1 {
                out.push(format!("{}… ×{run}", "  ".repeat(depth + 1)));
            }
        }
        if collapsed {
            seen_collapsed += 1;
        }
        i += run;
    }
}
