/**
 * Binding a server to its address, with failures an operator can act on: a port in use, a port
 * that needs privileges, an address that is not on this machine. Every listener the gateway or
 * the demo opens goes through here, so no command ever prints a raw stack trace for them.
 */
import type { AddressInfo, Server } from 'node:net';

/** A start-up problem to tell the operator plainly, in one line (no stack trace). */
export class StartupError extends Error {}

const REASONS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use (another process listens there; pick another port or stop it)',
  EACCES: 'permission denied (ports below 1024 need privileges; pick a port above 1023)',
  EADDRNOTAVAIL: 'the address is not one of this machine\'s (check the host option)',
  ENOTFOUND: 'the host name does not resolve (check the host option)',
  EAI_AGAIN: 'the host name could not be resolved now (check the host option and DNS)',
};

/**
 * Listens on host:port; resolves once bound. Rejects with a StartupError that names what could not
 * listen (`what`, e.g. `listener "public"`), the address and the reason, for any listen error.
 */
export function listenOn(server: Server, host: string, port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      const reason = (error.code && REASONS[error.code]) ?? error.message;
      reject(new StartupError(`${what} cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port}: ${reason}${error.code && REASONS[error.code] ? ` [${error.code}]` : ''}`, { cause: error }));
    };
    server.once('error', failed);
    try {
      server.listen(port, host, () => {
        server.off('error', failed);
        resolve();
      });
    } catch (error) {
      // Synchronous refusals (a port out of range, say) arrive here instead of as an event.
      server.off('error', failed);
      failed(error as NodeJS.ErrnoException);
    }
  });
}

export interface BoundListener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly url: string;
}

/** A listening server's address, and a URL to reach it (a wildcard address is reached on loopback). */
export function toBound(name: string, server: Server, scheme: 'http' | 'https' = 'http'): BoundListener {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const urlHost = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '[::1]' : host;
  return { name, host: address.address, port: address.port, url: `${scheme}://${urlHost}:${address.port}` };
}
