// Compliance Manager (issue 20), end to end against the ServiceNow sandbox and the Compliance
// Manager replica (tests/fixtures/portal/compliance, at purview.microsoft.com and
// compliance.microsoft.com through the host mapping). One browser per variant and CSP mode, and
// in it: the overview's cards, a share from a row of the Improvement actions list and one from an
// action's details (tickets carrying the source, the assessment and the link back), the badges
// on both pages, and — a Secure Score action and a Compliance Manager action with the same id —
// two separate tickets.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, ROOT, PORTAL, connect } from './harness.mjs';

const catalogue = (lang) => JSON.parse(fs.readFileSync(path.join(ROOT, `extension/_locales/${lang}/messages.json`), 'utf8'));
const msg = (cat, key, ...subs) => subs.reduce((m, s, i) => m.replace(`$${i + 1}`, s), cat[key].message);
// Accessible names have their white space collapsed (a French no-break space included).
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+');

const SHARED_ID = 'AdminMFAV2';
const AUDIT_ID = '8f3a1c2e-5b7d-4e9a-a1c3-2d4e6f8a0b1c';
const SS_MFA_TITLE = 'Ensure multifactor authentication is enabled for all users in administrative roles';

const VARIANTS = {
  'grid-en': {
    lang: 'en',
    origin: 'https://purview.microsoft.com',
    list: '/compliancemanager?viewid=ImprovementActions',
    audit: 'Enable audit log search',
    mfa: 'Use multi-factor authentication for administrators',
    family: 'Identification and authentication',
    assign: 'Assign action',
    bar: 'menubar',
    // The details are a page of their own.
    details: (page) => page.getByRole('main'),
  },
  'fluent-fr': {
    lang: 'fr',
    origin: 'https://compliance.microsoft.com',
    list: '/compliancemanager/improvementactions',
    audit: 'Activer la recherche dans le journal d’audit',
    mfa: 'Utiliser l’authentification multifacteur pour les administrateurs',
    family: 'Identification et authentification',
    assign: 'Affecter l’action',
    bar: 'toolbar',
    // The details are a flyout over the list.
    details: (page, title) => page.getByRole('dialog', { name: title }),
  },
};

const linkTo = (origin, id) => `${origin}/compliancemanager?viewid=ImprovementActions&actionId=${id}`;

