/** The README.md written into every export bundle: enough to verify it without Portcullis. */
export const BUNDLE_README = `# Portcullis audit trail export

Files:
- manifest.json: what was exported (time range asked for, seq range held, when).
- records.jsonl: one audit record per line, in seq order, as RFC 8785 canonical JSON.
- checkpoints.jsonl: every signed checkpoint of the trail, in order.
- keys.json: the Ed25519 public keys (SPKI PEM) that signed them, by key id.

Verify with \`portcullis audit verify <this folder>\`, or with your own verifier:

1. For each record: hash = lowercase hex(SHA-256(UTF-8(JCS(record without "hash")))), where JCS is
   the JSON Canonicalization Scheme (RFC 8785). It must equal the record's "hash".
2. Records run seq = n, n+1, … without a gap; each record's "prevHash" is the previous record's
   "hash" (64 zeros before record 1). A bundle that does not start at record 1 starts right after a
   checkpoint: its first record's prevHash is that checkpoint's lastHash.
3. For each checkpoint: body = JCS({v, fromSeq, toSeq, lastHash, time, keyId, previousSignature});
   signature = base64url(Ed25519 signature over UTF-8(body)) with the key named by keyId (its id is
   the RFC 7638 JWK thumbprint of the public key). fromSeq is the previous checkpoint's toSeq + 1
   (1 for the first); previousSignature is the previous checkpoint's signature ("" for the first).
4. A checkpoint's lastHash must equal the hash of record toSeq. Records after the last checkpoint
   are not yet anchored: consistent, but not proven.

Check the public keys against those your gateway's operator published (portcullis audit keys),
not only against keys.json: whoever could rewrite the bundle could rewrite keys.json too.
Full description: docs/audit.md in the Portcullis repository.
`;
