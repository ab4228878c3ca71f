/*
 * The API reference: a whole HTML document of its own rather than a React
 * page, so Scalar (a Vue app with global styles and keyboard shortcuts) gets
 * the full viewport and never lingers in the dashboard after client-side
 * navigation. Everything it loads comes from this origin, under the same CSP
 * as every other page (no remote fonts, no Scalar cloud features), with
 * this response's nonce on its two scripts.
 */

const OPENAPI_URL = "/api/v1/openapi.json";

/** Scalar's options (node_modules/@scalar/types, api-reference-configuration). */
function scalarConfiguration() {
  return {
    url: OPENAPI_URL,
    metaData: { title: "API reference · Countersign" },
    layout: "modern",
    theme: "default",
    customCss: THEME_CSS,
    // Nothing from the internet: system fonts, no AI agent, no links that upload the document or open Scalar's hosted client.
    withDefaultFonts: false,
    agent: { disabled: true },
    telemetry: false,
    hideClientButton: true,
    showDeveloperTools: "never",
    // Download is local (the browser saves the document it already has): handy for generating clients.
    documentDownloadType: "json",
    defaultHttpClient: { targetKey: "shell", clientKey: "curl" },
    darkMode: false,
    persistAuth: false,
    defaultOpenFirstTag: true,
    orderSchemaPropertiesBy: "preserve",
  };
}

// The dashboard's palette (Tailwind zinc) and fonts, light and dark.
const THEME_CSS = `
:root {
  --scalar-font: ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  --scalar-font-code: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
  --scalar-radius: 6px;
  --scalar-radius-lg: 8px;
  --scalar-radius-xl: 12px;
  --scalar-custom-header-height: 48px;
}
.light-mode {
  --scalar-background-1: #ffffff;
  --scalar-background-2: #fafafa;
  --scalar-background-3: #f4f4f5;
  --scalar-background-accent: #f4f4f5;
  --scalar-color-1: #18181b;
  --scalar-color-2: #52525b;
  --scalar-color-3: #71717a;
  --scalar-color-accent: #18181b;
  --scalar-border-color: #e4e4e7;
}
.dark-mode {
  --scalar-background-1: #09090b;
  --scalar-background-2: #18181b;
  --scalar-background-3: #27272a;
  --scalar-background-accent: #27272a;
  --scalar-color-1: #fafafa;
  --scalar-color-2: #a1a1aa;
  --scalar-color-3: #71717a;
  --scalar-color-accent: #fafafa;
  --scalar-border-color: #27272a;
}
.light-mode .t-doc__sidebar, .dark-mode .t-doc__sidebar {
  --scalar-sidebar-background-1: var(--scalar-background-2);
  --scalar-sidebar-item-active-background: var(--scalar-background-3);
  --scalar-sidebar-color-active: var(--scalar-color-1);
  --scalar-sidebar-search-background: var(--scalar-background-1);
  --scalar-sidebar-search-border-color: var(--scalar-border-color);
}
`;

const PAGE_CSS = `
html, body { margin: 0; }
body { font-family: ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; background: #fff; }
.cs-bar {
  position: sticky; top: 0; z-index: 30; box-sizing: border-box; height: 48px;
  display: flex; align-items: center; gap: 12px; padding: 0 16px;
  background: #fff; border-bottom: 1px solid #e4e4e7; color: #18181b; font-size: 14px;
}
.cs-brand { display: flex; align-items: center; gap: 8px; color: inherit; text-decoration: none; font-weight: 600; letter-spacing: -0.01em; }
.cs-mark { display: flex; width: 28px; height: 28px; align-items: center; justify-content: center; border-radius: 8px; background: #18181b; color: #fff; }
.cs-title { color: #71717a; }
.cs-links { margin-left: auto; display: flex; gap: 4px; }
.cs-links a { padding: 6px 10px; border-radius: 6px; color: #52525b; text-decoration: none; font-weight: 500; white-space: nowrap; }
.cs-links a:hover { background: #f4f4f5; color: #18181b; }
.dark-mode .cs-bar { background: #09090b; border-color: #27272a; color: #fafafa; }
.dark-mode .cs-mark { background: #fafafa; color: #09090b; }
.dark-mode .cs-links a { color: #a1a1aa; }
.dark-mode .cs-links a:hover { background: #27272a; color: #fafafa; }
.dark-mode { background: #09090b; }
@media (max-width: 640px) { .cs-hide-narrow { display: none; } }
@media (max-width: 360px) { .cs-title { display: none; } }
`;

const LOGO_MARK =
  '<svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false"><path d="M12 3 4 6v6c0 4.5 3.4 8.3 8 9 4.6-.7 8-4.5 8-9V6l-8-3Z"/><path d="m8.5 12 2.5 2.5 4.5-5"/></svg>';

const FAVICON = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#18181b"/><g transform="translate(4 4)" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M12 3 4 6v6c0 4.5 3.4 8.3 8 9 4.6-.7 8-4.5 8-9V6l-8-3Z"/><path d="m8.5 12 2.5 2.5 4.5-5"/></g></svg>',
)}`;

/** JSON that is safe inside a <script> element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");

// The mount point must not be `#api-reference`: the bundle mounts an unconfigured instance on that id by itself.
// Both scripts carry the response's CSP nonce (lib/http/security-headers.ts); what the bundle loads runs by 'strict-dynamic'.
export function referencePage(bundleUrl: string, nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="theme-color" content="#ffffff">
<title>API reference · Countersign</title>
<link rel="icon" href="${FAVICON}">
<meta name="description" content="The Countersign HTTP API: agents, executors, reviewers and administrators.">
<style>${PAGE_CSS}</style>
</head>
<body>
<header class="cs-bar">
  <a class="cs-brand" href="/"><span class="cs-mark">${LOGO_MARK}</span>Countersign</a>
  <span class="cs-title">API reference</span>
  <nav class="cs-links" aria-label="Links">
    <a href="${OPENAPI_URL}" class="cs-hide-narrow">OpenAPI document</a>
    <a href="/">Dashboard</a>
  </nav>
</header>
<div id="reference"></div>
<script nonce="${nonce}" src="${bundleUrl}"></script>
<script nonce="${nonce}">Scalar.createApiReference("#reference", ${scriptJson(scalarConfiguration())});</script>
</body>
</html>
`;
}
