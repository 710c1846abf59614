// Bad input from outside does not take snshare down (issue 16, worker side): one browser in a
// time zone far west of UTC, for three checks in a row, each leaving the worker serving the next.
//  (a) a share due 9999-12-31 gets a validation message, and the next share is created;
//  (b) an outbox holding an unreadable share and one that keeps stopping the worker still sends
//      the share queued behind them, and the popup says what was set aside;
//  (c) a hostile ticket (markup, script, javascript:, a lone UTF-16 surrogate) is shown as text
//      in the portal's card, the popup and the list, and a 10 MB answer is refused without
//      breaking any of them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import {
  test, expect, connect, sendFromExtensionPage, stopServiceWorker, english, chromiumArgs, watchErrors,
  grantedExtensionDir, CHROMIUM, INSTANCE, PORTAL,
} from './harness.mjs';

test.describe.configure({ timeout: 180_000 });

// UTC-12: the end of a local day is the next day in UTC, as far as any zone pushes it.
const WEST = 'Etc/GMT+12';

const outbox = async (page) => (await sendFromExtensionPage(page, { type: 'get_outbox' })).body.data;

function draft(actionId, dueDate) {
  return {
    kind: 'incident', name: `Hardening ${actionId}`, description: 'From the hardening suite', priority: 'moderate',
    due_date: dueDate, user_id: 'MeganB@contoso.onmicrosoft.com', source: 'microsoft', category: 'identity',
    action_id: actionId, action_url: null,
  };
}

/** `YYYY-MM-DD` of today + n days in the browser's (the worker's) time zone. */
const localDate = (page, n) => page.evaluate((days) => {
  const d = new Date(); d.setDate(d.getDate() + days);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}, n);

const share = (page, shareId, d) => sendFromExtensionPage(page, {
  type: 'share', data: { share_id: shareId, draft: d, allow_duplicate: true },
});

