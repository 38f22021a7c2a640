/**
 * `portcullis login`, `logout` and `mfa enrol|reset`: an admin user's own session from the command
 * line. Login asks the admin API for a bearer session token (`tokenInBody`), never a cookie, and
 * keeps it in a file only the user can read (session-file.ts); the password is read from stdin,
 * never from a flag (flags show up in process listings and shell history).
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { toString as qrText } from 'qrcode';
import { addAdminOptions, adminBase, adminCall, CliError, type AdminOptions } from './admin-client.js';
import { readSession, removeSession, sessionFilePath, writeSession } from './session-file.js';

/** The first line of stdin: piped (`--password-stdin` style), or typed at a prompt that does not echo. */
async function readPassword(): Promise<string> {
  const tty = process.stdin.isTTY === true;
  if (tty) process.stderr.write('Password: ');
  const rl = createInterface({ input: process.stdin, terminal: false });
  const line = await new Promise<string>((resolve) => {
    let answered = false;
    rl.once('line', (text) => ((answered = true), resolve(text)));
    rl.once('close', () => answered || resolve(''));
  });
  rl.close();
  if (tty) process.stderr.write('\n');
  if (line === '') throw new CliError('no password on stdin');
  return line;
}

const run = (action: () => Promise<void>) => action().catch((error: unknown) => {
  process.stderr.write(`${error instanceof CliError ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

export function registerLoginCommands(program: Command): void {
  addAdminOptions(program.command('login').description('sign in as an admin user; keeps the session in a file only you can read'))
    .requiredOption('--name <name>', 'your admin user name or email')
    .option('--code <code>', 'the current code of your authenticator app')
    .option('--recovery-code <code>', 'one of your recovery codes (single use)')
    .action((options: AdminOptions & { name: string; code?: string; recoveryCode?: string }) =>
      run(async () => {
        const password = await readPassword();
        const body = { name: options.name, password, tokenInBody: true, ...(options.code ? { code: options.code } : {}), ...(options.recoveryCode ? { recoveryCode: options.recoveryCode } : {}) };
        const session = (await adminCall(options, 'POST', '/v1/login', body)) as { token: string; expiresAt: string; mfa: boolean; enrolOnly: boolean };
        writeSession({ adminUrl: adminBase(options), token: session.token, name: options.name, expiresAt: session.expiresAt });
        process.stdout.write(`signed in as ${options.name} until ${session.expiresAt} (session in ${sessionFilePath()})\n`);
        if (session.enrolOnly) process.stdout.write('your account needs a second factor before anything else: run portcullis mfa enrol\n');
      }),
    );

  addAdminOptions(program.command('logout').description('end the session portcullis login stored')).action((options: AdminOptions) =>
    run(async () => {
      await adminCall(options, 'POST', '/v1/logout', {}).catch((error: unknown) => {
        // A session that has already ended is as good as logged out; anything else is reported.
        if (!(error instanceof CliError && /admin\.session_expired|no admin token/.test(error.message))) throw error;
      });
      removeSession();
      process.stdout.write('signed out\n');
    }),
  );

  const mfa = program.command('mfa').description('your second factor (TOTP) and MFA resets (through the admin API)');
  addAdminOptions(mfa.command('enrol').description('enrol an authenticator app: without --code shows the QR code, with --code confirms and prints recovery codes'))
    .option('--code <code>', 'the code the app shows, to confirm the enrolment')
    .action((options: AdminOptions & { code?: string }) =>
      run(async () => {
        if (options.code) {
          const { recoveryCodes, session } = (await adminCall(options, 'POST', '/v1/mfa/totp/confirm', { code: options.code })) as { recoveryCodes: string[]; session: { token?: string } };
          // Enrolling rotates the session: keep the new token where the old one was (a stored session only).
          const stored = readSession(adminBase(options));
          if (session.token !== undefined && stored && !options.token && !process.env.PORTCULLIS_ADMIN_TOKEN) writeSession({ ...stored, token: session.token });
          process.stdout.write(`enrolled. Recovery codes (each works once; keep them somewhere safe, they are not shown again):\n${recoveryCodes.map((code) => `  ${code}`).join('\n')}\n`);
          return;
        }
        const enrolment = (await adminCall(options, 'POST', '/v1/mfa/totp', {})) as { secret: string; otpauthUri: string };
        process.stdout.write(`${await qrText(enrolment.otpauthUri, { type: 'terminal', small: true })}\nor enter this secret by hand: ${enrolment.secret}\nthen run: portcullis mfa enrol --code <the code the app shows>\n`);
      }),
    );
  addAdminOptions(mfa.command('reset').description("remove another admin user's second factors and end their sessions (needs mfa:reset and a fresh factor)"))
    .argument('<userId>', 'the admin user id (adu_…)')
    .action((userId: string, options: AdminOptions) =>
      run(async () => {
        const result = (await adminCall(options, 'POST', `/v1/users/${encodeURIComponent(userId)}/mfa/reset`, {})) as { sessionsRevoked: number };
        process.stdout.write(`second factors of ${userId} removed; ${result.sessionsRevoked} session(s) ended. They enrol again at their next sign-in.\n`);
      }),
    );
}
