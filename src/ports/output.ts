/**
 * Everything the tool prints goes through here: human messages on stderr, data (kubeconfigs, JSON,
 * diffs of --dry-run) on stdout, every line passed through `redact` so no secret can slip out.
 * Colors honor NO_COLOR, FORCE_COLOR and whether the stream is a terminal.
 */
import { Chalk, type ChalkInstance, supportsColorStderr } from 'chalk';
import { redact } from '../redact.js';
import type { Io, WritableLike } from './io.js';

export interface OutputOptions {
  verbose?: boolean;
  quiet?: boolean;
}

export function colorLevel(env: NodeJS.ProcessEnv, stream: WritableLike): 0 | 1 | 2 | 3 {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (env.FORCE_COLOR !== undefined) {
    const n = env.FORCE_COLOR === '' || env.FORCE_COLOR === 'true' ? 1 : Number.parseInt(env.FORCE_COLOR, 10);
    return (Number.isNaN(n) ? 0 : Math.max(0, Math.min(3, n))) as 0 | 1 | 2 | 3;
  }
  if (!stream.isTTY || env.TERM === 'dumb') return 0;
  return (supportsColorStderr ? supportsColorStderr.level : 1) as 0 | 1 | 2 | 3;
}

export class Output {
  readonly c: ChalkInstance;
  readonly verboseEnabled: boolean;
  private readonly quiet: boolean;

  constructor(private readonly io: Pick<Io, 'stdout' | 'stderr' | 'env'>, options: OutputOptions = {}) {
    this.c = new Chalk({ level: colorLevel(io.env, io.stderr) });
    this.verboseEnabled = options.verbose ?? false;
    this.quiet = options.quiet ?? false;
  }

  private line(text: string): void {
    this.io.stderr.write(`${redact(text)}\n`);
  }

  info(text: string): void {
    if (!this.quiet) this.line(text);
  }

  step(text: string): void {
    if (!this.quiet) this.line(`${this.c.green('✔')} ${text}`);
  }

  warn(text: string): void {
    this.line(`${this.c.yellow('!')} ${this.c.yellow(text)}`);
  }

  verbose(text: string): void {
    if (this.verboseEnabled) this.line(this.c.dim(text));
  }

  error(message: string, hint?: string): void {
    this.line(`${this.c.red('error:')} ${message}`);
    if (hint) this.line(`  ${hint}`);
  }

  /** Machine-readable output (stdout). Redacted too, except where the caller asked for secrets. */
  data(text: string, options: { raw?: boolean } = {}): void {
    const t = text.endsWith('\n') ? text : `${text}\n`;
    this.io.stdout.write(options.raw ? t : redact(t));
  }
}