test('far west of UTC: far dates, a poisoned outbox and a hostile ticket leave snshare working', async ({ servers, sandbox }) => {
  // A browser of its own: the time zone is the process's (the worker has no page to emulate).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snshare-profile-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: chromiumArgs({ portalPort: servers.replicas.none.port, sandboxPort: sandbox.port, extensionDir: grantedExtensionDir() }),
    env: { ...process.env, TZ: WEST },
    timezoneId: WEST,
    ignoreHTTPSErrors: true,
  });
  try {
    const isOurs = (w) => w.url().endsWith('/background.js');
    const worker = context.serviceWorkers().find(isOurs)
      ?? await context.waitForEvent('serviceworker', { predicate: isOurs, timeout: 15_000 });
    const extensionId = new URL(worker.url()).host;
    const watch = watchErrors(context, extensionId);
    const page = await connect(context, extensionId);
    // The worker's own clock is 12 hours behind UTC (the precondition of the whole test).
    expect(await worker.evaluate(() => new Date().getTimezoneOffset())).toBe(720);

    await test.step('(a) 9999-12-31 is refused with a message; the next share is created', async () => {
      const far = await share(page, 'hardfar1', draft('HardenA', '9999-12-31'));
      expect(far.body.data.outcome, JSON.stringify(far.body)).toBe('invalid');
      expect(far.body.data.errors).toEqual([{ field: 'due_date', message_key: 'field_error_due_date_too_far' }]);
      expect(english('field_error_due_date_too_far')).toMatch(/too far/);
      const due = await localDate(page, 30);
      const next = await share(page, 'hardnext1', draft('HardenA', due));
      expect(next.body.data.outcome, JSON.stringify(next.body)).toBe('created');
      const [record] = (await sandbox.records('incident')).filter((r) => String(r.correlation_id).startsWith('snshare:HardenA:'));
      // The end of the local day, 12 hours behind UTC: 11:59:59 UTC the next day.
      const [y, m, d] = due.split('-').map(Number);
      const utcNext = new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
      expect(String(record.due_date)).toBe(`${utcNext} 11:59:59`);
      // The draft's user id is typed (or the options' fallback), not the portal's account: it
      // never feeds the "same person" check, which only the portal's UPN does.
      const { 'portal.accounts': accounts } = await page.evaluate(() => chrome.storage.local.get('portal.accounts'));
      expect(accounts ?? []).not.toContain('meganb@contoso.onmicrosoft.com');
    });

    await test.step('(b) an unreadable share and a worker-stopping share are set aside; the share behind them is sent', async () => {
      const now = Date.now();
      const good = {
        share_id: 'hardgood1', instance: INSTANCE, draft: draft('HardenB', await localDate(page, 10)),
        correlation_id: 'snshare:HardenB:hardgood1', status: { status: 'pending' }, attempts: 0,
        not_before: 0, last_error: null, created_at: now,
      };
      // Two stops of the worker while it held this one already; the next is one too many.
      const stopping = {
        ...good, share_id: 'hardstop1', draft: draft('HardenS', good.draft.due_date),
        correlation_id: 'snshare:HardenS:hardstop1', status: { status: 'sending', lease_until: 1 },
        attempts: 2, interrupted: 2, created_at: now - 2,
      };
      const unreadable = { share_id: 'hardpoison1', draft: { name: 'Poisoned share', due_date: 99 }, status: 'sending', created_at: now - 1 };
      await page.evaluate((entries) => chrome.storage.local.set({ outbox: entries }), [unreadable, stopping, good]);
      // A worker start resumes the outbox.
      await stopServiceWorker(context, extensionId);
      await expect.poll(async () => (await outbox(page)).map((e) => [e.share_id, e.last_error?.kind ?? null]).sort(), { timeout: 30_000 })
        .toEqual([['hardpoison1', 'share_unreadable'], ['hardstop1', 'share_interrupted']]);
      expect((await sandbox.records('incident')).filter((r) => r.correlation_id === 'snshare:HardenB:hardgood1')).toHaveLength(1);
      expect((await sandbox.records('incident')).filter((r) => String(r.correlation_id).startsWith('snshare:HardenS:'))).toHaveLength(0);
      const popup = await context.newPage();
      await popup.goto(`chrome-extension://${extensionId}/popup.html`);
      const poisoned = popup.locator('li.outbox-item[data-share-id="hardpoison1"]');
      await expect(poisoned).toContainText('Poisoned share');
      await expect(poisoned).toContainText(english('diagnosis_share_unreadable'));
      await expect(poisoned.getByRole('button', { name: /^Retry/ })).toHaveCount(0);
      await expect(popup.locator('li.outbox-item[data-share-id="hardstop1"]')).toContainText(english('diagnosis_share_interrupted'));
      await poisoned.getByRole('button', { name: /^Discard/ }).click();
      await expect.poll(async () => (await outbox(page)).map((e) => e.share_id)).toEqual(['hardstop1']);
      await popup.close();
    });

    await test.step('(c) a hostile ticket is text everywhere; a 10 MB answer is refused and nothing breaks', async () => {
      const hostile = 'javascript:alert(3)<img src=x onerror=alert(1)><script>alert(2)</script>LONE';
      await sandbox.seed({ table: 'incident', count: 1, correlation_prefix: 'snshare:HardenC', fields: { short_description: hostile } });
      // What a broken Java server writes for a damaged string: an unpaired surrogate escape.
      await sandbox.fault({ kind: 'rewrite', from: '>LONE', to: '>\\ud800', count: 50, path_prefix: '/api/now/table/incident' });
      const shown = 'javascript:alert(3)<img src=x onerror=alert(1)><script>alert(2)</script>\ufffd';
      let dialogs = 0;
      context.on('page', (p) => p.on('dialog', (d) => { dialogs += 1; d.dismiss(); }));
      await sendFromExtensionPage(page, { type: 'get_tickets', data: { force_refresh: true } });
      await expect.poll(async () => {
        const s = (await sendFromExtensionPage(page, { type: 'get_tickets', data: { force_refresh: false } })).body.data;
        return !s.refreshing && s.tickets.some((t) => t.short_description === shown);
      }, { timeout: 20_000 }).toBe(true);
      const popup = await context.newPage();
      await popup.goto(`chrome-extension://${extensionId}/popup.html`);
      await expect(popup.getByText(shown).first()).toBeVisible();
      const list = await context.newPage();
      await list.goto(`chrome-extension://${extensionId}/tickets.html`);
      await expect(list.getByRole('cell', { name: shown })).toBeVisible();
      // The portal's card lists it as text too.
      const portal = await context.newPage();
      await portal.goto(`${PORTAL}/homepage`);
      await expect(portal.locator('html')).toHaveAttribute('data-snshare-worker', 'ok');
      const card = portal.getByRole('region', { name: english('cards_incident_title'), exact: true });
      await expect(card.getByText(shown, { exact: true }).first()).toBeVisible({ timeout: 15_000 });
      expect(await card.locator('[onerror], script, a[href^="javascript"]').count()).toBe(0);
      for (const p of [popup, list]) {
        expect(await p.locator('[onerror], script:not([src]), a[href^="javascript"]').count()).toBe(0);
      }
      // Every answer about incidents now 10 MB: refused (NotServiceNow), the worker stays up.
      await sandbox.clearFaults();
      await sandbox.fault({ kind: 'rewrite', from: '"result"', to: '"padding":"{pad}","result"', pad: 10 * 1024 * 1024, count: 50, path_prefix: '/api/now/table/incident' });
      await sendFromExtensionPage(page, { type: 'get_tickets', data: { force_refresh: true } });
      await expect.poll(async () => (await sendFromExtensionPage(page, { type: 'get_tickets', data: { force_refresh: false } })).body.data.refreshing, { timeout: 30_000 }).toBe(false);
      // The cache kept what it had; popup and list still render it.
      await popup.reload();
      await expect(popup.getByText(shown).first()).toBeVisible();
      await list.reload();
      await expect(list.getByRole('cell', { name: shown })).toBeVisible();
      await portal.reload();
      await expect(card.getByText(shown, { exact: true }).first()).toBeVisible({ timeout: 15_000 });
      expect((await sendFromExtensionPage(page, { type: 'get_status' })).body.data.state).toBe('connected');
      expect(dialogs).toBe(0);
      await sandbox.clearFaults();
    });
    expect(watch.unexpected()).toEqual([]);
  } finally {
    await context.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an answer that never ends is cut off past 8 MB: the worker keeps its tickets and connection', async ({ context, extensionId, sandbox }) => {
  await sandbox.seed({ table: 'incident', count: 2, correlation_prefix: 'snshare:EndlessAnswer:', user: 'snshare.integration' });
  const page = await connect(context, extensionId);
  const snapshot = async () => (await sendFromExtensionPage(page, { type: 'get_tickets', data: { force_refresh: false } })).body.data;
  await sendFromExtensionPage(page, { type: 'get_tickets', data: { force_refresh: true } });
  await expect.poll(async () => { const s = await snapshot(); return !s.refreshing && s.tickets.length; }, { timeout: 20_000 }).toBe(2);
  // The next refresh's first request is answered 200 with JSON that never closes and no
  // length (chunked): the worker must stop reading at its 8 MB limit, not read 256 MB.
  await sandbox.fault({ kind: 'endless', path_prefix: '/api/now/', count: 1 });
  await sendFromExtensionPage(page, { type: 'get_tickets', data: { force_refresh: true } });
  await expect.poll(async () => (await snapshot()).refreshing, { timeout: 30_000 }).toBe(false);
  expect((await sandbox.requests()).filter((r) => r.fault === 'endless')).toHaveLength(1);
  const sent = await sandbox.endlessSent();
  // Past 8 MB, give or take what the sockets held when the worker stopped reading.
  expect(sent).toBeGreaterThan(8 * 1024 * 1024 - 64 * 1024);
  expect(sent).toBeLessThan(48 * 1024 * 1024);
  expect((await snapshot()).tickets).toHaveLength(2);
  expect((await sendFromExtensionPage(page, { type: 'get_status' })).body.data.state).toBe('connected');
});
