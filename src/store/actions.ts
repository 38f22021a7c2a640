/**
 * The stable names of what a unit of work does (`store.write(actor, action, …)`), recorded in every
 * change row and logged as `store.changed`. Names are `<entity>.<verb>`; they are data once written
 * (change rows, later audit records), so a name is never renamed or reused: add a new one.
 */
export const STORE_ACTIONS = [
  'consumer.create',
  'consumer.disable',
  'consumer.enable',
  'api_key.create',
  'api_key.rotate',
  'api_key.revoke',
  'api_key.record_last_used',
  'oauth_client.create',
  'oauth_client.rotate_secret',
  'oauth_client.revoke',
  'signing_key.rotate',
  'oauth_token.revoke',
  'rate_limit_override.set',
  'rate_limit_override.delete',
  'certificate.issue',
  'certificate.revoke',
  'certificate.import',
  'crl.sign',
  'admin_user.invite',
  'admin_user.accept_invitation',
  'admin_user.disable',
  'admin_user.enable',
  'admin_user.delete',
  'admin_user.set_roles',
  'admin_user.reset_password',
  'admin_user.complete_password_reset',
  'admin_user.change_password',
  'admin_role.create',
  'admin_role.update',
  'admin_role.delete',
  'admin_token.create',
  'admin_token.rotate',
  'admin_token.revoke',
  'admin_token.record_last_used',
  'admin.break_glass',
  // The audit trail's own housekeeping and reads that must be on record (docs/audit.md).
  'audit.checkpoint',
  'audit.export',
  // The vault (src/vault/, docs/vault.md).
  'secret.set',
  'secret.promote',
  'secret.delete',
  'secret.revealed',
  'secret.rewrap',
] as const;

export type StoreAction = (typeof STORE_ACTIONS)[number];
