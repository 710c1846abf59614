//! Everything the content script looks for in the portal, in one place (portal.md): CSS
//! selectors, the per-language labels, and the functions that apply them. A portal change is an
//! edit here, and `tests/wasm_portal.rs` checks each function against DOM shaped like every
//! replica variant, with the exact number of matches expected.
//!
//! Only what is stable is used: ARIA roles, accessible names, visible header and heading texts,
//! the `actionId` URL parameter and the account control's well-known id. Never a generated class
//! name, never a position in the tree.
//!
//! | what | how it is found |
//! | --- | --- |
//! | Recommended actions list | `[role=grid]` or `<table>` that links to `actionId=` (else whose header says "Recommended action" in a known language) |
//! | its rows | `[role=row]` / `<tr>` holding an `a[href*=actionId=]`; spacer and header rows have none |
//! | a row's action | the link's `actionId` parameter, its text as the title |
//! | columns | header text per language ([`LANGUAGES`]); category falls back to the cell whose value is a category |
//! | detail panel | the last `[role=dialog]` / `[role=complementary]` with an `h1`/`h2` or `aria-labelledby` heading |
//! | panel sections | `h3`/`h4` headings with the translated names (Description, Prerequisites, Next steps) |
//! | Share button | a button in the panel named "Share" in a known language, else the panel's menu button |
//! | Share menu | the `[role=menu]` the button controls (`aria-controls`) or that it labels (`aria-labelledby`) |
//! | signed-in user | the banner control labelled "Account manager for …" (per language) or `#mectrl_main_trigger`: the e-mail-shaped text inside it |
//! | card dashboard | the parent of the card holding the first `h2` inside `<main>` |

use wasm_bindgen::JsCast;
use web_sys::Element;

use super::dom::{all, closest, first, is_ours, matches, normalize, same_label, text_of};
use crate::domain::portal_url::action_id_from_href;
use crate::domain::ticket::Category;

// ---------------------------------------------------------------------------------------------
// Selectors
// ---------------------------------------------------------------------------------------------

/// Candidates for the Recommended actions list.
pub const LIST: &str = "[role=\"grid\"], table";
/// Rows of a list (header, spacer and action rows alike).
pub const ROW: &str = "[role=\"row\"], tr";
/// Cells, as direct children of a row.
pub const CELL: &str = "[role=\"gridcell\"], [role=\"rowheader\"], [role=\"columnheader\"], td, th";
/// Column headers of a list.
pub const HEADER_CELL: &str = "[role=\"columnheader\"], th";
/// The link that opens an action (its `href` carries `actionId`).
pub const ACTION_LINK: &str = "a[href*=\"actionid=\" i]";
/// Candidates for the action detail panel.
pub const PANEL: &str = "[role=\"dialog\"], [role=\"complementary\"]";
/// The panel's title heading when it has no `aria-labelledby`.
pub const PANEL_HEADING: &str = "h1, h2";
/// Section headings inside the panel.
pub const SECTION_HEADING: &str = "h3, h4, h5";
/// Buttons (native or ARIA).
pub const BUTTON: &str = "button, [role=\"button\"]";
/// Buttons that open a menu.
pub const MENU_BUTTON: &str = "[aria-haspopup=\"menu\"], [aria-haspopup=\"true\"]";
pub const MENU: &str = "[role=\"menu\"]";
pub const MENU_ITEM: &str = "[role=\"menuitem\"]";
/// Microsoft's account control (MeControl) keeps this id across Microsoft 365 portals.
pub const ACCOUNT_CONTROL: &str = "#mectrl_main_trigger";
/// Labelled controls of the top bar, where the account control lives.
pub const BANNER_CONTROLS: &str = "[role=\"banner\"] [aria-label], header [aria-label]";
pub const MAIN: &str = "main, [role=\"main\"]";
/// A card's title in a dashboard.
pub const CARD_TITLE: &str = "h2";

// ---------------------------------------------------------------------------------------------
// Labels per language (portal.md, "Languages"; exact texts in tests/fixtures/portal/README.md)
// ---------------------------------------------------------------------------------------------

