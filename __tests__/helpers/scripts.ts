/**
 * Small executables the end-to-end tests hand to kubectl and to the tool: a wrapper that runs the built
 * CLI under this Node.js (what an installed `casdoor-kubeconfig` is to kubectl's exec entries), and a
 * scripted browser that completes a Casdoor sign-in (src/demo/browser.ts) for `--browser-command`/BROWSER.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DIST_BIN } from './cli.js';

/** `<dir>/<name>`: a shell script running dist/bin.js with this Node.js. */
export async function writeBinWrapper(dir: string, name = 'casdoor-kubeconfig'): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, `#!/bin/sh\nexec '${process.execPath}' '${DIST_BIN}' "$@"\n`, { mode: 0o755 });
  return file;
}

/**
 * `<dir>/<name>`: a browser that signs in at the URL it is given, trusting `caFile`; with `visitedFile`,
 * it also appends every URL it was given there.
 */
export async function writeScriptedBrowser(dir: string, caFile: string, options: { visitedFile?: string; name?: string } = {}): Promise<string> {
  const file = path.join(dir, options.name ?? 'browser.mjs');
  const lines = [
    `#!${process.execPath}`,
    `import { appendFileSync, readFileSync } from 'node:fs';`,
    `import { visit } from ${JSON.stringify(path.join(path.dirname(DIST_BIN), 'demo', 'browser.js'))};`,
    ...(options.visitedFile ? [`appendFileSync(${JSON.stringify(options.visitedFile)}, process.argv[2] + '\\n');`] : []),
    `await visit(process.argv[2], { ca: readFileSync(${JSON.stringify(caFile)}, 'utf8') });`,
    '',
  ];
  await fs.writeFile(file, lines.join('\n'), { mode: 0o755 });
  return file;
}
