//! The recognition report's outlines: the shape of what the content script looked at (its list,
//! first row, panel and open menu), for a bug report when the portal changed. Structure only:
//! tag names, roles, attribute names and counts. No text, no ids, no class names, no attribute
//! values (a role is written only when it is a WAI-ARIA role), no custom element names and no
//! attribute names outside a fixed vocabulary: whatever the page holds, nothing it says about
//! the tenant, its people or its actions can leave in the report.
//!
//! Used by the forms module (`snshare_forms::recognition_report_json`), not by the content
//! script: the vocabularies and the walk are only needed when the popup asks, so they are not
//! in the portal's first download (issue 17). The content script counts what it recognized and
//! hands the elements over ([`finish`]'s input).

use wasm_bindgen::prelude::*;
use web_sys::Element;

use crate::dom::{self, is_ours};

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

/// The report as JSON text (what the popup reads): `parts` is the content script's
/// `{report, outlines}` (`snshare_content::report::report_for`), each outline
/// `[field, element, collapse selector or null]` written into `report` under `field`. Anything
/// else gives `""`.
pub fn finish(parts: &JsValue) -> String {
    let get = |o: &JsValue, k: &str| js_sys::Reflect::get(o, &JsValue::from_str(k));
    let Ok(report) = get(parts, "report") else {
        return String::new();
    };
    if !report.is_object() {
        return String::new();
    }
    if let Ok(outlines) = get(parts, "outlines").and_then(|o| o.dyn_into::<js_sys::Array>()) {
        for item in outlines.iter() {
            let item = js_sys::Array::from(&item);
            let (Some(field), Ok(element)) =
                (item.get(0).as_string(), item.get(1).dyn_into::<Element>())
            else {
                continue;
            };
            let collapse = item.get(2).as_string();
            let text = outline(&element, collapse.as_deref());
            let _ = js_sys::Reflect::set(&report, &JsValue::from_str(&field), &text.into());
        }
    }
    js_sys::JSON::stringify_with_replacer_and_space(&report, &JsValue::NULL, &JsValue::from(2))
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
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