/// What the portal shows in one language, for the texts snshare reads.
#[derive(Debug, Clone, Copy)]
pub struct Labels {
    pub lang: &'static str,
    /// Header of the column with the action's title.
    pub title_header: &'static str,
    pub category_header: &'static str,
    /// The panel's Share button.
    pub share: &'static str,
    pub description: &'static str,
    pub implementation: &'static str,
    pub prerequisites: &'static str,
    pub next_steps: &'static str,
    /// The account control's label around the person's name: (before, after).
    pub account: (&'static str, &'static str),
}

pub const LANGUAGES: [Labels; 6] = [
    Labels {
        lang: "en",
        title_header: "Recommended action",
        category_header: "Category",
        share: "Share",
        description: "Description",
        implementation: "Implementation",
        prerequisites: "Prerequisites",
        next_steps: "Next steps",
        account: ("Account manager for ", ""),
    },
    Labels {
        lang: "it",
        title_header: "Azione consigliata",
        category_header: "Categoria",
        share: "Condividi",
        description: "Descrizione",
        implementation: "Implementazione",
        prerequisites: "Prerequisiti",
        next_steps: "Passaggi successivi",
        account: ("Gestione account per ", ""),
    },
    Labels {
        lang: "sv",
        title_header: "Rekommenderad åtgärd",
        category_header: "Kategori",
        share: "Dela",
        description: "Beskrivning",
        implementation: "Implementering",
        prerequisites: "Förutsättningar",
        next_steps: "Nästa steg",
        account: ("Kontohanterare för ", ""),
    },
    Labels {
        lang: "fr",
        title_header: "Action recommandée",
        category_header: "Catégorie",
        share: "Partager",
        description: "Description",
        implementation: "Implémentation",
        prerequisites: "Prérequis",
        next_steps: "Étapes suivantes",
        account: ("Gestionnaire de compte pour ", ""),
    },
    Labels {
        lang: "nl",
        title_header: "Aanbevolen actie",
        category_header: "Categorie",
        share: "Delen",
        description: "Beschrijving",
        implementation: "Implementatie",
        prerequisites: "Vereisten",
        next_steps: "Volgende stappen",
        account: ("Accountbeheer voor ", ""),
    },
    Labels {
        lang: "zh-TW",
        title_header: "建議的動作",
        category_header: "類別",
        share: "共用",
        description: "描述",
        implementation: "實作",
        prerequisites: "必要條件",
        next_steps: "後續步驟",
        account: ("", " 的帳戶管理員"),
    },
];

fn any_label(text: &str, pick: impl Fn(&Labels) -> &'static str) -> bool {
    LANGUAGES.iter().any(|l| same_label(text, pick(l)))
}

pub fn is_title_header(text: &str) -> bool {
    any_label(text, |l| l.title_header)
}

pub fn is_category_header(text: &str) -> bool {
    any_label(text, |l| l.category_header)
}

pub fn is_share_label(text: &str) -> bool {
    any_label(text, |l| l.share)
}

/// Whether an account control's label reads "Account manager for <name>" in a known language.
pub fn is_account_label(label: &str) -> bool {
    let label = normalize(label);
    LANGUAGES.iter().any(|l| {
        let (before, after) = l.account;
        label.len() > before.len() + after.len()
            && label.starts_with(before)
            && label.ends_with(after.trim_start())
    })
}

/// Which kind of panel section a heading names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Description,
    Implementation,
    Prerequisites,
    NextSteps,
}

