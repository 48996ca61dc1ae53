/**
 * The demo environment: a Casdoor-like OpenID provider and an API server that trusts it, both on
 * 127.0.0.1 behind one throwaway CA. The `demo` command and most end-to-end tests start this.
 * Load it with a dynamic `import()`: the tool's normal start-up path never needs it.
 */
import { startApiServer, type ApiServer, type ApiServerOptions } from './apiserver.js';
import { makeTlsMaterial, type TlsMaterial } from './certs.js';
import { startCasdoorProvider, type CasdoorProvider, type CasdoorProviderOptions } from './provider.js';

export * from './apiserver.js';
export * from './browser.js';
export * from './certs.js';
export * from './provider.js';
export * from './users.js';

export interface DemoEnvironmentOptions {
  provider?: Omit<CasdoorProviderOptions, 'tls'>;
  apiserver?: Omit<ApiServerOptions, 'tls' | 'issuer' | 'clientId' | 'issuerCaPem'>;
}

export interface DemoEnvironment {
  provider: CasdoorProvider;
  apiserver: ApiServer;
  tls: TlsMaterial;
  /** The one CA both servers' certificates chain to. */
  caFile: string;
  caPem: string;
  /** Stops both servers and deletes the TLS material. */
  close(): Promise<void>;
}

export async function startDemoEnvironment(options: DemoEnvironmentOptions = {}): Promise<DemoEnvironment> {
  const tls = await makeTlsMaterial();
  let provider: CasdoorProvider | undefined;
  try {
    provider = await startCasdoorProvider({ ...options.provider, tls });
    const apiserver = await startApiServer({
      ...options.apiserver,
      issuer: provider.issuer,
      clientId: provider.clientId,
      issuerCaPem: tls.caPem,
      // An overridden issuer may name a host that does not exist here: fetch discovery where the provider is.
      ...(provider.issuer.replace(/\/$/, '') === provider.url ? {} : { discoveryUrl: provider.url }),
      tls,
    });
    const started = provider;
    return {
      provider: started,
      apiserver,
      tls,
      caFile: tls.caFile,
      caPem: tls.caPem,
      close: async () => {
        await Promise.all([apiserver.close(), started.close()]);
        await tls.remove();
      },
    };
  } catch (err) {
    await provider?.close();
    await tls.remove();
    throw err;
  }
}
