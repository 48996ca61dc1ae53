import { it } from '@jest/globals';
import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
it('leaks', async () => {
  setTimeout(() => undefined, 5000);
  const s = createServer((_q, r) => r.end('x'));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  spawn('sleep', ['3']);
});
