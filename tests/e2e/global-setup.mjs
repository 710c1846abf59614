// Runs once, in Playwright's main process, before any worker starts: what several workers would
// otherwise build at the same time (and delete under each other) is built here.
import { grantedExtensionDir } from './harness.mjs';

export default function globalSetup() {
  grantedExtensionDir();
  grantedExtensionDir({ openShadowRoot: false });
}
