// jest globalSetup: build dist/ once, before any test worker starts. The e2e tests that run the real
// bin (kubectl's exec plugin, the tmux wizard, the headless demo) then test the current source, and
// no test rebuilds dist/ while another one is running it.
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function build() {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
  // As `npm run build`: dist/bin.js is executable, so a checkout works as an exec plugin command.
  chmodSync(join(root, 'dist', 'bin.js'), 0o755);
}
