//! The marks snshare leaves in the portal's DOM, in one place: which attribute says what, on
//! which of its nodes. The names more than one feature reads are defined here; a name one
//! feature alone reads stays in that feature's file, and is listed here so nothing is missed.
//! The page can read them and set them too. What a page that copies them gets is snshare
//! skipping or re-finding its nodes, never a share: a command runs only on a person's own click
//! (`dom::user_command`), and what is shared is read from the page's own row or panel then.
//!
//! | attribute | on | says | defined in |
//! | --- | --- | --- | --- |
//! | `data-snshare` | every node snshare adds | which one: `row`, `panel-badges`, `card`, `menu-item`, `cm-share`, `bulk-bar`, `pick`, `set-status`, `forms-unavailable`, `form`, `bulk-form` | `dom::OWN_ATTR`; [`PANEL_BADGES`] |
//! | `data-snshare-cmd` | snshare's buttons | what a click does (one delegated listener per feature) | [`CMD_ATTR`] |
//! | `data-snshare-action` | a row's slot | the action key its button was bound for | [`SLOT_ATTR`] |
//! | `data-snshare-title-key` | a row's slot | the title key of its action (badges look under it too) | [`TITLE_KEY_ATTR`] |
//! | `data-snshare-by-title` | a row's slot | its row shows no action id: what the title map learns may re-key it | [`BY_TITLE_ATTR`] |
//! | `data-snshare-badges` | a row's slot | the ticket snapshot generation its badges were drawn for | [`BADGE_ATTR`] |
//! | `data-snshare-pick` | bulk selection's checkbox in a row | the key of the action it picks | `bulk` |
//! | `data-snshare-status` | "Set status" command | the status it chooses | `bulk_status` |
//! | `data-snshare-kind` | a card's Create ticket | the kind of ticket it opens | `cards` |
//! | `data-snshare-card` | a card | which card (`incident`, `change_request`, `connect`) | `cards` |
//! | `data-snshare-opener` | the control that opened a form | the token the form's request names it by | `form_request::OPENER_ATTR` |
//! | `data-snshare-core` | `<html>` | the engine running: `wasm`, or `js` on pages whose CSP refuses WebAssembly | `lib` |
//! | `data-snshare-worker` | `<html>` | the background worker answered the page's first request (`ok`) or not (`unreachable`) | [`WORKER_ATTR`] |
//! | `data-snshare-theme` | `<html>` | `light` or `dark`, as read from the portal (`extension/content.css` hangs its colours on it) | `styles::THEME_ATTR` |

/// On `<html>`: whether the background worker answered the page's first request (`ok`) or not
/// (`unreachable`), set by `app::Ctx::start_learning`.
pub const WORKER_ATTR: &str = "data-snshare-worker";
/// On snshare's buttons: what a click does (one delegated listener per feature).
pub const CMD_ATTR: &str = "data-snshare-cmd";
/// On a row's slot: the action key its button was bound for.
pub const SLOT_ATTR: &str = "data-snshare-action";
pub const SLOT_SELECTOR: &str = "[data-snshare-action]";
/// On a row's slot: the ticket snapshot generation its badges were drawn for (see `badges`).
pub const BADGE_ATTR: &str = "data-snshare-badges";
/// On a row's slot: the title key of its action (badges look under it too).
pub const TITLE_KEY_ATTR: &str = "data-snshare-title-key";
/// On the slot of a row that shows no action id of its own: its key comes from the title map or
/// is the title key, so what the map learns may re-key it (`scheduler::Batch::touched_rows`).
pub const BY_TITLE_ATTR: &str = "data-snshare-by-title";
pub const BY_TITLE_SELECTOR: &str = "[data-snshare-by-title]";
/// The badges' holder in an action's detail panel (`data-snshare` value): drawn by `badges`,
/// where `bulk` puts the panel's "Set status" command.
pub const PANEL_BADGES_MARK: &str = "panel-badges";
pub const PANEL_BADGES: &str = "[data-snshare=\"panel-badges\"]";
