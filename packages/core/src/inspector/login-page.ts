import { escapeHtml } from './html.js';

/** The login form every path of the inspector shows (with `401`) to a browser without a session. */
export function renderLogin(mount: string, failed: boolean): string {
  const message = failed ? `<div class="flash error" role="alert">That is not the token.</div>` : '';
  return (
    `<main><form class="login" method="post" action="${escapeHtml(mount)}/login">` +
    `<h1><span>Larder</span> inspector</h1><p>Enter the inspector token to see and clear this app's caches.</p>${message}` +
    // A username field (hidden) lets password managers file the token under this page.
    `<input type="text" name="username" value="larder-inspector" autocomplete="username" hidden>` +
    `<label for="token" class="meta">Token</label>` +
    `<input type="password" id="token" name="token" autocomplete="current-password" required autofocus>` +
    `<button type="submit">Log in</button></form></main>`
  );
}
