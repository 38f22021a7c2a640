/**
 * TLS for wrk, which speaks only plain HTTP and cannot present a client certificate: Debian's
 * stunnel4 in client mode, on the load core, accepts plain HTTP on a local port and opens one TLS
 * connection to the gateway per client connection (keep-alive stays keep-alive), verifying the
 * gateway's certificate against the bench CA and presenting the client certificate for mTLS.
 * The rows measured through it get a reference measured through it too (a TLS listener without
 * client certificates), so stunnel's share of the load core hits both sides of the ratio alike.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pinnedCommand } from './cpu.js';
import { track } from './processes.js';

export interface TunnelService {
  name: string;
  /** Local plain-HTTP port wrk connects to. */
  acceptPort: number;
  /** The gateway's TLS port. */
  connectPort: number;
  /** Present this certificate (mTLS). */
  client?: { certFile: string; keyFile: string };
}

/** The stunnel binary (stunnel4 on Debian), or undefined when neither is installed. */
export function stunnelBinary(): string | undefined {
  return ['stunnel4', 'stunnel'].find((name) => spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0);
}

/** Starts one stunnel process (pinned to the load core) with `services`, verifying the server against `caFile`. */
export function startStunnel(dir: string, caFile: string, services: TunnelService[]): ChildProcess {
  const binary = stunnelBinary();
  if (!binary) throw new Error('stunnel is not installed (apt-get install stunnel4)');
  const lines = ['foreground = yes', 'pid =', 'debug = 3', `output = ${join(dir, 'stunnel.log')}`];
  for (const service of services) {
    lines.push(`[${service.name}]`, 'client = yes', `accept = 127.0.0.1:${service.acceptPort}`, `connect = 127.0.0.1:${service.connectPort}`);
    lines.push(`CAfile = ${caFile}`, 'verifyChain = yes', 'checkIP = 127.0.0.1', 'delay = no');
    if (service.client) lines.push(`cert = ${service.client.certFile}`, `key = ${service.client.keyFile}`);
  }
  const file = join(dir, 'stunnel.conf');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const [command, args] = pinnedCommand('load', binary, [file]);
  return track(spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] }));
}
