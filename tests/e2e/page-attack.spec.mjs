// A hostile script on the portal page (an XSS there, another extension's main-world script)
// against the shipped extension: the task form's shadow root closed, as users have it. It tries
// every way it has to make snshare write to ServiceNow or tell it something: messages (window
// postMessage, chrome.runtime with the extension's id, DOM events), synthetic clicks and keys on
// snshare's row button, menu item, card buttons and form, requestSubmit, snshare's DOM, shadow
// roots, the page's storage and the content script's resources at the extension's fixed id. No
// ticket is created and no token, secret or draft reaches it, and the resources do not tell it
// snshare is there; the person's own click on Send still creates the ticket.
import { test, expect, PORTAL, DEMO_CLIENT, connect, sendFromExtensionPage } from './harness.mjs';

test.use({ openShadowRoot: false });

const MFA = 'AdminMFAV2';
const MFA_TITLE = 'Ensure multifactor authentication is enabled for all users in administrative roles';
const UPN = 'MeganB@contoso.onmicrosoft.com';
// What the user has in the draft: nothing of it may reach the page.
const DRAFT_NAME = 'Draft name 7f3a91 only the user sees';
const DRAFT_DESCRIPTION = 'Draft description c04e5d, private to snshare';

const tickets = async (sandbox) =>
  (await sandbox.records('incident')).length + (await sandbox.records('change_request')).length;

/** The page's script: everything it can try, and everything it could read, as one report. */
function attack({ extensionId }) {
  const report = { attempts: [], seen: [] };
  const note = (what, v) => report.attempts.push(`${what}: ${v}`);
  const formHost = () => document.querySelector('[data-snshare="form"]');
  const key = (el, k) => ['keydown', 'keypress', 'keyup'].forEach((type) =>
    el.dispatchEvent(new KeyboardEvent(type, { key: k, code: k === ' ' ? 'Space' : k, bubbles: true, cancelable: true, composed: true })));
  const click = (el) => {
    el.click();
    el.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true, composed: true, view: window }));
    el.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, composed: true }));
    key(el, 'Enter');
    key(el, ' ');
  };
  return { report, note, formHost, key, click, extensionId };
}

// A valid due date (a year ahead): a forged share must fail on snshare's guards, not on validation.
const DUE = new Date(Date.now() + 365 * 864e5).toISOString().slice(0, 10);

