// The ticket list's freshness (issue 15): the age of what it shows, Refresh, and one live
// region that says only what changed — never the table read again. And the popup's outbox
// keeps a keyboard user's place when it is shown again.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, ROOT, connect, sendFromExtensionPage } from './harness.mjs';

const AXE = fs.readFileSync(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

/** The page's WCAG 2.2 A/AA violations of any impact, as axe-core names them. */
async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
  const { violations } = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    resultTypes: ['violations'],
  }));
  return violations
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' > ')).join(', ')}`);
}

test('the list shows its age, refreshes, and announces only what changed', async ({ context, extensionId, sandbox }) => {
  await sandbox.seed({ table: 'incident', count: 3, correlation_prefix: 'snshare:ListsA:', fields: { state: '1' } });
  await connect(context, extensionId);
  const list = await context.newPage();
  await list.goto(`chrome-extension://${extensionId}/tickets.html`);
  const rows = list.getByRole('table').getByRole('row');
  await expect(rows).toHaveCount(4);
  await expect(list.getByText(/^Updated (now|\d+ seconds? ago)$/)).toBeVisible();
  const live = list.getByRole('status');
  // The results are not live themselves; loading the page announces nothing.
  await expect(list.locator('#results')).not.toHaveAttribute('aria-live');
  await expect(live).toHaveText('');

  const type = list.getByRole('combobox', { name: 'Type' });
  await type.selectOption({ label: 'Change request' });
  await expect(live).toHaveText('0 results');
  await type.selectOption({ label: 'All types' });
  await expect(live).toHaveText('3 results');
  await expect(rows).toHaveCount(4);

  // A ticket changes state in ServiceNow: Refresh reads it and says just that.
  const seeded = (await sandbox.records('incident')).filter((r) => String(r.correlation_id).startsWith('snshare:ListsA:'));
  await sandbox.call('POST', `/sandbox/records/incident/${seeded[0].sys_id}`, { state: '2' });
  const refresh = list.getByRole('button', { name: 'Refresh', exact: true });
  await refresh.click();
  await expect(live).toHaveText('1 ticket changed state.', { timeout: 20_000 });
  await expect(list.getByText(/^Updated (now|\d+ seconds? ago)$/)).toBeVisible();
  // Nothing changed since: said so, once more.
  await refresh.click();
  await expect(live).toHaveText('No changes.', { timeout: 20_000 });

  // The page with its table, age line and Refresh, in the three themes.
  for (const media of [{ colorScheme: 'light' }, { colorScheme: 'dark' }, { colorScheme: 'light', forcedColors: 'active' }]) {
    await list.emulateMedia(media);
    expect(await axeViolations(list), JSON.stringify(media)).toEqual([]);
  }
});

test('Discard by keyboard in the popup leaves the focus in the outbox, then on Refresh', async ({ context, extensionId, sandbox }) => {
  const page = await connect(context, extensionId);
  await sandbox.fault({ kind: 'status', status: 400, count: 2, path_prefix: '/api/now/table/incident', method: 'POST' });
  for (const actionId of ['ListsF1', 'ListsF2']) {
    const draft = {
      kind: 'incident', name: `Share of ${actionId}`, description: 'From the lists suite', priority: 'high',
      due_date: new Date(Date.now() + 14 * 86400e3).toISOString().slice(0, 10),
      user_id: 'MeganB@contoso.onmicrosoft.com', source: 'microsoft', category: 'identity', action_id: actionId, action_url: null,
    };
    const sent = await sendFromExtensionPage(page, { type: 'share', data: { share_id: `s${actionId}`, draft, allow_duplicate: true } });
    expect(sent.body.data.outcome).toBe('failed');
  }
  const popup = await context.newPage();
  await popup.goto(`chrome-extension://${extensionId}/popup.html`);
  const discard = popup.getByRole('button', { name: /^Discard/ });
  await expect(discard).toHaveCount(2);
  await discard.first().focus();
  await popup.keyboard.press('Enter');
  await expect(discard).toHaveCount(1);
  // The discarded share's control is gone: the outbox's first control has the focus.
  await expect(popup.getByRole('button', { name: /^Retry/ })).toBeFocused();
  await discard.focus();
  await popup.keyboard.press('Enter');
  await expect(discard).toHaveCount(0);
  await expect(popup.getByRole('button', { name: 'Refresh tickets' })).toBeFocused();
});
