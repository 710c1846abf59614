// The ticket list's freshness (issue 15): the age of what it shows, Refresh, and one live
// region that says only what changed — never the table read again.
import { test, expect, connect } from './harness.mjs';

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
});
