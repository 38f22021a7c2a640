/**
 * The JSON forms of WebAuthn ceremonies on the admin API (W3C WebAuthn Level 3 §5.1.8–§5.1.10,
 * what PublicKeyCredential.toJSON() and parseCreationOptionsFromJSON/parseRequestOptionsFromJSON
 * exchange): binary fields are base64url strings. Shapes only; the library checks the content.
 */
import { Type } from '@sinclair/typebox';

const B64 = (maxLength: number) => Type.String({ pattern: '^[A-Za-z0-9_-]*$', maxLength });
const ClientExtensionResults = Type.Record(Type.String(), Type.Unknown(), { description: 'getClientExtensionResults(); unused here.' });
const Attachment = Type.Optional(Type.Union([Type.Literal('platform'), Type.Literal('cross-platform'), Type.Null()]));

/** RegistrationResponseJSON (§5.1.8): the new credential, from navigator.credentials.create(). */
export const RegistrationResponse = Type.Object(
  {
    id: B64(1366),
    rawId: B64(1366),
    type: Type.Literal('public-key'),
    authenticatorAttachment: Attachment,
    clientExtensionResults: ClientExtensionResults,
    response: Type.Object(
      {
        clientDataJSON: B64(8192),
        attestationObject: B64(65536),
        authenticatorData: Type.Optional(B64(65536)),
        transports: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 16 })),
        publicKeyAlgorithm: Type.Optional(Type.Integer()),
        publicKey: Type.Optional(B64(8192)),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, description: 'PublicKeyCredential.toJSON() of navigator.credentials.create().' },
);

/** AuthenticationResponseJSON (§5.1.9): an assertion, from navigator.credentials.get(). */
export const AuthenticationResponse = Type.Object(
  {
    id: B64(1366),
    rawId: B64(1366),
    type: Type.Literal('public-key'),
    authenticatorAttachment: Attachment,
    clientExtensionResults: ClientExtensionResults,
    response: Type.Object(
      {
        clientDataJSON: B64(8192),
        authenticatorData: B64(65536),
        signature: B64(8192),
        userHandle: Type.Optional(Type.Union([B64(1024), Type.Null()])),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, description: 'A passkey’s assertion: PublicKeyCredential.toJSON() of navigator.credentials.get().' },
);

/** `{ publicKey }`: what to pass to navigator.credentials.create/get after PublicKeyCredential.parse…OptionsFromJSON. */
export const CeremonyOptions = Type.Object(
  { publicKey: Type.Record(Type.String(), Type.Unknown(), { description: 'PublicKeyCredentialCreationOptionsJSON or PublicKeyCredentialRequestOptionsJSON (WebAuthn §5.1.11, §5.1.12).' }) },
  { additionalProperties: false },
);
