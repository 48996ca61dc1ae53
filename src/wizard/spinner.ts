/**
 * A tiny spinner on stderr while the wizard waits for Casdoor or the API server. Drawn only on a
 * terminal; elsewhere (CI logs, the headless demo) the step's result line is enough.
 */
import type { WritableLike } from '../ports/io.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const INTERVAL_MS = 80;
const CLEAR_LINE = '\r\x1b[2K';

export type Spin = <T>(text: string, work: () => Promise<T>) => Promise<T>;

/** `color` paints the frame (the Output's chalk, so NO_COLOR is honored). */
export function spinnerOn(stream: WritableLike | undefined, color: (s: string) => string = (s) => s): Spin {
  if (!stream?.isTTY) return (_text, work) => work();
  return async (text, work) => {
    let i = 0;
    const draw = (): void => {
      stream.write(`${CLEAR_LINE}${color(FRAMES[i % FRAMES.length] ?? '-')} ${text}`);
      i++;
    };
    draw();
    const timer = setInterval(draw, INTERVAL_MS);
    try {
      return await work();
    } finally {
      clearInterval(timer);
      stream.write(CLEAR_LINE);
    }
  };
}
