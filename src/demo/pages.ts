/**
 * The page frame of the few HTML pages a person sees when they use the demo provider from a real
 * browser (the authorize and device pages stand in for Casdoor's React app). Plain and self-contained:
 * no web fonts, the demo runs without network.
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
