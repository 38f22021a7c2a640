/**
 * The part of the `pkcs11js` binding that pkcs11-kek.ts uses, typed here rather than imported:
 * the binding is an optional dependency that compiles at install, and where it did not (no
 * compiler on the machine) the project must still build; only `source: pkcs11` then fails, with
 * its own error. Names and shapes follow pkcs11js 2.1 (PKCS#11 v2.40 functions and constants).
 */
export interface Pkcs11Attribute {
  readonly type: number;
  readonly value?: number | boolean | string | Buffer;
}

export interface Pkcs11GcmParams {
  readonly type: number;
  readonly iv: Buffer;
  readonly ivBits: number;
  readonly aad: Buffer;
  readonly tagBits: number;
}

export interface Pkcs11Mechanism {
  readonly mechanism: number;
  readonly parameter?: Pkcs11GcmParams;
}

export interface Pkcs11TokenInfo {
  readonly label: string;
  readonly serialNumber: string;
}

/** One loaded PKCS#11 library (`new PKCS11()`, then `load(path)`). */
export interface Pkcs11Api {
  load(path: string): void;
  C_Initialize(): void;
  C_Finalize(): void;
  C_GetSlotList(tokenPresent?: boolean): Buffer[];
  C_GetTokenInfo(slot: Buffer): Pkcs11TokenInfo;
  C_OpenSession(slot: Buffer, flags: number): Buffer;
  C_CloseSession(session: Buffer): void;
  C_Login(session: Buffer, userType: number, pin?: string): void;
  C_Logout(session: Buffer): void;
  C_FindObjectsInit(session: Buffer, template: Pkcs11Attribute[]): void;
  C_FindObjects(session: Buffer, maxObjectCount: number): Buffer[];
  C_FindObjectsFinal(session: Buffer): void;
  C_GetAttributeValue(session: Buffer, object: Buffer, template: Pkcs11Attribute[]): Pkcs11Attribute[];
  C_EncryptInit(session: Buffer, mechanism: Pkcs11Mechanism, key: Buffer): void;
  C_Encrypt(session: Buffer, data: Buffer, out: Buffer): Buffer;
  C_DecryptInit(session: Buffer, mechanism: Pkcs11Mechanism, key: Buffer): void;
  C_Decrypt(session: Buffer, data: Buffer, out: Buffer): Buffer;
}

/** The module `require('pkcs11js')` returns: the class and the constants used. */
export interface Pkcs11Binding {
  readonly PKCS11: new () => Pkcs11Api;
  readonly CKA_CLASS: number;
  readonly CKA_EXTRACTABLE: number;
  readonly CKA_KEY_TYPE: number;
  readonly CKA_LABEL: number;
  readonly CKA_SENSITIVE: number;
  readonly CKA_VALUE_LEN: number;
  readonly CKF_RW_SESSION: number;
  readonly CKF_SERIAL_SESSION: number;
  readonly CKK_AES: number;
  readonly CKM_AES_GCM: number;
  readonly CKO_SECRET_KEY: number;
  readonly CKU_USER: number;
  readonly CK_PARAMS_AES_GCM: number;
}
