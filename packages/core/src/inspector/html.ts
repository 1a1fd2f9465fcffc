/** Escapes text for HTML content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A small mark in the tab, inline: the page loads nothing from anywhere. */
const ICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect x='1' y='2' width='14' height='12' rx='2' fill='%232f6f4f'/%3E%3Crect x='3' y='5' width='10' height='2' fill='%23fff'/%3E%3Crect x='3' y='9' width='7' height='2' fill='%23fff'/%3E%3C/svg%3E";

/**
 * A whole page. Its one `<style>` element carries the response's CSP nonce; there is no script,
 * so `default-src 'none'` holds for everything else.
 */
export function htmlDocument(page: { title: string; nonce: string; css: string; body: string; refreshSeconds?: number }): string {
  const refresh = page.refreshSeconds ? `<meta http-equiv="refresh" content="${page.refreshSeconds}">` : '';
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">${refresh}` +
    `<meta name="referrer" content="no-referrer"><title>${escapeHtml(page.title)}</title>` +
    `<link rel="icon" href="${ICON}"><style nonce="${page.nonce}">${page.css}</style></head>` +
    `<body>${page.body}</body></html>`
  );
}
