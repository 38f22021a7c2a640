/**
 * The admin API's route table. A route listed here is served (admin-api.ts), described in
 * /v1/openapi.json, and walked by the security test (test/admin-security.test.ts).
 */
import type { AdminRoute } from '../route.js';
import { auditRoutes } from './audit.js';
import { clientRoutes } from './clients.js';
import { consumerRoutes } from './consumers.js';
import { credentialRoutes } from './credentials.js';
import { keyRoutes } from './keys.js';
import { loginRoutes } from './login.js';
import { mfaRoutes } from './mfa.js';
import { webauthnRoutes } from './webauthn.js';
import { openApiRoute } from './openapi.js';
import { overrideRoutes } from './rate-limit-overrides.js';
import { sessionRoutes } from './sessions.js';
import { signingKeyRoutes } from './signing-keys.js';
import { adminTokenRoutes } from './admin-tokens.js';
import { roleRoutes } from './roles.js';
import { userRoutes } from './users.js';
import { whoamiRoutes } from './whoami.js';
import { secretRoutes } from './secrets.js';
import { fieldRoutes } from './fields.js';
import { inventoryRoutes } from './inventory.js';
import { alertRoutes } from './alerts.js';
import { ssoRoutes } from './sso.js';
import { assessmentRoutes } from './assessments.js';
import { certificateRoutes } from './certificates.js';
import { failingConsumerRoutes } from './failing-consumers.js';

export const ADMIN_ROUTES: readonly AdminRoute[] = Object.freeze([...consumerRoutes, ...keyRoutes, ...clientRoutes, ...signingKeyRoutes, ...overrideRoutes, ...userRoutes, ...roleRoutes, ...adminTokenRoutes, ...whoamiRoutes, ...loginRoutes, ...ssoRoutes, ...sessionRoutes, ...mfaRoutes, ...webauthnRoutes, ...auditRoutes, ...secretRoutes, ...credentialRoutes, ...fieldRoutes, ...inventoryRoutes, ...failingConsumerRoutes, ...alertRoutes, ...assessmentRoutes, ...certificateRoutes, openApiRoute]);
