/**
 * The few HTML pages a person sees when they use the demo provider from a real browser. Plain and
 * self-contained (no web fonts: the demo runs without network). Replacing oidc-provider's defaults
 * also keeps it from printing "you MUST change this" warnings.
 */

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:26em;margin:3em auto;line-height:1.4}input,button{font-size:1em;margin:.2em 0;padding:.3em;width:100%;box-sizing:border-box}.error{color:#b00020}</style>
</head>
<body><h1>${escapeHtml(title)}</h1>
${body}
<p><small>casdoor-kubeconfig demo provider: a local stand-in for Casdoor.</small></p>
</body>
</html>`;
}

export function loginPage(action: string, clientId: string, error?: string): string {
  return page(
    'Sign in',
    `<p>Application <code>${escapeHtml(clientId)}</code> asks you to sign in.</p>
${error === undefined ? '' : `<p class="error">${escapeHtml(error)}</p>`}
<form method="post" action="${escapeHtml(action)}">
<input name="username" placeholder="username" autofocus autocomplete="username">
<input name="password" type="password" placeholder="password" autocomplete="current-password">
<button type="submit">Sign in</button>
</form>`,
  );
}