pub fn section_of(heading: &str) -> Option<Section> {
    LANGUAGES.iter().find_map(|l| {
        if same_label(heading, l.description) {
            Some(Section::Description)
        } else if same_label(heading, l.implementation) {
            Some(Section::Implementation)
        } else if same_label(heading, l.prerequisites) {
            Some(Section::Prerequisites)
        } else if same_label(heading, l.next_steps) {
            Some(Section::NextSteps)
        } else {
            None
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Recommended actions list
// ---------------------------------------------------------------------------------------------

/// The Recommended actions list under `root`: a grid or table that links to actions, else one
/// whose header names the title column in a known language (rows not rendered yet).
pub fn find_list(root: &Element) -> Option<Element> {
    let candidates: Vec<Element> = all(root, LIST)
        .into_iter()
        .filter(|c| !is_ours(c))
        .collect();
    if let Some(c) = candidates.iter().find(|c| first(c, ACTION_LINK).is_some()) {
        return Some(c.clone());
    }
    candidates
        .into_iter()
        .find(|c| header_cells(c).iter().any(|h| is_title_header(&text_of(h))))
}

/// The list's column headers, in display order (a nested table's are not the list's).
pub fn header_cells(list: &Element) -> Vec<Element> {
    all(list, HEADER_CELL)
        .into_iter()
        .filter(|h| closest(h, LIST).as_ref() == Some(list))
        .collect()
}

/// A column: its position among the row's cells, and its `aria-colindex` when the markup has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub position: usize,
    pub colindex: Option<String>,
}

/// The columns snshare reads, found by header text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    pub title: Option<Column>,
    pub category: Option<Column>,
}

pub fn column_map(list: &Element) -> ColumnMap {
    let mut map = ColumnMap::default();
    for (position, h) in header_cells(list).iter().enumerate() {
        let text = text_of(h);
        let col = || Column {
            position,
            colindex: h.get_attribute("aria-colindex"),
        };
        if map.title.is_none() && is_title_header(&text) {
            map.title = Some(col());
        } else if map.category.is_none() && is_category_header(&text) {
            map.category = Some(col());
        }
    }
    map
}

/// A row's cells (direct children that are cells).
pub fn row_cells(row: &Element) -> Vec<Element> {
    let kids = row.children();
    let mut out = Vec::with_capacity(kids.length() as usize);
    for i in 0..kids.length() {
        if let Some(c) = kids.item(i) {
            if matches(&c, CELL) {
                out.push(c);
            }
        }
    }
    out
}

/// The cell of `row` in `col`.
pub fn cell_at(row: &Element, col: &Column) -> Option<Element> {
    let cells = row_cells(row);
    if let Some(idx) = col.colindex.as_deref() {
        if let Some(c) = cells
            .iter()
            .find(|c| c.get_attribute("aria-colindex").as_deref() == Some(idx))
        {
            return Some(c.clone());
        }
    }
    cells.get(col.position).cloned()
}

/// Rows of the list that show an action (header and spacer rows excluded).
pub fn action_rows(list: &Element) -> Vec<Element> {
    all(list, ROW)
        .into_iter()
        .filter(|r| first(r, ACTION_LINK).is_some())
        .collect()
}

/// The row an element belongs to, if it is inside `list`.
pub fn row_of(e: &Element) -> Option<Element> {
    closest(e, ROW)
}

/// What a row shows: its action link, the action id and the title.
#[derive(Debug, Clone)]
pub struct RowAction {
    pub link: Element,
    pub action_id: String,
    pub title: String,
}

/// The action a row shows now (rows are recycled: read it again after any change).
pub fn row_action(row: &Element) -> Option<RowAction> {
    let link = super::dom::first_i(row, ACTION_LINK)?;
    let action_id = action_id_from_href(&super::dom::attr_i(&link, "href")?)?;
    let title = text_of(&link);
    Some(RowAction {
        link,
        action_id,
        title,
    })
}

/// The category a row shows: by its column header, else the one cell whose value is a category
/// (categories are shown in English in every language, portal.md).
pub fn row_category(list: &Element, row: &Element) -> Option<Category> {
    if let Some(col) = column_map(list).category {
        if let Some(c) = cell_at(row, &col).and_then(|cell| Category::from_portal(&text_of(&cell)))
        {
            return Some(c);
        }
    }
    row_cells(row)
        .iter()
        .find_map(|c| Category::from_portal(&text_of(c)))
}

// ---------------------------------------------------------------------------------------------
// Action detail panel and its Share menu
// ---------------------------------------------------------------------------------------------

/// The action detail panel (the most recently added one when several dialogs exist).
pub fn find_panel(root: &Element) -> Option<Element> {
    all(root, PANEL)
        .into_iter()
        .rev()
        .filter(|p| !is_ours(p) && p.get_attribute("aria-hidden").as_deref() != Some("true"))
        .find(|p| panel_heading(p).is_some())
}

/// The panel's title heading: `aria-labelledby`, else its first `h1`/`h2`.
pub fn panel_heading(panel: &Element) -> Option<Element> {
    if let Some(ids) = panel.get_attribute("aria-labelledby") {
        let doc = panel.owner_document()?;
        if let Some(h) = ids
            .split_whitespace()
            .find_map(|id| doc.get_element_by_id(id))
        {
            return Some(h);
        }
    }
    first(panel, PANEL_HEADING)
}

/// The text of the sections the ticket's description is made of.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PanelContent {
    pub title: String,
    pub description: String,
    /// (heading as shown, text)
    pub prerequisites: Option<(String, String)>,
    /// (heading as shown, steps)
    pub next_steps: Option<(String, Vec<String>)>,
    pub category: Option<Category>,
}

/// Reads the panel as plain text (textContent only).
pub fn read_panel(panel: &Element) -> PanelContent {
    let mut out = PanelContent {
        title: panel_heading(panel)
            .map(|h| text_of(&h))
            .unwrap_or_default(),
        ..PanelContent::default()
    };
    for h in all(panel, SECTION_HEADING) {
        let heading = text_of(&h);
        match section_of(&heading) {
            Some(Section::Description) if out.description.is_empty() => {
                out.description = following_text(&h).join("\n");
            }
            Some(Section::Prerequisites) if out.prerequisites.is_none() => {
                out.prerequisites = Some((heading, following_text(&h).join("\n")));
            }
            Some(Section::NextSteps) if out.next_steps.is_none() => {
                out.next_steps = Some((heading, following_text(&h)));
            }
            _ => {}
        }
    }
    out.category = panel_category(panel);
    out
}

/// Text of the siblings after a heading, up to the next heading: one entry per paragraph or
/// list item.
fn following_text(heading: &Element) -> Vec<String> {
    let mut out = Vec::new();
    let mut next = heading.next_element_sibling();
    while let Some(e) = next {
        if matches(&e, "h1, h2, h3, h4, h5, h6") {
            break;
        }
        if matches(&e, "ol, ul") {
            for li in all(&e, "li") {
                let t = text_of(&li);
                if !t.is_empty() {
                    out.push(t);
                }
            }
        } else {
            let t = text_of(&e);
            if !t.is_empty() {
                out.push(t);
            }
        }
        next = e.next_element_sibling();
    }
    out
}

/// The category from the panel's "At a glance" list (`dt` Category → `dd`), else the first
/// element whose whole text is a category value.
fn panel_category(panel: &Element) -> Option<Category> {
    for dt in all(panel, "dt") {
        if is_category_header(&text_of(&dt)) {
            if let Some(c) = dt
                .next_element_sibling()
                .and_then(|dd| Category::from_portal(&text_of(&dd)))
            {
                return Some(c);
            }
        }
    }
    all(panel, "span, dd")
        .iter()
        .find_map(|e| Category::from_portal(&text_of(e)))
}

/// A control's accessible name as far as snshare needs it: `aria-label`, else its text.
pub fn accessible_name(e: &Element) -> String {
    match e.get_attribute("aria-label") {
        Some(l) if !l.trim().is_empty() => normalize(&l),
        _ => text_of(e),
    }
}

/// The panel's Share button: named "Share" in a known language, else its menu button.
pub fn share_button(panel: &Element) -> Option<Element> {
    let buttons = all(panel, BUTTON);
    buttons
        .iter()
        .find(|b| is_share_label(&accessible_name(b)))
        .or_else(|| buttons.iter().find(|b| matches(b, MENU_BUTTON)))
        .cloned()
}

/// Whether `e` is a Share button of a detail panel.
pub fn is_share_button(e: &Element) -> bool {
    matches(e, BUTTON)
        && (is_share_label(&accessible_name(e))
            || (matches(e, MENU_BUTTON) && closest(e, PANEL).is_some()))
}

/// The open menu of a menu button: the one it controls, else the one it labels.
pub fn menu_of(button: &Element) -> Option<Element> {
    let doc = button.owner_document()?;
    if let Some(id) = button.get_attribute("aria-controls") {
        if let Some(target) = id
            .split_whitespace()
            .find_map(|id| doc.get_element_by_id(id))
        {
            if matches(&target, MENU) {
                return Some(target);
            }
            if let Some(m) = first(&target, MENU) {
                return Some(m);
            }
        }
    }
    let id = button.id();
    if id.is_empty() {
        return None;
    }
    let root = doc.document_element()?;
    all(&root, MENU).into_iter().find(|m| {
        m.get_attribute("aria-labelledby")
            .is_some_and(|l| l.split_whitespace().any(|x| x == id))
    })
}

/// The portal's own items of a menu (snshare's excluded).
pub fn menu_items(menu: &Element) -> Vec<Element> {
    all(menu, MENU_ITEM)
        .into_iter()
        .filter(|i| !is_ours(i))
        .collect()
}

/// What to clone to add an item that looks like the portal's: the last item and its wrapper
/// (the item's ancestor that is a direct child of the menu, or the item itself).
pub fn menu_item_model(menu: &Element) -> Option<(Element, Element)> {
    let item = menu_items(menu).pop()?;
    let mut wrapper = item.clone();
    while let Some(parent) = wrapper.parent_element() {
        if &parent == menu {
            break;
        }
        wrapper = parent;
    }
    Some((wrapper, item))
}

// ---------------------------------------------------------------------------------------------
// Signed-in account
// ---------------------------------------------------------------------------------------------

/// The signed-in account's UPN: the e-mail-shaped text in the account control.
pub fn account_upn(root: &Element) -> Option<String> {
    let mut controls: Vec<Element> = all(root, BANNER_CONTROLS)
        .into_iter()
        .filter(|e| {
            e.get_attribute("aria-label")
                .is_some_and(|l| is_account_label(&l))
        })
        .collect();
    if let Some(e) = first(root, ACCOUNT_CONTROL) {
        controls.push(e);
    }
    controls.iter().find_map(email_in)
}

fn email_in(control: &Element) -> Option<String> {
    if let Some(found) = control.get_attribute("aria-label").and_then(|l| {
        l.split_whitespace()
            .find(|w| looks_like_email(w))
            .map(str::to_owned)
    }) {
        return Some(found);
    }
    all(control, "*")
        .iter()
        .filter(|e| e.child_element_count() == 0)
        .map(text_of)
        .find(|t| looks_like_email(t))
}

/// `local@domain.tld`, one line, no spaces.
pub fn looks_like_email(s: &str) -> bool {
    let s = s.trim();
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && s.len() <= 256
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

// ---------------------------------------------------------------------------------------------
// Card dashboards (home, Secure Score overview)
// ---------------------------------------------------------------------------------------------

/// The page's main element.
pub fn main_element(root: &Element) -> Option<Element> {
    first(root, MAIN)
}

/// The dashboard the portal's cards live in: the parent of the card (an element whose first
/// child is an `h2`) holding the first `h2` inside `<main>`. `None` while it is still loading.
pub fn card_dashboard(main: &Element) -> Option<Element> {
    let title = all(main, CARD_TITLE).into_iter().find(|h| {
        !is_ours(h)
            && h.parent_element()
                .and_then(|card| card.first_element_child())
                .as_ref()
                == Some(h)
    })?;
    let dashboard = title.parent_element()?.parent_element()?;
    (dashboard.get_attribute("aria-busy").as_deref() != Some("true")).then_some(dashboard)
}

/// The portal's card classes (card, title), from its plainest card (the fewest classes, so not
/// a wide one), for snshare's cards to sit in the layout like the others.
pub fn card_classes(dashboard: &Element) -> Option<(String, String)> {
    let kids = dashboard.children();
    let mut best: Option<(usize, String, String)> = None;
    for i in 0..kids.length() {
        let Some(card) = kids.item(i) else { continue };
        if is_ours(&card) {
            continue;
        }
        let Some(h) = card
            .first_element_child()
            .filter(|h| matches(h, CARD_TITLE))
        else {
            continue;
        };
        let n = card.class_list().length() as usize;
        if best.as_ref().is_none_or(|(m, _, _)| n < *m) {
            best = Some((n, card.class_name(), h.class_name()));
        }
    }
    best.map(|(_, c, h)| (c, h))
}

/// Whether an element is connected to a document (the portal may have replaced it).
pub fn connected(e: &Element) -> bool {
    e.unchecked_ref::<web_sys::Node>().is_connected()
}