for (const [variant, v] of Object.entries(VARIANTS)) {
  for (const csp of ['none', 'strict']) {
    test.describe(`Compliance Manager ${variant}, CSP ${csp}`, () => {
      test.use({ csp });

      test('cards, a share from a row and from the details, badges on both, apart from Secure Score', async ({ context, extensionId, portal, sandbox }) => {
        test.setTimeout(150_000);
        const ui = catalogue(v.lang);
        const en = catalogue('en');
        await connect(context, extensionId);
        await context.addCookies([{ name: 'replica-cm-variant', value: variant, url: v.origin }]);
        const open = async (where) => {
          await portal.goto(v.origin + where);
          await expect(portal.locator('html')).toHaveAttribute('data-snshare-worker', 'ok');
          await portal.evaluate(() => __replica.ready);
        };
        const form = () => portal.getByRole('dialog', { name: msg(ui, 'form_title') });
        const send = async () => {
          const dialog = form();
          await expect(dialog.getByLabel(msg(ui, 'form_source'))).toHaveValue(msg(ui, 'form_source_compliance_manager'));
          const button = dialog.getByRole('button', { name: msg(ui, 'form_send') });
          await expect(button).toBeEnabled({ timeout: 15_000 });
          await button.click();
          const link = dialog.getByRole('link', { name: /^INC\d{7}$/ });
          await expect(link).toBeVisible({ timeout: 30_000 });
          const number = (await link.innerText()).trim();
          await dialog.getByRole('button', { name: msg(ui, 'form_close') }).first().click();
          await expect(dialog).toHaveCount(0);
          return number;
        };
        const record = async (prefix) => {
          const records = (await sandbox.records('incident')).filter((r) => String(r.correlation_id).startsWith(prefix));
          expect(records, prefix).toHaveLength(1);
          return records[0];
        };
        const badge = (number) => portal.getByRole('link', { name: new RegExp(`^${escape(msg(ui, 'badge_ticket', number, ''))}`) });

        // The overview shows the two cards.
        await open('/compliancemanager');
        await expect(portal.getByRole('region', { name: msg(ui, 'cards_incident_title') })).toBeVisible({ timeout: 20_000 });
        await expect(portal.getByRole('region', { name: msg(ui, 'cards_change_title') })).toBeVisible();

        // A row of the Improvement actions list: its share button, the ticket, the row's badge.
        await open(v.list);
        await portal.getByRole('button', { name: msg(ui, 'portal_share_row', v.audit), exact: true }).click();
        const rowNumber = await send();
        const fromRow = await record(`snshare:cm:${AUDIT_ID}:`);
        expect(fromRow.number).toBe(rowNumber);
        expect(fromRow.correlation_display).toBe('Microsoft Purview Compliance Manager');
        for (const line of ['-- Shared from Microsoft Purview Compliance Manager by snshare --',
          'Recommendation source: Compliance Manager', 'Assessments: Data Protection Baseline, GDPR',
          'Regulations: GDPR, ISO/IEC 27701:2019', 'Points: 3/9', `Improvement action: ${AUDIT_ID}`,
          `Link: ${linkTo(v.origin, AUDIT_ID)}`]) {
          expect(fromRow.description).toContain(line);
        }
        await expect(badge(rowNumber)).toHaveCount(1, { timeout: 20_000 });

        // An action's details: "Share to ServiceNow" among its commands, the ticket, its badge.
        await portal.getByRole('link', { name: v.mfa, exact: true }).click();
        const details = v.details(portal, v.mfa);
        // Once the details have rendered (their own commands and summary come after the title).
        await expect(details.getByRole('button', { name: v.assign })).toBeVisible({ timeout: 15_000 });
        const share = details.getByRole('button', { name: msg(ui, 'portal_share_short'), exact: true });
        await expect(share).toHaveCount(1, { timeout: 15_000 });
        // Among the details' own commands.
        await expect(details.getByRole(v.bar).getByRole('button', { name: msg(ui, 'portal_share_short'), exact: true })).toHaveCount(1);
        await share.click();
        const detailsNumber = await send();
        const fromDetails = await record(`snshare:cm:${SHARED_ID}:`);
        expect(fromDetails.number).toBe(detailsNumber);
        for (const line of ['Recommendation source: Compliance Manager', 'Assessments: Data Protection Baseline',
          `Control family: ${v.family}`, 'Points: 0/27', `Improvement action: ${SHARED_ID}`,
          `Link: ${linkTo(v.origin, SHARED_ID)}`]) {
          expect(fromDetails.description).toContain(line);
        }
        await expect(details.getByRole('link', { name: new RegExp(`^${escape(msg(ui, 'badge_ticket', detailsNumber, ''))}`) }))
          .toHaveCount(1, { timeout: 20_000 });
        // One share control, however often the page renders.
        await expect(share).toHaveCount(1);

        // The Secure Score action of the same id has no ticket yet: its own share makes another.
        await context.addCookies([{ name: 'replica-variant', value: 'grid-en', url: PORTAL }]);
        await portal.goto(`${PORTAL}/securescore?viewid=actions`);
        await expect(portal.locator('html')).toHaveAttribute('data-snshare-worker', 'ok');
        await portal.evaluate(() => __replica.ready);
        await expect(portal.getByRole('link', { name: new RegExp(`^${escape(msg(en, 'badge_ticket', detailsNumber, ''))}`) })).toHaveCount(0);
        await portal.getByRole('button', { name: msg(en, 'portal_share_row', SS_MFA_TITLE), exact: true }).click();
        const ssForm = portal.getByRole('dialog', { name: msg(en, 'form_title') });
        await expect(ssForm.getByLabel(msg(en, 'form_source'))).toHaveValue(msg(en, 'form_source_microsoft'));
        const ssSend = ssForm.getByRole('button', { name: msg(en, 'form_send') });
        await expect(ssSend).toBeEnabled({ timeout: 15_000 });
        await expect(ssForm.getByRole('region', { name: msg(en, 'form_duplicate_heading') })).toBeHidden();
        await ssSend.click();
        const ssLink = ssForm.getByRole('link', { name: /^INC\d{7}$/ });
        await expect(ssLink).toBeVisible({ timeout: 30_000 });
        const ssNumber = (await ssLink.innerText()).trim();
        expect(ssNumber).not.toBe(detailsNumber);
        const ss = await record(`snshare:${SHARED_ID}:`);
        expect(ss.number).toBe(ssNumber);
        expect(ss.description).toContain('Recommendation source: Microsoft recommendation');
        // Still exactly one Compliance Manager ticket for the id, and it is another record.
        expect((await record(`snshare:cm:${SHARED_ID}:`)).number).toBe(detailsNumber);
      });
    });
  }
}

// The details' share button is looked for across the page only once a button was placed (the
// list's batches do not walk the page for it): still taken away where the portal leaves the
// details' commands in place when it goes back to the list.
test('the details share button goes with the details, where the portal keeps their commands', async ({ context, portal }) => {
  const v = VARIANTS['grid-en'];
  const en = catalogue('en');
  await context.addCookies([{ name: 'replica-cm-variant', value: 'grid-en', url: v.origin }]);
  await portal.goto(v.origin + v.list);
  await expect(portal.locator('html')).toHaveAttribute('data-snshare-worker', 'ok');
  await portal.evaluate(() => __replica.ready);
  await portal.getByRole('link', { name: v.mfa, exact: true }).click();
  const details = v.details(portal);
  await expect(details.getByRole('button', { name: v.assign })).toBeVisible({ timeout: 15_000 });
  const share = portal.getByRole('button', { name: msg(en, 'portal_share_short'), exact: true });
  await expect(share).toHaveCount(1, { timeout: 15_000 });
  // The list's address, and the details' title gone; their command bar stays.
  await portal.evaluate((list) => {
    history.pushState({}, '', list);
    document.querySelector('main h1').remove();
  }, v.list);
  await expect(share).toHaveCount(0);
  await expect(details.getByRole('button', { name: v.assign })).toHaveCount(1);
});
