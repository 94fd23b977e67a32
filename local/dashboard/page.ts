/**
 * The one HTML page; everything else is its script (asset.ts) and the JSON endpoints. The CSRF
 * token rides in a meta tag: only a page served from here can read it and send it back on a POST.
 */
export function renderPage(options: { readonly busName: string; readonly csrfToken: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="lightbus-csrf" content="${escapeHtml(options.csrfToken)}">
<title>lightbus dashboard · ${escapeHtml(options.busName)}</title>
<link rel="stylesheet" href="/assets/dashboard.css">
</head>
<body>
<div id="app"><p class="loading">Loading the dashboard of bus ${escapeHtml(options.busName)}…</p></div>
<noscript>The dashboard needs JavaScript.</noscript>
<script src="/assets/dashboard.js"></script>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
