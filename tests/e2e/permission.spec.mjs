// The real host-permission prompt: Connect asks for exactly the instance's origin at run time.
// Headless Chromium never shows the prompt, so this test runs headed under Xvfb (build.sh
// starts the suite under xvfb-run) and answers the native prompt with xdotool.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  test, expect, DIST, INSTANCE, launchExtension, watchErrors, fillConnection, signInAndAllow,
  INTEGRATION_USER,
} from './harness.mjs';

test.skip(!process.env.DISPLAY, 'needs a display: ./build.sh test runs the suite under xvfb-run');
// One headed browser at a time: xdotool types into whichever window has the focus.
test.describe.configure({ mode: 'default' });

// The portals' origins come with the content scripts (the manifest's matches), not from the
// prompt.
const CONTENT_ORIGINS = new Set(JSON.parse(fs.readFileSync(path.join(DIST, 'manifest.json'), 'utf8'))
  .content_scripts.flatMap((c) => c.matches));
const promptedOrigins = (granted) => granted.origins.filter((o) => !CONTENT_ORIGINS.has(o));

function press(...keys) {
  execFileSync('xdotool', ['key', '--delay', '150', ...keys]);
}

for (const [answer, keys] of [['accepted', ['Tab', 'Return']], ['declined', ['Return']]]) {
  test(`the host permission prompt, ${answer}`, async ({ servers, sandbox }) => {
    const { context, extensionId, userDataDir } = await launchExtension({
      portalPort: servers.replicas.none.port, sandboxPort: sandbox.port, headless: false, extensionDir: DIST,
    });
    const watch = watchErrors(context, extensionId);
    // The consent page needs an account that may use the login page (see connect.spec.mjs).
    await sandbox.setUser(INTEGRATION_USER.user, { web_service_access_only: 'false', internal_integration_user: 'true' });
    try {
      const options = await context.newPage();
      await options.goto(`chrome-extension://${extensionId}/options.html`);
      await options.bringToFront();
      await fillConnection(options);
      const authPage = context.waitForEvent('page', { predicate: (p) => /oauth_auth|login/.test(p.url()), timeout: 20_000 }).catch(() => null);
      await options.getByRole('button', { name: 'Connect to ServiceNow' }).click();
      await options.waitForTimeout(1500); // the native prompt opens
      press(...keys);
      if (answer === 'accepted') {
        await signInAndAllow(await authPage, INTEGRATION_USER);
        await expect(options.getByRole('status')).toContainText(`Connected as ${INTEGRATION_USER.user}`, { timeout: 15_000 });
        const granted = await options.evaluate(() => chrome.permissions.getAll());
        // Exactly the instance's origin was added (the portal's comes with the content script).
        expect(promptedOrigins(granted)).toEqual([`${INSTANCE}/*`]);
      } else {
        await expect(options.getByText(/allow access when the browser asks/i).first()).toBeVisible();
        const granted = await options.evaluate(() => chrome.permissions.getAll());
        expect(promptedOrigins(granted)).toEqual([]);
      }
      expect(watch.unexpected()).toEqual([]);
    } finally {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    }
  });
}
