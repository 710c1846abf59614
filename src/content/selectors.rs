//! Everything the content script looks for in the portal, in one place: CSS
//! selectors, the per-language labels, and the functions that apply them. A portal change is an
//! edit here, and `tests/wasm_portal.rs` checks each function against DOM shaped like every
//! replica variant and like Fluent UI v8, the real portal's component library (cells inside a
//! wrapper in the row, panels and menus in a layer at the end of the body, hashed class names).
//!
//! Only what is stable is used: ARIA roles, accessible names (computed as a screen reader does,
//! [`accessible_name`]), visible header and section texts, `data-automation-key` as a hint, the
//! `actionId` URL parameter and the account control's well-known ids. Never a generated class
//! name, never a position in the tree: cells are found as descendants of their row.
//!
//! | what | how it is found |
//! | --- | --- |
//! | Recommended actions list | `[role=grid]` or `<table>` that links to `actionId=`, else whose header names the title column in a known language |
//! | its rows | `[role=row]` / `<tr>` with data cells and an action title (header, spacer and loading rows have none) |
//! | columns | header name per language ([`LANGUAGES`]), else `data-automation-key`, else structure: the column whose cells link to `actionId`; category also by its values |
//! | a row's action | the title link's `actionId`; else the title (link, `button`, plain text) of the title column, the row header, or the row's first named link or button |
//! | detail panel | the last `[role=dialog]` / `[role=complementary]` with a title: `aria-labelledby`, else `h1`/`h2`/`[role=heading]` (any level) |
//! | panel sections | any element whose whole text is a section name in a known language (not only heading tags) |
//! | Share button | a button named "Share" in a known language; the Share menu is also known by its items (Teams, Planner, Copy link …) |
//! | Share menu | the `[role=menu]` the button controls or that names it; else the one that opened in answer to it, nearest to it |
//! | signed-in user | the e-mail-shaped text of the account control (`#mectrl_*`, or labelled "Account manager for …") or of its flyout once opened |
//! | card dashboard | the parent of the card holding the first `h2` inside `<main>` |

use std::cell::OnceCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{Element, Node};

use super::dom::{all, closest, first, is_ours, matches, normalize, text_of};
use crate::domain::action_status::ActionStatus;
use crate::domain::action_title::{normalize_title, normalized_chars};
use crate::domain::portal_url::action_id_from_href;
use crate::domain::ticket::Category;

// ---------------------------------------------------------------------------------------------
// Selectors
// ---------------------------------------------------------------------------------------------

/// Candidates for the Recommended actions list: an ARIA grid (Fluent's `DetailsList`), an ARIA
/// table (`role="table"` with `role="cell"`s: Fluent v9's `Table` without native elements), or a
/// `<table>`.
pub const LIST: &str = "[role=\"grid\"], [role=\"treegrid\"], [role=\"table\"], table";
/// Rows of a list (header, spacer and action rows alike).
pub const ROW: &str = "[role=\"row\"], tr";
/// `selector` without snshare's own nodes nor anything inside them: the page's elements only,
/// in one query (no `closest` asked per match).
macro_rules! page_only {
    ($selector:literal) => {
        concat!(":is(", $selector, "):not([data-snshare], [data-snshare] *)")
    };
}
/// Data cells, anywhere under their row (Fluent wraps them in `DetailsRowFields`); a table's
/// row header (`<th scope="row">`) is its row's cell, as `role="rowheader"` is a grid's.
pub const CELL: &str =
    "[role=\"gridcell\"], [role=\"rowheader\"], [role=\"cell\"], td, th[scope=\"row\" i]";
/// [`CELL`]s that are not snshare's (nor inside its nodes): one query per row, no `closest`
/// asked per cell.
const PAGE_CELL: &str = page_only!(
    "[role=\"gridcell\"], [role=\"rowheader\"], [role=\"cell\"], td, th[scope=\"row\" i]"
);
/// A row's header cell: the title cell of a list whose title column is its rows' headers.
const ROW_HEADER: &str = "[role=\"rowheader\"], th[scope=\"row\" i]";
/// [`ACTION_LINK`]s that are not snshare's.
const PAGE_ACTION_LINK: &str =
    page_only!("a[href*=\"actionid=\" i], a[href*=\"/compliancemanager/improvementactions/\" i]");
/// [`TITLE_CONTROL`]s of the page that can be a title: not a control that is never one
/// (selection checkboxes, menus, hidden), not snshare's.
const PAGE_TITLE_CONTROL: &str = ":is(a[href], button, [role=\"link\"], [role=\"button\"]):not([role=\"checkbox\"], [aria-haspopup], input, [aria-hidden=\"true\"], [data-snshare], [data-snshare] *)";
/// A column's key on Fluent's cells.
const AUTOMATION_KEY: &str = "data-automation-key";
const COLINDEX: &str = "aria-colindex";
/// Column headers of a list (not a row's own header, `<th scope="row">`).
pub const HEADER_CELL: &str =
    "[role=\"columnheader\"], th:not([scope=\"row\" i], [role=\"rowheader\"])";
/// The link that opens an action (its `href` carries `actionId`, or, on Compliance Manager, the
/// action's path).
pub const ACTION_LINK: &str =
    "a[href*=\"actionid=\" i], a[href*=\"/compliancemanager/improvementactions/\" i]";
/// What can carry an action's title in its cell: a link, or a Fluent `Link` without `href`
/// (a `<button>`), or their ARIA forms.
pub const TITLE_CONTROL: &str = "a[href], button, [role=\"link\"], [role=\"button\"]";
/// Candidates for the action detail panel: a dialog (ARIA or an open `<dialog>`) or a side panel.
pub const PANEL: &str = "[role=\"dialog\"], dialog[open], [role=\"complementary\"]";
/// A detail panel drawn as a region labelled by its heading (a named `<section>` is one), or an
/// `<aside>`: taken only when no [`PANEL`] is one, and only when it holds the portal's Share
/// button and an action's sections, not the list (`find_panel`), since a page has regions of
/// every kind.
const PANEL_REGION: &str =
    "[role=\"region\"], section[aria-labelledby], section[aria-label], aside";
/// The panel's title when it has no `aria-labelledby` (Fluent: `div[role=heading]`).
pub const PANEL_HEADING: &str = "h1, h2, [role=\"heading\"]";
/// Headings that end a section's text.
const ANY_HEADING: &str = "h1, h2, h3, h4, h5, h6, [role=\"heading\"]";
/// Buttons (native or ARIA).
pub const BUTTON: &str = "button, [role=\"button\"]";
/// Buttons that open a menu.
pub const MENU_BUTTON: &str = "[aria-haspopup=\"menu\"], [aria-haspopup=\"true\"]";
pub const MENU: &str = "[role=\"menu\"]";
pub const MENU_ITEM: &str = "[role=\"menuitem\"]";
/// Microsoft's account control (MeControl) and its flyout keep these ids across Microsoft 365
/// portals; the UPN is in `#mectrl_currentAccount_secondary` once the flyout was opened.
/// Looked up by id, one at a time: a selector list of ids walks the whole page.
const ACCOUNT_CONTROL_IDS: [&str; 4] = [
    "mectrl_main_trigger",
    ACCOUNT_UPN_ID,
    "mectrl_currentAccount_primary",
    "O365_MainLink_Me",
];
/// Where the account flyout shows the UPN once opened.
pub const ACCOUNT_UPN_ID: &str = "mectrl_currentAccount_secondary";
/// The top bar, where the account control lives: the page's banner landmark, and its first
/// `header` where that is another element.
const BANNERS: [&str; 2] = ["[role=\"banner\"]", "header"];
pub const MAIN: &str = "main, [role=\"main\"]";
/// A card's title in a dashboard.
pub const CARD_TITLE: &str = "h2";
/// Subtrees a screen reader does not read.
const UNREAD: &str = "[aria-hidden=\"true\"], [hidden], [data-snshare], script, style, template";
/// An element that names itself. A row's title link nearly never does: one `matches` where the
/// two attributes were read one by one (issue 17). (`:has()` for the hidden subtrees too, in
/// the same call, made 2,000 rows' names take 25 ms to read instead of 7.)
const LABELLED: &str = "[aria-labelledby], [aria-label]";

