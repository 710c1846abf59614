// The options page's Field mapping section, driven as a user drives it (issue 14 moved it to
// static markup and templates): a name that is no record is refused under its field, the
// instance's records and choices are offered, a refusal by the instance lands under the ticket
// kind it concerns, and what the instance confirmed is saved and shown again on the next visit.
import { test, expect, connectWithPassword, sendFromExtensionPage } from './harness.mjs';

const GROUP = 'Security Operations';

test('field mapping: records and choices from the instance, errors by field, saved and shown again', async ({ context, extensionId, sandbox }) => {
  const options = await connectWithPassword(context, extensionId);
  const section = options.getByRole('region', { name: 'Field mapping' });
  const group = section.getByRole('combobox', { name: 'Assignment group' });
  const incidents = section.getByRole('group', { name: 'Secure Score category on incidents' });
  const save = section.getByRole('button', { name: 'Save field mapping' });

  // A typed name that is no record of the instance is refused before anything is sent.
  await group.fill('No such group');
  await save.click();
  await expect(section.getByText("Choose one of the instance's records from the list.")).toBeVisible();
  await expect(section.getByRole('alert').filter({ hasText: 'Some settings need your attention' })).toBeVisible();

  // The instance's groups are searched as the user types; the exact name picks the record.
  await group.fill(GROUP);
  await expect(section.locator(`#mapping-assignment-group-list option[value="${GROUP}"]`)).toHaveCount(1, { timeout: 10_000 });
  await incidents.getByRole('textbox', { name: 'Choice field (empty: none)' }).fill('category');
  await incidents.getByRole('combobox', { name: 'Identity' }).fill('software');

  // sys_choice refused (the instance's default): the worker cannot check the values, and says
  // so under the incidents' category, not somewhere else.
  await save.click();
  await expect(incidents.getByText('cannot read this field\'s choices')).toBeVisible({ timeout: 10_000 });
  await expect(section.getByText("Choose one of the instance's records from the list.")).toBeHidden();

  await sandbox.config({ sys_choice: 'readable' });
  await incidents.getByRole('button', { name: "Load the field's choices" }).click();
  await expect(incidents.locator('datalist option[value="software"]')).toHaveCount(1, { timeout: 10_000 });
  await save.click();
  await expect(section).toContainText('Field mapping saved', { timeout: 10_000 });
  await expect(incidents.getByText('cannot read this field\'s choices')).toBeHidden();

  const saved = (await sendFromExtensionPage(options, { type: 'get_settings' })).body.data.mapping;
  expect(saved.assignment_group?.name).toBe(GROUP);
  expect(saved.category).toEqual([{ kind: 'incident', field: 'category', values: [{ category: 'identity', value: 'software' }] }]);

  // The next visit shows what is saved.
  await options.reload();
  await expect(group).toHaveValue(GROUP);
  await expect(incidents.getByRole('textbox', { name: 'Choice field (empty: none)' })).toHaveValue('category');
  await expect(incidents.getByRole('combobox', { name: 'Identity' })).toHaveValue('software');
  await options.close();
});
