/**
 * A SoftHSM2 token for tests: a config whose token directory is a fresh temp dir (SOFTHSM2_CONF),
 * a token initialised with `softhsm2-util`, and an AES-256 key (sensitive, not extractable)
 * generated inside it through pkcs11js in a child process (this process's module stays the
 * gateway's to initialise). Under CI=true the binding and softhsm2 must be present (.ci/run
 * installs them); elsewhere a test without them is skipped with the reason.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

function missing(): string | undefined {
  try {
    createRequire(import.meta.url)('pkcs11js');
  } catch {
    return 'the optional dependency pkcs11js is not installed';
  }
  if (!existsSync(SOFTHSM_MODULE)) return `${SOFTHSM_MODULE} is absent (apt-get install softhsm2)`;
  try {
    execFileSync('softhsm2-util', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'softhsm2-util is not on PATH (apt-get install softhsm2)';
  }
  return undefined;
}

const reason = missing();
/** false, or why the HSM tests cannot run here; under CI=true a missing part fails the test instead. */
export const skipWithoutSoftHsm: string | false = reason && process.env.CI !== 'true' ? reason : false;

export interface TestToken {
  readonly conf: string;
  readonly tokenLabel: string;
  readonly pin: string;
  readonly keyLabel: string;
}

/** Initialises a token in a temp dir and points this process (and its children, by env) at it. */
export function createSoftHsmToken(): TestToken {
  if (reason) throw new Error(`SoftHSM2 tests cannot run: ${reason}`);
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-softhsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = conf;
  const token: TestToken = { conf, tokenLabel: 'portcullis-test', pin: `pin-${randomBytes(6).toString('hex')}`, keyLabel: 'vault-kek' };
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', token.tokenLabel, '--pin', token.pin, '--so-pin', `so-${token.pin}`], { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: 'pipe' });
  generateAesKey(token, token.keyLabel);
  return token;
}

/** C_GenerateKey of an AES-256 token key: sensitive, not extractable, encrypt and decrypt only. */
export function generateAesKey(token: TestToken, label: string, options: { extractable?: boolean } = {}): void {
  const script = `
    const p = require('pkcs11js'); const m = new p.PKCS11(); m.load(${JSON.stringify(SOFTHSM_MODULE)}); m.C_Initialize();
    const slot = m.C_GetSlotList(true).find((s) => m.C_GetTokenInfo(s).label.trim() === ${JSON.stringify(token.tokenLabel)});
    const s = m.C_OpenSession(slot, p.CKF_SERIAL_SESSION | p.CKF_RW_SESSION); m.C_Login(s, p.CKU_USER, process.env.TEST_PIN);
    m.C_GenerateKey(s, { mechanism: p.CKM_AES_KEY_GEN }, [
      { type: p.CKA_CLASS, value: p.CKO_SECRET_KEY }, { type: p.CKA_KEY_TYPE, value: p.CKK_AES }, { type: p.CKA_TOKEN, value: true },
      { type: p.CKA_LABEL, value: ${JSON.stringify(label)} }, { type: p.CKA_VALUE_LEN, value: 32 }, { type: p.CKA_ENCRYPT, value: true }, { type: p.CKA_DECRYPT, value: true },
      { type: p.CKA_SENSITIVE, value: true }, { type: p.CKA_EXTRACTABLE, value: ${options.extractable ? 'true' : 'false'} }, { type: p.CKA_PRIVATE, value: true },
    ]);
    m.C_Logout(s); m.C_CloseSession(s); m.C_Finalize();`;
  execFileSync(process.execPath, ['-e', script], { cwd: process.cwd(), env: { ...process.env, SOFTHSM2_CONF: token.conf, TEST_PIN: token.pin }, stdio: 'pipe' });
}
