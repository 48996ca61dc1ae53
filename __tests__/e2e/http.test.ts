/**
 * The HTTP client's edges against real local servers: extra CA, response-size cap, timeouts,
 * HTTPS_PROXY / NO_PROXY through a real CONNECT proxy, and the errors each maps to (exit 5).
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeTlsMaterial, type TlsMaterial } from '../../src/demo/certs.js';
import type { CliError } from '../../src/errors.js';
import { createHttpClient } from '../../src/oidc/http.js';
import { rejected } from '../helpers/errors.js';

let tls: TlsMaterial;
let server: HttpsServer;
let origin: string;
let proxy: HttpServer;
let proxyUrl: string;
const tunnels: string[] = [];

beforeAll(async () => {
  tls = await makeTlsMaterial();
  server = createHttpsServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('x'.repeat(2 * 1024 * 1024));
    } else if (req.url === '/slow') {
      // never answers: the client's timeout must fire
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A real CONNECT proxy that records which hosts it tunnels to.
  proxy = createHttpServer();
  proxy.on('connect', (req, client, head) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  proxy?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await new Promise((r) => proxy?.close(r));
  await tls?.remove();
});

const failure = (p: Promise<unknown>): Promise<CliError> => rejected(p, 'expected a failure');

describe('HTTP client', () => {
  it('trusts the extra CA and answers', async () => {
    const http = createHttpClient({ env: {}, caPem: tls.caPem });
    try {
      const res = await http.get(`${origin}/ok`, 'test document');
      expect(res).toMatchObject({ status: 200, text: '{"ok":true}' });
    } finally {
      await http.close();
    }
  });

  it('without the CA: a TLS error that names --casdoor-ca (exit 5)', async () => {
    const http = createHttpClient({ env: {} });
    const err = await failure(http.get(`${origin}/ok`, 'test document'));
    await http.close();
    expect(err.code).toBe('network');
    expect(err.message).toMatch(/not trusted/);
    expect(err.hint).toMatch(/--casdoor-ca/);
  });

  it('caps the response size', async () => {
    const http = createHttpClient({ env: {}, caPem: tls.caPem, maxResponseBytes: 64 * 1024 });
    const err = await failure(http.get(`${origin}/big`, 'discovery document'));
    await http.close();
    expect(err.code).toBe('network');
    expect(err.message).toMatch(/larger than 65536 bytes/);
  });

  it('gives up after the timeout', async () => {
    const http = createHttpClient({ env: {}, caPem: tls.caPem, timeoutMs: 300 });
    const started = Date.now();
    const err = await failure(http.get(`${origin}/slow`, 'discovery document'));
    await http.close();
    expect(err.code).toBe('network');
    expect(err.message).toMatch(/No answer from 127\.0\.0\.1:\d+ within/);
    expect(Date.now() - started).toBeLessThan(20_000); // generous: it must not hang, not be fast
  });

  it('goes through HTTPS_PROXY, and around it for NO_PROXY hosts', async () => {
    tunnels.length = 0;
    const viaProxy = createHttpClient({ env: { HTTPS_PROXY: proxyUrl }, caPem: tls.caPem });
    expect((await viaProxy.get(`${origin}/ok`, 'test document')).status).toBe(200);
    await viaProxy.close();
    expect(tunnels).toEqual([new URL(origin).host]);

    const bypass = createHttpClient({ env: { https_proxy: proxyUrl, NO_PROXY: '127.0.0.1' }, caPem: tls.caPem });
    expect((await bypass.get(`${origin}/ok`, 'test document')).status).toBe(200);
    await bypass.close();
    expect(tunnels).toHaveLength(1);
  });

  it('traces requests with form secrets redacted', async () => {
    const lines: string[] = [];
    const http = createHttpClient({ env: {}, caPem: tls.caPem, trace: (l) => lines.push(l) });
    await http.postForm(`${origin}/ok`, { grant_type: 'password', username: 'alice', password: 'hunter2-secret', client_secret: 's3cr3t-value' }, 'password grant');
    await http.close();
    const all = lines.join('\n');
    expect(all).toMatch(/grant_type=password&username=alice&password=<redacted>&client_secret=<redacted>/);
    expect(all).not.toMatch(/hunter2-secret|s3cr3t-value/);
  });
});