test('a page script can neither make snshare write to ServiceNow nor read what it holds', async ({ context, extension, extensionId, portal, sandbox }) => {
  test.setTimeout(90_000);
  // The page's own fetches of the content script's resources at the extension's fixed id,
  // refused on purpose (use_dynamic_url: only per-session URLs serve them).
  extension.watch.allow(new RegExp(`Denying load of chrome-extension://${extensionId}/(pkg|pkg-js|_locales)/`));
  extension.watch.allow(new RegExp(`\\(chrome-extension://${extensionId}/(pkg|pkg-js|_locales)/[^)]*\\): Failed to load resource`));
  const options = await connect(context, extensionId);
  // The user's draft for the action, as the form keeps it.
  const saved = await sendFromExtensionPage(options, { type: 'save_draft', data: { key: MFA, draft: {
    kind: 'incident', name: DRAFT_NAME, description: DRAFT_DESCRIPTION, priority: 'moderate',
    due_date: DUE, user_id: UPN, source: 'microsoft', category: null, action_id: MFA,
    action_url: null, assignment_group: null,
  } } });
  expect(saved.body.type).toBe('done');
  const before = await tickets(sandbox);

  // The page marks itself as if snshare had started, as soon as its document has a root (before
  // the content script's core has loaded), and puts its mark back whenever it is changed:
  // snshare starts anyway (it knows its own start by its own world, not by the page's DOM).
  // The root keeps the page's mark whichever wrote first; that snshare started is told by its
  // worker mark and its buttons.
  await portal.addInitScript(() => {
    const hold = () => {
      const root = document.documentElement;
      const mark = () => { if (root.getAttribute('data-snshare-core') !== 'page') root.setAttribute('data-snshare-core', 'page'); };
      mark();
      new MutationObserver(mark).observe(root, { attributes: true, attributeFilter: ['data-snshare-core'] });
    };
    if (document.documentElement) hold();
    else new MutationObserver((_, o) => { if (document.documentElement) { o.disconnect(); hold(); } })
      .observe(document, { childList: true });
  });
  // The action's detail page: rows with share buttons, the panel with its Share menu.
  await portal.goto(`${PORTAL}/securescore?viewid=actions&actionId=${MFA}`);
  await expect(portal.locator('html')).toHaveAttribute('data-snshare-worker', 'ok');
  await expect(portal.locator('html')).toHaveAttribute('data-snshare-core', 'page');
  await portal.evaluate(() => __replica.ready);
  const rowButton = portal.getByRole('button', { name: `Share to ServiceNow: ${MFA_TITLE}`, exact: true });
  await expect(rowButton).toBeVisible();

  // 1. Synthetic clicks and keys on the row button and the "ServiceNow" menu item; messages.
  const first = await portal.evaluate(async ({ attackSrc, extensionId, due }) => {
    const a = eval(`(${attackSrc})`)({ extensionId });
    const row = document.querySelector('[data-snshare-cmd="share-row"]');
    a.click(row);
    a.note('form after synthetic row clicks', !!a.formHost());
    // The portal's own Share menu opens for a script; snshare's item then appears in it.
    const panel = [...document.querySelectorAll('[role="dialog"]')].find((d) => d.textContent.includes('multifactor'));
    const share = [...panel.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Share');
    share.click();
    const item = await new Promise((resolve) => {
      const found = () => document.querySelector('[data-snshare-cmd="share-menu"]');
      if (found()) return resolve(found());
      const mo = new MutationObserver(() => { if (found()) { mo.disconnect(); resolve(found()); } });
      mo.observe(document.body, { childList: true, subtree: true });
    });
    a.click(item);
    a.note('form after synthetic menu item clicks', !!a.formHost());
    // Messages: the page's window, a DOM event, and the runtime with the id (say it leaked).
    const share_msg = { v: 1, body: { type: 'share', data: { share_id: 'page1', allow_duplicate: true, draft: {
      kind: 'change_request', name: 'forged by the page', description: 'x', priority: 'critical',
      due_date: due, user_id: 'attacker@evil.example', source: 'microsoft', category: null,
      action_id: 'forged', action_url: null, assignment_group: null } } } };
    const asks = ['ping', 'get_status', 'get_settings', 'get_outbox', 'get_tickets'].map((type) => ({ v: 1, body: { type } }))
      .concat([{ v: 1, body: { type: 'get_draft', data: { key: 'AdminMFAV2' } } }, share_msg, { snshare: 'recognition_report' }]);
    for (const m of asks) {
      window.postMessage(m, '*');
      document.dispatchEvent(new CustomEvent('snshare', { detail: m, bubbles: true }));
      if (globalThis.chrome?.runtime?.sendMessage) {
        try { a.report.seen.push(JSON.stringify(await chrome.runtime.sendMessage(a.extensionId, m))); }
        catch (e) { a.note('runtime.sendMessage', `refused ${e.message}`); }
      } else {
        a.note('runtime.sendMessage', 'no channel');
      }
    }
    // The content script's resources at the extension's fixed id (fingerprinting, review I1).
    for (const res of ['pkg/snshare_content.js', 'pkg/snshare_content_bg.wasm', 'pkg-js/snshare_content.js', '_locales/en/messages.json']) {
      try { a.report.seen.push((await (await fetch(`chrome-extension://${a.extensionId}/${res}`)).text()).slice(0, 80)); a.note('static resource', 'read'); }
      catch (e) { a.note('static resource', 'refused'); }
    }
    return a.report;
  }, { attackSrc: attack.toString(), extensionId, due: DUE });
  expect(first.attempts.filter((s) => s.startsWith('static resource'))).toEqual(Array(4).fill('static resource: refused'));
  expect(first.attempts).toContain('form after synthetic row clicks: false');
  expect(first.attempts).toContain('form after synthetic menu item clicks: false');
  expect(first.attempts.filter((s) => s.startsWith('runtime.sendMessage'))).toHaveLength(8);
  expect(first.seen).toEqual([]);

  // 2. The person opens the form (real clicks: the panel's Share menu, then "ServiceNow"); the
  // page goes after what it shows.
  await portal.keyboard.press('Escape');
  await expect(portal.getByRole('menuitem', { name: 'ServiceNow' })).toHaveCount(0);
  await portal.getByRole('dialog', { name: MFA_TITLE }).getByRole('button', { name: 'Share' }).click();
  await portal.getByRole('menuitem', { name: 'ServiceNow' }).click();
  const host = portal.locator('[data-snshare="form"]');
  await expect(host).toHaveCount(1);
  const cdp = await context.newCDPSession(portal);
  /** The form's closed root as DevTools sees it (the browser, not the page), and a node in it. */
  const inForm = async (selector) => {
    const { root } = await cdp.send('DOM.getDocument', { depth: -1, pierce: true });
    const find = (n) => {
      const attrs = n.attributes ?? [];
      for (let i = 0; i < attrs.length; i += 2) if (attrs[i] === 'data-snshare' && attrs[i + 1] === 'form') return n;
      for (const c of [...(n.children ?? []), ...(n.shadowRoots ?? [])]) { const f = find(c); if (f) return f; }
      return null;
    };
    const h = find(root);
    const shadow = h?.shadowRoots?.[0];
    if (!shadow) return null;
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: shadow.nodeId, selector });
    if (!nodeId) return null;
    const { object } = await cdp.send('DOM.resolveNode', { nodeId });
    return { type: shadow.shadowRootType, nodeId, object };
  };
  const prop = async (node, expr) => (await cdp.send('Runtime.callFunctionOn', {
    objectId: node.object.objectId, functionDeclaration: `function () { return ${expr}; }`, returnByValue: true,
  })).result.value;
  // The draft is in the form (seen from outside the page), Send is offered.
  await expect.poll(async () => { const n = await inForm('#snshare-name'); return n && prop(n, 'this.value'); }, { timeout: 15_000 }).toBe(DRAFT_NAME);
  await expect.poll(async () => { const n = await inForm('button[type="submit"]'); return n && prop(n, '!this.disabled && !this.hidden'); }, { timeout: 15_000 }).toBe(true);
  expect((await inForm('form')).type).toBe('closed');

  const second = await portal.evaluate(async ({ attackSrc, extensionId }) => {
    const a = eval(`(${attackSrc})`)({ extensionId });
    const host = a.formHost();
    a.note('host.shadowRoot', String(host.shadowRoot));
    try { host.attachShadow({ mode: 'open' }); a.note('attachShadow', 'allowed'); } catch (e) { a.note('attachShadow', 'refused'); }
    // Keys and clicks at the host and at whatever has focus (the host, from the page's side).
    for (const el of [host, document.activeElement]) { a.click(el); a.key(el, 'Enter'); }
    for (const f of document.querySelectorAll('form')) { try { f.requestSubmit(); } catch (e) { /* the page's own forms */ } }
    // Everything the page can read: its DOM (every open shadow root too), its storage.
    const texts = [document.documentElement.outerHTML, document.body.innerText];
    const walk = (root) => root.querySelectorAll('*').forEach((e) => {
      if (e.shadowRoot) { texts.push(e.shadowRoot.innerHTML); walk(e.shadowRoot); }
      if ('value' in e && typeof e.value === 'string') texts.push(e.value);
    });
    walk(document);
    for (const s of [localStorage, sessionStorage]) for (let i = 0; i < s.length; i++) texts.push(s.key(i), s.getItem(s.key(i)));
    texts.push(JSON.stringify(await indexedDB.databases()), JSON.stringify(await caches.keys()));
    texts.push(String(globalThis.chrome?.storage), String(globalThis.chrome?.dom?.openOrClosedShadowRoot));
    a.report.seen.push(...texts);
    return a.report;
  }, { attackSrc: attack.toString(), extensionId });
  expect(second.attempts).toContain('host.shadowRoot: null');
  expect(second.attempts).toContain('attachShadow: refused');
  const seen = second.seen.join('\n');
  for (const secret of [DRAFT_NAME, DRAFT_DESCRIPTION, DEMO_CLIENT.secret, 'refresh_token', 'access_token']) {
    expect(seen, secret).not.toContain(secret);
  }
  expect(seen).not.toContain('snshare-name');

  // Nothing the page did started a send (the form would say "Sending…" at once).
  const submit = await inForm('button[type="submit"]');
  expect(await prop(submit, 'this.closest("form").querySelector(".result").textContent')).toBe('');

  // 3. The person's own click on Send: the one ticket of this test, with the draft's name.
  // Every message the page sent went before it, so a forged share would be in the count too.
  const { model } = await cdp.send('DOM.getBoxModel', { nodeId: submit.nodeId });
  const [x1, y1, , , x3, y3] = model.border;
  await portal.mouse.click((x1 + x3) / 2, (y1 + y3) / 2);
  await expect.poll(() => tickets(sandbox), { timeout: 30_000 }).toBe(before + 1);
  const created = (await sandbox.records('incident')).filter((r) => r.short_description === DRAFT_NAME);
  expect(created).toHaveLength(1);
  await cdp.detach();

  // 4. The cards' buttons on the home page (Create ticket opens the form at once when it may).
  await portal.goto(`${PORTAL}/homepage`);
  await expect(portal.locator('html')).toHaveAttribute('data-snshare-worker', 'ok');
  const create = portal.locator('[data-snshare="card"] [data-snshare-cmd="create"]').first();
  await expect(create).toBeVisible({ timeout: 15_000 });
  const cards = await portal.evaluate(async ({ attackSrc, extensionId }) => {
    const a = eval(`(${attackSrc})`)({ extensionId });
    for (const b of document.querySelectorAll('[data-snshare="card"] [data-snshare-cmd]')) a.click(b);
    a.note('form after synthetic card clicks', !!a.formHost());
    return a.report;
  }, { attackSrc: attack.toString(), extensionId });
  expect(cards.attempts).toContain('form after synthetic card clicks: false');
  expect(await tickets(sandbox)).toBe(before + 1);
});