// ---------------------------------------------------------------------------------------------
// Labels per language (the portal's texts; exact texts in tests/fixtures/portal/README.md)
// ---------------------------------------------------------------------------------------------

/// What the portal shows in one language, for the texts snshare reads.
#[derive(Debug, Clone, Copy)]
pub struct Labels {
    pub lang: &'static str,
    /// Header of the column with the action's title.
    pub title_header: &'static str,
    pub category_header: &'static str,
    pub status_header: &'static str,
    /// The panel's Share button.
    pub share: &'static str,
    pub description: &'static str,
    pub implementation: &'static str,
    pub prerequisites: &'static str,
    pub next_steps: &'static str,
    /// The account control's label around the person's name: (before, after).
    pub account: (&'static str, &'static str),
    /// Category values, when the portal translates them: Identity, Data, Devices, Apps,
    /// Infrastructure (in that order, as [`Category::ALL`]).
    pub categories: [&'static str; 5],
    /// Status values: To address, Planned, Risk accepted, Resolved through third party,
    /// Resolved through alternate mitigation, Completed (as [`ActionStatus::ALL`]).
    pub statuses: [&'static str; 6],
    /// The Share menu's own items besides Teams and Planner: Copy link, Email.
    pub share_items: [&'static str; 2],
}

pub const LANGUAGES: [Labels; 6] = [
    Labels {
        lang: "en",
        title_header: "Recommended action",
        category_header: "Category",
        status_header: "Status",
        share: "Share",
        description: "Description",
        implementation: "Implementation",
        prerequisites: "Prerequisites",
        next_steps: "Next steps",
        account: ("Account manager for ", ""),
        categories: ["Identity", "Data", "Device", "Apps", "Infrastructure"],
        statuses: [
            "To address",
            "Planned",
            "Risk accepted",
            "Resolved through third party",
            "Resolved through alternate mitigation",
            "Completed",
        ],
        share_items: ["Copy link", "Email"],
    },
    Labels {
        lang: "it",
        title_header: "Azione consigliata",
        category_header: "Categoria",
        status_header: "Stato",
        share: "Condividi",
        description: "Descrizione",
        implementation: "Implementazione",
        prerequisites: "Prerequisiti",
        next_steps: "Passaggi successivi",
        account: ("Gestione account per ", ""),
        categories: ["Identità", "Dati", "Dispositivo", "App", "Infrastruttura"],
        statuses: [
            "Da risolvere",
            "Pianificato",
            "Rischio accettato",
            "Risolto tramite terze parti",
            "Risolto tramite mitigazione alternativa",
            "Completato",
        ],
        share_items: ["Copia collegamento", "Posta elettronica"],
    },
    Labels {
        lang: "sv",
        title_header: "Rekommenderad åtgärd",
        category_header: "Kategori",
        status_header: "Status",
        share: "Dela",
        description: "Beskrivning",
        implementation: "Implementering",
        prerequisites: "Förutsättningar",
        next_steps: "Nästa steg",
        account: ("Kontohanterare för ", ""),
        categories: ["Identitet", "Data", "Enhet", "Appar", "Infrastruktur"],
        statuses: [
            "Att åtgärda",
            "Planerad",
            "Risk accepterad",
            "Löst via tredje part",
            "Löst via alternativ åtgärd",
            "Slutförd",
        ],
        share_items: ["Kopiera länk", "E-post"],
    },
    Labels {
        lang: "fr",
        title_header: "Action recommandée",
        category_header: "Catégorie",
        status_header: "État",
        share: "Partager",
        description: "Description",
        implementation: "Implémentation",
        prerequisites: "Prérequis",
        next_steps: "Étapes suivantes",
        account: ("Gestionnaire de compte pour ", ""),
        categories: [
            "Identité",
            "Données",
            "Appareil",
            "Applications",
            "Infrastructure",
        ],
        statuses: [
            "À traiter",
            "Planifié",
            "Risque accepté",
            "Résolu par un tiers",
            "Résolu par une atténuation alternative",
            "Terminé",
        ],
        share_items: ["Copier le lien", "Courrier"],
    },
    Labels {
        lang: "nl",
        title_header: "Aanbevolen actie",
        category_header: "Categorie",
        status_header: "Status",
        share: "Delen",
        description: "Beschrijving",
        implementation: "Implementatie",
        prerequisites: "Vereisten",
        next_steps: "Volgende stappen",
        account: ("Accountbeheer voor ", ""),
        categories: [
            "Identiteit",
            "Gegevens",
            "Apparaat",
            "Apps",
            "Infrastructuur",
        ],
        statuses: [
            "Te verhelpen",
            "Gepland",
            "Risico geaccepteerd",
            "Opgelost via derde partij",
            "Opgelost via alternatieve risicobeperking",
            "Voltooid",
        ],
        share_items: ["Koppeling kopiëren", "E-mail"],
    },
    Labels {
        lang: "zh-TW",
        title_header: "建議的動作",
        category_header: "類別",
        status_header: "狀態",
        share: "共用",
        description: "描述",
        implementation: "實作",
        prerequisites: "必要條件",
        next_steps: "後續步驟",
        account: ("", " 的帳戶管理員"),
        categories: ["身分識別", "資料", "裝置", "應用程式", "基礎結構"],
        // As Microsoft Learn's zh-TW Secure Score module lists them ("待解決", "已規劃",
        // "已接受風險", "已透過協力廠商解決", "已透過其他風險降低方案解決", "已完成").
        statuses: [
            "待解決",
            "已規劃",
            "已接受風險",
            "已透過協力廠商解決",
            "已透過其他風險降低方案解決",
            "已完成",
        ],
        share_items: ["複製連結", "電子郵件"],
    },
];

/// Whether a name is a label: the same text (glyphs, spacing and case aside), or the label
/// followed by more words ("Category, sorted ascending", a header's screen-reader suffix).
pub fn label_match(name: &str, label: &str) -> bool {
    // Character by character, no string built: every header and value cell is compared with
    // the labels of six languages.
    let mut name = normalized_chars(name);
    let mut any = false;
    for l in normalized_chars(label) {
        if name.next() != Some(l) {
            return false;
        }
        any = true;
    }
    any && name
        .next()
        .is_none_or(|c| [' ', ',', ':', '(', '.', '-', '\u{ff0c}'].contains(&c))
}

/// Whether two labels are the same for a person (glyphs, spacing and case aside).
pub fn same_label(a: &str, b: &str) -> bool {
    normalized_chars(a).eq(normalized_chars(b))
}

fn any_label(text: &str, pick: impl Fn(&Labels) -> &'static str) -> bool {
    LANGUAGES.iter().any(|l| label_match(text, pick(l)))
}

pub fn is_title_header(text: &str) -> bool {
    any_label(text, |l| l.title_header) || super::compliance::is_title_header(text)
}

pub fn is_category_header(text: &str) -> bool {
    any_label(text, |l| l.category_header)
}

pub fn is_share_label(text: &str) -> bool {
    LANGUAGES.iter().any(|l| same_label(text, l.share))
}

/// Other spellings of category values than the tables' (plurals, Graph's names, other
/// translations Microsoft uses).
const CATEGORY_ALIASES: [(&str, Category); 20] = [
    ("Devices", Category::Devices),
    ("Account", Category::Identity),
    ("Identities", Category::Identity),
    ("Applications", Category::Apps),
    ("Dispositivi", Category::Devices),
    ("Applicazioni", Category::Apps),
    ("Identità e accesso", Category::Identity),
    ("Enheter", Category::Devices),
    ("Program", Category::Apps),
    ("Appareils", Category::Devices),
    ("Identités", Category::Identity),
    ("Applis", Category::Apps),
    ("Compte", Category::Identity),
    ("Apparaten", Category::Devices),
    ("Toepassingen", Category::Apps),
    ("Identiteiten", Category::Identity),
    ("身分", Category::Identity),
    ("帳戶", Category::Identity),
    ("應用程式與服務", Category::Apps),
    ("基礎架構", Category::Infrastructure),
];

/// Other spellings of status values than the tables' (gender and number agreement, other
/// translations Microsoft uses).
const STATUS_ALIASES: [(&str, ActionStatus); 27] = [
    ("Da affrontare", ActionStatus::ToAddress),
    ("Pianificata", ActionStatus::Planned),
    (
        "Risolto da terze parti",
        ActionStatus::ResolvedThroughThirdParty,
    ),
    ("Completata", ActionStatus::Completed),
    ("Planerat", ActionStatus::Planned),
    ("Accepterad risk", ActionStatus::RiskAccepted),
    (
        "Löst genom tredje part",
        ActionStatus::ResolvedThroughThirdParty,
    ),
    (
        "Löst genom alternativ åtgärd",
        ActionStatus::ResolvedThroughAlternateMitigation,
    ),
    ("Slutfört", ActionStatus::Completed),
    ("À résoudre", ActionStatus::ToAddress),
    ("Planifiée", ActionStatus::Planned),
    (
        "Résolu via un tiers",
        ActionStatus::ResolvedThroughThirdParty,
    ),
    (
        "Résolu par une autre atténuation",
        ActionStatus::ResolvedThroughAlternateMitigation,
    ),
    ("Terminée", ActionStatus::Completed),
    ("Effectué", ActionStatus::Completed),
    ("Aan te pakken", ActionStatus::ToAddress),
    ("Geaccepteerd risico", ActionStatus::RiskAccepted),
    (
        "Opgelost door derde partij",
        ActionStatus::ResolvedThroughThirdParty,
    ),
    (
        "Opgelost via alternatieve beperking",
        ActionStatus::ResolvedThroughAlternateMitigation,
    ),
    ("要解決", ActionStatus::ToAddress),
    ("待處理", ActionStatus::ToAddress),
    ("已透過第三方解決", ActionStatus::ResolvedThroughThirdParty),
    (
        "已透過替代風險降低措施解決",
        ActionStatus::ResolvedThroughAlternateMitigation,
    ),
    ("已計劃", ActionStatus::Planned),
    ("風險已接受", ActionStatus::RiskAccepted),
    ("已由第三方解決", ActionStatus::ResolvedThroughThirdParty),
    (
        "已透過替代緩和措施解決",
        ActionStatus::ResolvedThroughAlternateMitigation,
    ),
];

/// Word stems, lower case, for text where a category is expected (its column, or beside its
/// label): the portal's exact wording in a language may not be the table's. Devices before
/// Apps ("appareil", "apparaat").
const CATEGORY_STEMS: [(&str, Category); 20] = [
    ("ident", Category::Identity),
    ("account", Category::Identity),
    ("身分", Category::Identity),
    ("devic", Category::Devices),
    ("appareil", Category::Devices),
    ("dispositiv", Category::Devices),
    ("enhet", Category::Devices),
    ("apparat", Category::Devices),
    ("裝置", Category::Devices),
    ("infra", Category::Infrastructure),
    ("基礎", Category::Infrastructure),
    ("app", Category::Apps),
    ("applica", Category::Apps),
    ("program", Category::Apps),
    ("應用", Category::Apps),
    ("data", Category::Data),
    ("donn", Category::Data),
    ("dati", Category::Data),
    ("gegeven", Category::Data),
    ("資料", Category::Data),
];

/// Word stems, lower case, for text where a status is expected. Resolved-through states
/// first (their words hold "risk", "plan" …), then risk accepted, completed, planned.
const STATUS_STEMS: [(&str, ActionStatus); 37] = [
    ("third", ActionStatus::ResolvedThroughThirdParty),
    ("tiers", ActionStatus::ResolvedThroughThirdParty),
    ("terz", ActionStatus::ResolvedThroughThirdParty),
    ("tredje", ActionStatus::ResolvedThroughThirdParty),
    ("derde", ActionStatus::ResolvedThroughThirdParty),
    ("第三方", ActionStatus::ResolvedThroughThirdParty),
    ("協力廠商", ActionStatus::ResolvedThroughThirdParty),
    ("alternat", ActionStatus::ResolvedThroughAlternateMitigation),
    ("autre", ActionStatus::ResolvedThroughAlternateMitigation),
    ("替代", ActionStatus::ResolvedThroughAlternateMitigation),
    (
        "其他風險降低",
        ActionStatus::ResolvedThroughAlternateMitigation,
    ),
    ("risk", ActionStatus::RiskAccepted),
    ("risque", ActionStatus::RiskAccepted),
    ("rischio", ActionStatus::RiskAccepted),
    ("risico", ActionStatus::RiskAccepted),
    ("風險", ActionStatus::RiskAccepted),
    ("complet", ActionStatus::Completed),
    ("termin", ActionStatus::Completed),
    ("effectu", ActionStatus::Completed),
    ("slutf", ActionStatus::Completed),
    ("voltooid", ActionStatus::Completed),
    ("完成", ActionStatus::Completed),
    ("plan", ActionStatus::Planned),
    ("gepland", ActionStatus::Planned),
    ("規劃", ActionStatus::Planned),
    ("計劃", ActionStatus::Planned),
    ("計畫", ActionStatus::Planned),
    ("address", ActionStatus::ToAddress),
    ("traiter", ActionStatus::ToAddress),
    ("résoudre", ActionStatus::ToAddress),
    ("risolvere", ActionStatus::ToAddress),
    ("affrontare", ActionStatus::ToAddress),
    ("åtgärda", ActionStatus::ToAddress),
    ("verhelpen", ActionStatus::ToAddress),
    ("aan te pakken", ActionStatus::ToAddress),
    ("處理", ActionStatus::ToAddress),
    ("待解", ActionStatus::ToAddress),
];

/// Other texts of the Status column's header.
const STATUS_HEADER_ALIASES: [&str; 2] = ["Statut", "Implementation status"];

/// A value cell's text, normalized, when it is short enough to be one value.
fn value_text(text: &str) -> Option<String> {
    let t = normalize_title(text);
    (!t.is_empty() && t.chars().count() <= 60).then_some(t)
}

/// The value whose label in `pairs` is the whole text (glyphs, spacing and case aside).
fn exact_value<T: Copy>(
    text: &str,
    pairs: impl IntoIterator<Item = (&'static str, T)>,
) -> Option<T> {
    let t = value_text(text)?;
    pairs
        .into_iter()
        .find(|(label, _)| normalized_chars(label).eq(t.chars()))
        .map(|(_, v)| v)
}

/// The value of the first stem the text holds.
fn stem_value<T: Copy>(text: &str, stems: &[(&str, T)]) -> Option<T> {
    let t = value_text(text)?;
    stems
        .iter()
        .find(|(stem, _)| t.contains(stem))
        .map(|(_, v)| *v)
}

/// A category as the portal shows it, in any known language (its whole text).
pub fn category_of(text: &str) -> Option<Category> {
    exact_value(
        text,
        LANGUAGES
            .iter()
            .flat_map(|l| l.categories.into_iter().zip(Category::ALL))
            .chain(CATEGORY_ALIASES),
    )
}

/// A category where the page shows one (its column, beside its label): the whole text in
/// any known language, else by its word stems.
pub fn category_in_place(text: &str) -> Option<Category> {
    category_of(text).or_else(|| stem_value(text, &CATEGORY_STEMS))
}

/// An action's status as the portal shows it, in any known language (its whole text),
/// mapped to the API's term.
pub fn status_of(text: &str) -> Option<ActionStatus> {
    exact_value(
        text,
        LANGUAGES
            .iter()
            .flat_map(|l| l.statuses.into_iter().zip(ActionStatus::ALL))
            .chain(STATUS_ALIASES),
    )
}

/// A status where the page shows one (its column, beside its label): the whole text in any
/// known language, else by its word stems.
pub fn status_in_place(text: &str) -> Option<ActionStatus> {
    status_of(text).or_else(|| stem_value(text, &STATUS_STEMS))
}

pub fn is_status_header(text: &str) -> bool {
    any_label(text, |l| l.status_header)
        || STATUS_HEADER_ALIASES.iter().any(|a| label_match(text, a))
}

/// Whether a menu item is one of the portal's Share menu items (Teams and Planner keep their
/// names in every language).
pub fn is_share_item_name(name: &str) -> bool {
    let n = normalize_title(name);
    n.contains("teams")
        || n.contains("planner")
        || LANGUAGES
            .iter()
            .any(|l| l.share_items.iter().any(|i| same_label(&n, i)))
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

/// Which kind of panel section a title names.
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
// Accessible names
// ---------------------------------------------------------------------------------------------

/// An element's accessible name as a screen reader computes it: the elements `aria-labelledby`
/// names (every id, in order), else `aria-label`, else the text of descendants that are not
/// hidden (`aria-hidden`, `hidden`) — private-use icon glyphs dropped, whitespace collapsed. One
/// function for header texts, button names, panel titles and section titles.
pub fn accessible_name(e: &Element) -> String {
    if !super::dom::matches_i(e, LABELLED) {
        return readable_text(e);
    }
    if let Some(ids) = super::dom::attr_i(e, "aria-labelledby") {
        if let Some(doc) = e.owner_document() {
            let parts: Vec<String> = ids
                .split_whitespace()
                .filter_map(|id| doc.get_element_by_id(id))
                .map(|l| label_or_content(&l))
                .filter(|t| !t.is_empty())
                .collect();
            if !parts.is_empty() {
                return normalize(&parts.join(" "));
            }
        }
    }
    label_or_content(e)
}

/// A referenced label's name: its `aria-label`, else its readable text (a referenced node's own
/// `aria-labelledby` is not followed, as in the accessible-name algorithm).
fn label_or_content(e: &Element) -> String {
    match super::dom::attr_i(e, "aria-label").map(|l| normalize(&l)) {
        Some(l) if !l.is_empty() => l,
        _ => readable_text(e),
    }
}

/// The text of `e` a screen reader reads: hidden subtrees and snshare's own nodes skipped.
pub fn readable_text(e: &Element) -> String {
    // Most elements hide nothing: one query, then `textContent`.
    if super::dom::first_i(e, UNREAD).is_none() {
        return text_of(e);
    }
    let mut out = String::new();
    collect_text(e.unchecked_ref(), &mut out);
    normalize(&out)
}

/// Walks the children by `firstChild`/`nextSibling`: asking for `childNodes` would leave a live
/// `NodeList` cached on each node walked for the node's life (README "How the cost grows").
fn collect_text(node: &Node, out: &mut String) {
    let mut next = node.first_child();
    while let Some(k) = next {
        next = k.next_sibling();
        match k.node_type() {
            Node::TEXT_NODE => out.push_str(&k.text_content().unwrap_or_default()),
            Node::ELEMENT_NODE => {
                let el: &Element = k.unchecked_ref();
                if super::dom::matches_i(el, UNREAD) {
                    continue;
                }
                match super::dom::attr_i(el, "aria-label").map(|l| normalize(&l)) {
                    Some(l) if !l.is_empty() => {
                        out.push(' ');
                        out.push_str(&l);
                        out.push(' ');
                    }
                    _ => collect_text(&k, out),
                }
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Recommended actions list
// ---------------------------------------------------------------------------------------------

/// The Recommended actions list under `root`: a grid or table that links to actions, else one
/// whose header names the title or category column in a known language, else one whose header
/// carries a title or category column key (rows without links under headers the user renamed:
/// Fluent's keys are tied to the column definition, not to its label).
pub fn find_list(root: &Element) -> Option<Element> {
    let candidates: Vec<Element> = all(root, LIST)
        .into_iter()
        .filter(|c| !is_ours(c))
        .collect();
    if let Some(c) = candidates.iter().find(|c| first(c, ACTION_LINK).is_some()) {
        return Some(c.clone());
    }
    candidates.into_iter().find(|c| {
        header_cells(c).iter().any(|h| {
            let name = accessible_name(h);
            is_title_header(&name)
                || is_category_header(&name)
                || column_key(h).is_some_and(|k| {
                    matches!(key_column(&k), Some(KeyColumn::Title | KeyColumn::Category))
                })
        })
    })
}

/// The list's column headers, in display order (a nested table's are not the list's).
pub fn header_cells(list: &Element) -> Vec<Element> {
    all(list, HEADER_CELL)
        .into_iter()
        .filter(|h| closest(h, LIST).as_ref() == Some(list))
        .collect()
}

/// A column: its position among the row's cells, its `aria-colindex` and its column key
/// (`data-automation-key`) when the markup has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub position: usize,
    pub colindex: Option<String>,
    pub key: Option<String>,
}

/// The columns snshare reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    pub title: Option<Column>,
    pub category: Option<Column>,
    pub status: Option<Column>,
}

/// A header's column key (Fluent: `data-item-key` on headers, `data-automation-key` on cells).
fn column_key(e: &Element) -> Option<String> {
    super::dom::attr_i(e, AUTOMATION_KEY)
        .or_else(|| super::dom::attr_i(e, "data-item-key"))
        .filter(|k| !k.is_empty())
}

/// The columns a column key can name.
enum KeyColumn {
    Title,
    Category,
    Status,
}

/// Which column a key names, by the words column definitions use (`title`, `controlName`;
/// `controlCategory`; `implementationStatus`, `state`): a hint, read after the header's text.
/// Not "action": a row's commands often sit in a column keyed `actions`.
fn key_column(key: &str) -> Option<KeyColumn> {
    let key = key.to_ascii_lowercase();
    if key.contains("title") || key.contains("name") {
        Some(KeyColumn::Title)
    } else if key.contains("categor") {
        Some(KeyColumn::Category)
    } else if key.contains("status") || key.contains("state") {
        Some(KeyColumn::Status)
    } else {
        None
    }
}

/// The columns by header name in a known language; else by column key (a hint: keys are tied
/// to the column definition, not the language); else by structure (the column whose cells link
/// to `actionId`).
pub fn column_map(list: &Element) -> ColumnMap {
    read_columns(list, &header_cells(list)).0
}

/// [`column_map`] from the list's header cells, and whether the title column was found by its
/// header (not by the rows' links).
fn read_columns(list: &Element, headers: &[Element]) -> (ColumnMap, bool) {
    let mut map = ColumnMap::default();
    let col = |position: usize, h: &Element| Column {
        position,
        colindex: super::dom::attr_i(h, COLINDEX),
        key: column_key(h),
    };
    for (position, h) in headers.iter().enumerate() {
        let name = accessible_name(h);
        if map.title.is_none() && is_title_header(&name) {
            map.title = Some(col(position, h));
        } else if map.category.is_none() && is_category_header(&name) {
            map.category = Some(col(position, h));
        } else if map.status.is_none() && is_status_header(&name) {
            map.status = Some(col(position, h));
        }
    }
    for (position, h) in headers.iter().enumerate() {
        let slot = match column_key(h).as_deref().and_then(key_column) {
            Some(KeyColumn::Title) => &mut map.title,
            Some(KeyColumn::Category) => &mut map.category,
            Some(KeyColumn::Status) => &mut map.status,
            None => continue,
        };
        if slot.is_none() {
            *slot = Some(col(position, h));
        }
    }
    if map.title.is_some() {
        return (map, true);
    }
    map.title = linked_column(list);
    (map, false)
}

/// The list's column map kept from one batch to the next while its header stays (issue 17:
/// reading every header cell's name against six languages' labels was the largest cost each
/// batch of rows paid). Read again when the list is another, when a batch changed something in
/// or around a header row (a cell's text, cells added, removed or replaced, the row replaced),
/// and always when the title column was not found by its header (found by the rows' links, it
/// depends on the rows).
#[derive(Default)]
pub struct ColumnCache {
    kept: Option<KeptColumns>,
}

struct KeptColumns {
    list: Element,
    /// The rows holding the header cells the map was read from (usually one).
    header_rows: Vec<Element>,
    map: Rc<ColumnMap>,
}

impl ColumnCache {
    /// The columns of `list`. `changed`: the elements whose children or text changed since the
    /// last call (a batch's); `structure`: nodes were added or removed; `fresh`: read anyway.
    pub fn get(
        &mut self,
        list: &Element,
        changed: &[Element],
        structure: bool,
        fresh: bool,
    ) -> Rc<ColumnMap> {
        if let Some(kept) = &self.kept {
            if !fresh && &kept.list == list && !kept.header_changed(changed, structure) {
                return kept.map.clone();
            }
        }
        let headers = header_cells(list);
        let (map, by_header) = read_columns(list, &headers);
        let map = Rc::new(map);
        self.kept = None;
        if by_header {
            let mut header_rows: Vec<Element> = Vec::new();
            for h in &headers {
                let Some(row) = closest(h, ROW).or_else(|| h.parent_element()) else {
                    continue;
                };
                if !header_rows.contains(&row) {
                    header_rows.push(row);
                }
            }
            self.kept = Some(KeptColumns {
                list: list.clone(),
                header_rows,
                map: map.clone(),
            });
        }
        map
    }

    /// Forgets the kept map (the UI's language changed: everything is read again).
    pub fn clear(&mut self) {
        self.kept = None;
    }
}

impl KeptColumns {
    fn header_changed(&self, changed: &[Element], structure: bool) -> bool {
        let list: &Node = self.list.as_ref();
        let mut last: Option<&Element> = None;
        for t in changed {
            // A record per text node of a row: the same target in a run is looked at once.
            if last == Some(t) {
                continue;
            }
            last = Some(t);
            let node: &Node = t.as_ref();
            for row in &self.header_rows {
                let row_node: &Node = row.as_ref();
                // In the header row (a cell's text, a cell added or removed), or around it
                // inside the list (the row replaced, another header row added).
                if row_node.contains(Some(node))
                    || (node.contains(Some(row_node)) && list.contains(Some(node)))
                {
                    return true;
                }
            }
        }
        // The header row taken out (its parent no longer holds it).
        structure
            && self
                .header_rows
                .iter()
                .any(|r| !list.contains(Some(r.as_ref())))
    }
}

/// The column of the first cell that links to an action.
fn linked_column(list: &Element) -> Option<Column> {
    let link = first(list, ACTION_LINK)?;
    let cell = closest(&link, CELL)?;
    let row = closest(&cell, ROW)?;
    let position = row_cells(&row).iter().position(|c| c == &cell)?;
    Some(Column {
        position,
        colindex: super::dom::attr_i(&cell, COLINDEX),
        key: column_key(&cell),
    })
}

/// A row's cells: every data cell under it, however deep (not only its children).
pub fn row_cells(row: &Element) -> Vec<Element> {
    super::dom::all_i(row, PAGE_CELL)
}

/// The cell of `row` in `col`: by column key, else `aria-colindex`, else position.
pub fn cell_at(row: &Element, col: &Column) -> Option<Element> {
    Row::new(row.clone()).cell(col)
}

/// A row as one pass over the page reads it: its cells and its action are looked up at most
/// once, however many features ask (the scheduler hands one per row to every feature of a
/// batch). Rows are recycled: a `Row` is never kept beyond the pass it was made for.
#[derive(Debug)]
pub struct Row {
    pub el: Element,
    cells: OnceCell<Vec<Element>>,
    action: OnceCell<Option<RowAction>>,
    /// The action's title in `normalize_title`'s form (for the title map and the title key).
    normalized: OnceCell<String>,
    resolved: OnceCell<Option<super::app::ResolvedAction>>,
    /// The share slot the row's button was put in during this pass, new (no badges yet).
    new_slot: OnceCell<Element>,
}

impl Row {
    pub fn new(el: Element) -> Self {
        Row {
            el,
            cells: OnceCell::new(),
            action: OnceCell::new(),
            normalized: OnceCell::new(),
            resolved: OnceCell::new(),
            new_slot: OnceCell::new(),
        }
    }

    /// Every data cell under the row ([`row_cells`]).
    pub fn cells(&self) -> &[Element] {
        self.cells.get_or_init(|| row_cells(&self.el))
    }

    /// The cell in `col`: by column key, else `aria-colindex`, else position.
    pub fn cell(&self, col: &Column) -> Option<Element> {
        // Before the row's cells were listed: the cell by its column's attribute, one query,
        // and the row keeps no cell it does not need (a batch of 2,000 rows holds them all).
        if self.cells.get().is_none() {
            for (name, want) in [(AUTOMATION_KEY, &col.key), (COLINDEX, &col.colindex)] {
                let Some(w) = want.as_deref() else { continue };
                match super::dom::first_with_attr(&self.el, name, w, PAGE_CELL) {
                    Some(Some(cell)) => return Some(cell),
                    Some(None) => continue,
                    // A value no selector can carry as it is: looked for among the cells.
                    None => break,
                }
            }
            if col
                .key
                .iter()
                .chain(&col.colindex)
                .all(|w| super::dom::plain_value(w))
            {
                return self.cells().get(col.position).cloned();
            }
        }
        let cells = self.cells();
        let by = |name: &'static str, want: &Option<String>| {
            want.as_deref().and_then(|w| {
                cells
                    .iter()
                    .find(|c| super::dom::attr_i(c, name).as_deref() == Some(w))
            })
        };
        by(AUTOMATION_KEY, &col.key)
            .or_else(|| by(COLINDEX, &col.colindex))
            .or_else(|| cells.get(col.position))
            .cloned()
    }

    /// The action the row shows ([`row_action`]), under the list's columns `map`. One pass
    /// reads it with one map, so the first answer is kept.
    pub fn action(&self, map: &ColumnMap) -> Option<&RowAction> {
        self.action.get_or_init(|| read_action(map, self)).as_ref()
    }

    /// The action's title as the title map and the title key compare it, normalized once.
    pub fn normalized_title(&self, map: &ColumnMap) -> Option<&str> {
        let action = self.action(map)?;
        Some(
            self.normalized
                .get_or_init(|| normalize_title(&action.title))
                .as_str(),
        )
    }

    /// The row's action as snshare keys it (`Ctx::resolve`), worked out once per pass: the
    /// first feature that asks (the share button, after the row taught its title) decides.
    pub fn resolved(
        &self,
        ctx: &super::app::Ctx,
        map: &ColumnMap,
    ) -> Option<&super::app::ResolvedAction> {
        self.resolved
            .get_or_init(|| {
                let action = self.action(map)?;
                let normalized = self.normalized_title(map)?;
                Some(ctx.resolve_normalized(action.action_id.as_deref(), normalized))
            })
            .as_ref()
    }

    /// The share feature made the row's slot in this pass: the badges after it need not read
    /// it back from the page.
    pub fn made_slot(&self, slot: Element) {
        let _ = self.new_slot.set(slot);
    }

    /// The slot made in this pass ([`made_slot`](Self::made_slot)), if any.
    pub fn new_slot(&self) -> Option<&Element> {
        self.new_slot.get()
    }

    /// The category the row shows ([`row_category`]).
    pub fn category(&self, map: &ColumnMap) -> Option<Category> {
        row_value(self, map.category.as_ref(), category_in_place, category_of)
    }

    /// The status the row shows, as the API names it ([`row_status`]).
    pub fn status(&self, map: &ColumnMap) -> Option<ActionStatus> {
        row_value(self, map.status.as_ref(), status_in_place, status_of)
    }
}

/// The portal's own checkboxes in a row (Fluent's row checks; snshare's excluded by the
/// selector itself: one query per row, not a listing and a `closest` per checkbox).
const PORTAL_CHECK: &str = page_only!("[role=\"checkbox\"], input[type=\"checkbox\"]");

/// Whether a row carries the portal's own selection (not snshare's checkbox).
pub fn has_portal_selection(row: &Element) -> bool {
    super::dom::has_attr_i(row, "aria-selected") || super::dom::first_i(row, PORTAL_CHECK).is_some()
}

/// Whether the portal shows the row selected. A row that says so itself (`aria-selected`, which
/// Fluent's DetailsList and DataGrid rows keep in step with their check) is taken at its word:
/// its checkboxes are looked for only on rows without it (2,000 new rows asked for theirs cost
/// a query each, most of the bulk feature's share of that batch).
pub fn portal_selected(row: &Element) -> bool {
    if let Some(selected) = super::dom::attr_i(row, "aria-selected") {
        return selected == "true";
    }
    super::dom::all_i(row, PORTAL_CHECK).iter().any(|c| {
        super::dom::attr_i(c, "aria-checked").as_deref() == Some("true")
            || c.dyn_ref::<web_sys::HtmlInputElement>()
                .is_some_and(|i| i.checked())
    })
}

/// Rows of the list that show an action (header, spacer and loading rows excluded).
pub fn action_rows(list: &Element) -> Vec<Element> {
    read_action_rows(list, &column_map(list))
        .into_iter()
        .map(|r| r.el)
        .collect()
}

/// [`action_rows`] under the list's columns `map`, each row with its action read.
pub fn read_action_rows(list: &Element, map: &ColumnMap) -> Vec<Row> {
    super::dom::all_i(list, ROW)
        .into_iter()
        .map(Row::new)
        .filter(|r| r.action(map).is_some())
        .collect()
}

/// The row an element belongs to, if it is inside `list`.
pub fn row_of(e: &Element) -> Option<Element> {
    closest(e, ROW)
}

/// What a row shows: the element carrying the title, the action id when the row links to it,
/// and the title.
#[derive(Debug, Clone)]
pub struct RowAction {
    /// The title link, button, or the cell holding it as text: the share button goes before
    /// its text.
    pub title_element: Element,
    /// Whether `title_element` is the cell itself (plain-text title).
    pub in_cell: bool,
    pub action_id: Option<String>,
    pub title: String,
}

/// The action a row shows now (rows are recycled: read it again after any change).
pub fn row_action(map: &ColumnMap, row: &Element) -> Option<RowAction> {
    read_action(map, &Row::new(row.clone()))
}

fn read_action(map: &ColumnMap, r: &Row) -> Option<RowAction> {
    let row = &r.el;
    if let Some(link) = super::dom::first_i(row, PAGE_ACTION_LINK) {
        let action_id = super::dom::attr_i(&link, "href").and_then(|h| action_id_from_href(&h));
        let title = accessible_name(&link);
        if action_id.is_some() && !title.is_empty() {
            return Some(RowAction {
                title_element: link,
                in_cell: false,
                action_id,
                title,
            });
        }
    }
    // A header row; or a group's header in a grouped list (Fluent's `GroupHeader`: a row that
    // expands and collapses its group, "Identity (25)" in a cell without a column key).
    if super::dom::has_attr_i(row, "aria-expanded")
        || super::dom::first_i(row, HEADER_CELL).is_some()
    {
        return None;
    }
    let title_cell = map
        .title
        .as_ref()
        .and_then(|c| r.cell(c))
        .or_else(|| super::dom::first_i(row, ROW_HEADER));
    if let Some(cell) = title_cell {
        return title_in(&cell, true);
    }
    // No title column known: the first cell with a named link or button.
    r.cells().iter().find_map(|c| title_in(c, false))
}

/// The title a cell shows: its first named link or button, else (when `text_ok`) its text.
fn title_in(cell: &Element, text_ok: bool) -> Option<RowAction> {
    let control = super::dom::all_i(cell, PAGE_TITLE_CONTROL)
        .into_iter()
        .find_map(|c| {
            let name = accessible_name(&c);
            (!name.is_empty()).then_some((c, name))
        });
    if let Some((c, title)) = control {
        let action_id = super::dom::attr_i(&c, "href").and_then(|h| action_id_from_href(&h));
        return Some(RowAction {
            title_element: c,
            in_cell: false,
            action_id,
            title,
        });
    }
    if !text_ok {
        return None;
    }
    let title = readable_text(cell);
    (!title.is_empty()).then(|| RowAction {
        title_element: cell.clone(),
        in_cell: true,
        action_id: None,
        title,
    })
}

/// The category a row shows: the cell of its column (any known wording), else the one cell
/// whose whole text is a category.
pub fn row_category(map: &ColumnMap, row: &Element) -> Option<Category> {
    Row::new(row.clone()).category(map)
}

/// The status a row shows, as the API names it: the cell of its column, else the one cell
/// whose whole text is a status.
pub fn row_status(map: &ColumnMap, row: &Element) -> Option<ActionStatus> {
    Row::new(row.clone()).status(map)
}

fn row_value<T>(
    row: &Row,
    column: Option<&Column>,
    in_place: fn(&str) -> Option<T>,
    whole: fn(&str) -> Option<T>,
) -> Option<T> {
    if let Some(col) = column {
        if let Some(v) = row
            .cell(col)
            .and_then(|cell| in_place(&readable_text(&cell)))
        {
            return Some(v);
        }
    }
    row.cells().iter().find_map(|c| whole(&readable_text(c)))
}

// ---------------------------------------------------------------------------------------------
// Action detail panel and its Share menu
// ---------------------------------------------------------------------------------------------

/// The action detail panel (the most recently added one when several dialogs exist).
pub fn find_panel(root: &Element) -> Option<Element> {
    let shown =
        |p: &Element| !is_ours(p) && p.get_attribute("aria-hidden").as_deref() != Some("true");
    all(root, PANEL)
        .into_iter()
        .rev()
        .filter(shown)
        .find(|p| panel_heading(p).is_some())
        .or_else(|| {
            // The innermost region last in the page that looks like an action's details: its
            // heading names it, it offers the portal's Share and titles a section of an
            // action's (Description, Implementation…), and it is not the page around the list.
            // A wrong panel would teach a wrong title → id.
            all(root, PANEL_REGION)
                .into_iter()
                .rev()
                .filter(shown)
                // Cheapest first: a region around the list (thousands of named buttons) is
                // left at one query, before the Share is looked for among its buttons.
                .find(|p| {
                    first(p, LIST).is_none()
                        && panel_heading(p).is_some()
                        && share_button(p).is_some()
                        && !section_titles(p).is_empty()
                })
        })
}

/// Whether `e` is the kind of element a detail panel is ([`PANEL`] or a region).
pub fn is_panel_element(e: &Element) -> bool {
    matches(e, PANEL) || matches(e, PANEL_REGION)
}

/// The element holding the panel's title: the first `aria-labelledby` element, else its first
/// `h1`/`h2`/`[role=heading]` (any level) with a name.
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
    all(panel, PANEL_HEADING)
        .into_iter()
        .find(|h| !is_ours(h) && !accessible_name(h).is_empty())
}

/// The panel's title: its accessible name when it is labelled, else its heading's.
pub fn panel_title(panel: &Element) -> String {
    if panel.has_attribute("aria-labelledby") || panel.has_attribute("aria-label") {
        let name = accessible_name(panel);
        if !name.is_empty() {
            return name;
        }
    }
    panel_heading(panel)
        .map(|h| accessible_name(&h))
        .unwrap_or_default()
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
    pub status: Option<ActionStatus>,
}

/// The panel's section titles: the outermost elements whose whole readable text names a
/// section in a known language, whatever their tag.
fn section_titles(panel: &Element) -> Vec<(Element, Section, String)> {
    let mut out: Vec<(Element, Section, String)> = Vec::new();
    for e in all(panel, "*") {
        if e.child_element_count() > 2 || is_ours(&e) || matches(&e, UNREAD) {
            continue;
        }
        let text = readable_text(&e);
        if text.is_empty() || text.len() > 60 {
            continue;
        }
        let Some(section) = section_of(&text) else {
            continue;
        };
        // `h3 > span`: the span comes after its heading; keep the outermost.
        if out
            .iter()
            .any(|(o, _, _)| o.contains(Some(e.unchecked_ref())))
        {
            continue;
        }
        out.push((e, section, text));
    }
    out
}

/// Reads the panel as plain text (textContent only).
pub fn read_panel(panel: &Element) -> PanelContent {
    let mut out = PanelContent {
        title: panel_title(panel),
        ..PanelContent::default()
    };
    let titles = section_titles(panel);
    let others: Vec<Element> = titles.iter().map(|(e, _, _)| e.clone()).collect();
    for (h, section, heading) in &titles {
        match section {
            Section::Description if out.description.is_empty() => {
                out.description = following_text(panel, h, &others).join("\n");
            }
            Section::Prerequisites if out.prerequisites.is_none() => {
                out.prerequisites = Some((
                    heading.clone(),
                    following_text(panel, h, &others).join("\n"),
                ));
            }
            Section::NextSteps if out.next_steps.is_none() => {
                out.next_steps = Some((heading.clone(), following_text(panel, h, &others)));
            }
            _ => {}
        }
    }
    if out.description.is_empty() {
        if let Some(h) = panel_heading(panel) {
            out.description = untitled_description(panel, &h, &others).join("\n");
        }
    }
    out.category = panel_category(panel);
    out.status = panel_status(panel);
    out
}

/// What a text block can hold that a description does not: the panel's commands.
const COMMAND: &str = "button, [role=\"button\"], [role=\"menuitem\"], [role=\"tab\"], [role=\"checkbox\"], input, select, textarea";

/// A description shown without a title of its own (the real flyout names only "At a glance",
/// "User impact", "Implementation"): the blocks between the panel's heading and its first
/// section title, outside its commands (Share, Edit status…), whose own text (not their
/// children's) is sentence-long. A block is taken whole, a link in it included; short texts
/// (scores, chips, status) are not sentences, nor is a row of label/value pairs however long
/// together (their text is all in their children).
fn untitled_description(panel: &Element, heading: &Element, titles: &[Element]) -> Vec<String> {
    let after = |a: &Element, b: &Element| {
        a.compare_document_position(b) & Node::DOCUMENT_POSITION_FOLLOWING != 0
            && !a.contains(Some(b.unchecked_ref()))
    };
    let first_title = titles.iter().find(|t| after(heading, t));
    let mut taken: Vec<Element> = Vec::new();
    let mut out = Vec::new();
    for e in all(panel, "p, div, span") {
        if !after(heading, &e)
            || first_title.is_some_and(|t| !after(&e, t) || e.contains(Some(t.unchecked_ref())))
            || taken.iter().any(|t| t.contains(Some(e.unchecked_ref())))
            || is_ours(&e)
            || matches(&e, UNREAD)
            || closest(&e, COMMAND).is_some()
            || first(&e, COMMAND).is_some()
        {
            continue;
        }
        if own_text_len(&e) >= 40 {
            out.push(readable_text(&e));
            taken.push(e);
        }
    }
    out
}

/// The characters of `e`'s own text nodes, its children's left out, spaces trimmed.
fn own_text_len(e: &Element) -> usize {
    let mut n = 0;
    let mut next = e.first_child();
    while let Some(k) = next {
        next = k.next_sibling();
        if k.node_type() == Node::TEXT_NODE {
            n += k.text_content().unwrap_or_default().trim().chars().count();
        }
    }
    n
}

/// Text after a section title, up to the next title or heading: one entry per paragraph or
/// list item. A title wrapped alone in its own element (`div > span`) reads from after the
/// wrapper.
fn following_text(panel: &Element, title: &Element, titles: &[Element]) -> Vec<String> {
    let is_boundary = |e: &Element| {
        matches(e, ANY_HEADING)
            || titles
                .iter()
                .any(|t| t != title && e.contains(Some(t.unchecked_ref())))
    };
    let mut anchor = title.clone();
    while anchor.next_element_sibling().is_none() {
        match anchor.parent_element() {
            Some(p) if &p != panel && !matches(&p, PANEL) && !is_boundary(&p) => anchor = p,
            _ => break,
        }
    }
    let mut out = Vec::new();
    let mut next = anchor.next_element_sibling();
    while let Some(e) = next {
        if is_boundary(&e) {
            break;
        }
        // One entry per list item, else per paragraph, else the block's whole text.
        let mut items = all(&e, "li, [role=\"listitem\"]");
        if items.is_empty() {
            items = all(&e, "p");
        }
        if items.is_empty() || matches(&e, "li, [role=\"listitem\"], p") {
            let t = readable_text(&e);
            if !t.is_empty() {
                out.push(t);
            }
        } else {
            for li in items {
                let t = readable_text(&li);
                if !t.is_empty() {
                    out.push(t);
                }
            }
        }
        next = e.next_element_sibling();
    }
    out
}

/// The category the panel shows: the element after a "Category" label (`dt`/`dd`, or any two
/// elements side by side), else the first short element whose whole text is a category.
fn panel_category(panel: &Element) -> Option<Category> {
    let leaves = panel_leaves(panel);
    labelled_value(&leaves, is_category_header, category_in_place)
        .or_else(|| leaves.iter().find_map(|e| category_of(&readable_text(e))))
}

/// The status the panel shows, as the API names it: the element after a "Status" label, else
/// the checked choice of a status picker, else the first short element whose whole text is a
/// status and that is not one of a picker's choices.
fn panel_status(panel: &Element) -> Option<ActionStatus> {
    let leaves = panel_leaves(panel);
    labelled_value(&leaves, is_status_header, status_in_place)
        .or_else(|| {
            all(panel, CHECKED_CHOICE)
                .iter()
                .find_map(|c| status_in_place(&choice_name(c)))
        })
        .or_else(|| {
            leaves
                .iter()
                .filter(|e| closest(e, CHOICE).is_none())
                .find_map(|e| status_of(&readable_text(e)))
        })
}

/// A picker's choices, and the one checked.
const CHOICE: &str = "[role=\"radio\"], [role=\"option\"], [role=\"menuitemradio\"], label, input";
const CHECKED_CHOICE: &str = "[role=\"radio\"][aria-checked=\"true\"], [role=\"menuitemradio\"][aria-checked=\"true\"], [role=\"option\"][aria-selected=\"true\"], input[type=\"radio\"]:checked";

/// A choice's name: its own, else (a native radio) its `<label>`'s text.
pub fn choice_name(choice: &Element) -> String {
    let name = accessible_name(choice);
    if !name.is_empty() {
        return name;
    }
    let doc = choice.owner_document();
    let by_for = (!choice.id().is_empty())
        .then(|| {
            doc.and_then(|d| {
                d.query_selector(&["label[for=\"", &choice.id(), "\"]"].concat())
                    .ok()
                    .flatten()
            })
        })
        .flatten();
    by_for
        .or_else(|| closest(choice, "label"))
        .map(|l| readable_text(&l))
        .unwrap_or_default()
}

/// The panel's elements with at most one child element (labels and values), snshare's left out.
fn panel_leaves(panel: &Element) -> Vec<Element> {
    all(panel, "*")
        .into_iter()
        .filter(|e| e.child_element_count() <= 1 && !is_ours(e))
        .collect()
}

/// The value beside a label: the next sibling of the label or of one of its two nearest
/// ancestors (`dt`/`dd`, `label` + `value` in a row, a wrapped label).
fn labelled_value<T>(
    leaves: &[Element],
    is_label: fn(&str) -> bool,
    value: fn(&str) -> Option<T>,
) -> Option<T> {
    for label in leaves {
        let text = readable_text(label);
        if text.is_empty() || text.len() > 40 || !is_label(&text) {
            continue;
        }
        let mut at = Some(label.clone());
        for _ in 0..3 {
            let Some(e) = at else { break };
            if let Some(v) = e
                .next_element_sibling()
                .and_then(|v| value(&readable_text(&v)))
            {
                return Some(v);
            }
            at = e.parent_element();
        }
    }
    None
}

/// The panel's Share button: the button named "Share" in a known language.
pub fn share_button(panel: &Element) -> Option<Element> {
    all(panel, BUTTON)
        .into_iter()
        .find(|b| !is_ours(b) && is_share_label(&accessible_name(b)))
}

/// Whether `e` is a Share button (by its name, in a known language).
pub fn is_share_button(e: &Element) -> bool {
    matches(e, BUTTON) && !is_ours(e) && is_share_label(&accessible_name(e))
}

/// The menu a button names: the one it controls or owns (Fluent sets `aria-controls` only while
/// open), else the one that says it is labelled by the button.
pub fn menu_of(button: &Element) -> Option<Element> {
    let doc = button.owner_document()?;
    for attr in ["aria-controls", "aria-owns"] {
        if let Some(ids) = button.get_attribute(attr) {
            if let Some(target) = ids
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

/// The open menus of the page (snshare's excluded), newest layer last.
pub fn open_menus(root: &Element) -> Vec<Element> {
    all(root, MENU)
        .into_iter()
        .filter(|m| !is_ours(m) && m.get_attribute("aria-hidden").as_deref() != Some("true"))
        .collect()
}

/// The menu that opened for `button` when no ARIA attribute ties them: of the open menus that
/// no other control names, the nearest to the button on screen (a `ContextualMenu` opens next
/// to its target), the newest when none has a box.
pub fn menu_near(button: &Element, menus: &[Element]) -> Option<Element> {
    let b = button.get_bounding_client_rect();
    let (bx, by) = (b.x() + b.width() / 2.0, b.y() + b.height() / 2.0);
    let mut best: Option<(f64, Element)> = None;
    for m in menus.iter().rev() {
        let r = m.get_bounding_client_rect();
        if r.width() == 0.0 && r.height() == 0.0 {
            continue;
        }
        // Distance from the button's centre to the menu's box (squared: only compared). No
        // `clamp`/`hypot`: their panic message and libm would add float formatting to the wasm.
        let dx = (r.left() - bx).max(0.0).max(bx - r.right());
        let dy = (r.top() - by).max(0.0).max(by - r.bottom());
        let d = dx * dx + dy * dy;
        if best.as_ref().is_none_or(|(bd, _)| d < *bd) {
            best = Some((d, m.clone()));
        }
    }
    best.map(|(_, m)| m).or_else(|| menus.last().cloned())
}

/// Whether a menu is the portal's Share menu by what it offers (Teams, Planner, Copy link …).
pub fn is_share_menu(menu: &Element) -> bool {
    menu_items(menu)
        .iter()
        .filter(|i| is_share_item_name(&accessible_name(i)))
        .count()
        >= 2
}

/// The portal's own items of a menu (snshare's excluded).
pub fn menu_items(menu: &Element) -> Vec<Element> {
    all(menu, MENU_ITEM)
        .into_iter()
        .filter(|i| !is_ours(i))
        .collect()
}

/// What to clone to add an item that looks like the portal's: the last item's own
/// presentation wrapper (Fluent: the `li` around the `button[role=menuitem]`) — the outermost
/// ancestor holding that item alone, never the list or focus zone its siblings share — and the
/// item itself.
pub fn menu_item_model(menu: &Element) -> Option<(Element, Element)> {
    let item = menu_items(menu).pop()?;
    let mut wrapper = item.clone();
    while let Some(parent) = wrapper.parent_element() {
        if &parent == menu || all(&parent, MENU_ITEM).len() > 1 {
            break;
        }
        wrapper = parent;
    }
    Some((wrapper, item))
}

// ---------------------------------------------------------------------------------------------
// Signed-in account
// ---------------------------------------------------------------------------------------------

/// The signed-in account's UPN: the e-mail-shaped text in the account control: a control of
/// the top bar labelled as the account's, or the control by its well-known ids.
pub fn account_upn(root: &Element) -> Option<String> {
    let mut controls = banner_controls(root);
    controls.retain(|e| {
        e.get_attribute("aria-label")
            .is_some_and(|l| is_account_label(&l))
    });
    controls.extend(account_controls(root));
    controls.iter().find_map(email_in)
}

/// The labelled controls of the top bar under `root`. The bar is found first (the first match,
/// near the top of the page) and asked for its controls: `[role="banner"] [aria-label]` took
/// every labelled element of the page up through its ancestors, and any selector asked of the
/// whole page with `querySelectorAll` walks all of it — 3–4 ms each on a list of 2,000 rows,
/// where the account is looked for once a second while the page changes (until its flyout has
/// shown the UPN).
pub fn banner_controls(root: &Element) -> Vec<Element> {
    let mut controls = Vec::new();
    let mut banner: Option<Element> = None;
    for selector in BANNERS {
        let Some(bar) = first(root, selector) else {
            continue;
        };
        // `<header role="banner">`, or a header inside the banner: that bar once.
        if banner.as_ref().is_some_and(|b| b.contains(Some(&bar))) {
            continue;
        }
        controls.extend(all(&bar, "[aria-label]"));
        banner = Some(bar);
    }
    controls
}

/// The account control (MeControl) under `root`, by its well-known ids.
pub fn account_controls(root: &Element) -> Vec<Element> {
    let mut controls = Vec::new();
    if let Some(doc) = root.owner_document() {
        for id in ACCOUNT_CONTROL_IDS {
            if let Some(e) = doc.get_element_by_id(id) {
                if root.contains(Some(&e)) {
                    controls.push(e);
                }
            }
        }
    }
    controls
}

fn email_in(control: &Element) -> Option<String> {
    if let Some(found) = control.get_attribute("aria-label").and_then(|l| {
        l.split_whitespace()
            .find(|w| looks_like_email(w))
            .map(str::to_owned)
    }) {
        return Some(found);
    }
    std::iter::once(control.clone())
        .chain(all(control, "*"))
        .filter(|e| e.child_element_count() == 0)
        .map(|e| text_of(&e))
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
