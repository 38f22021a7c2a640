/** The admin users of the admin plane (user-service.ts) as the accounts sign-in works with. */
import type { AdminPlane } from '../admin-plane.js';
import type { AdminAccount, AdminAccounts } from './accounts.js';
import type { AdminUser } from '../../store/admin-users.js';

export function planeAccounts(plane: AdminPlane): AdminAccounts {
  const toAccount = async (user: AdminUser): Promise<AdminAccount> => ({
    id: user.id,
    name: user.name,
    status: user.status,
    roles: user.roles,
    permissions: await plane.users.permissionsOfUser(user),
    createdAt: user.createdAt,
  });
  return {
    async verifyPassword(name, password) {
      const user = await plane.users.verifyPassword(name, password);
      return user ? toAccount(user) : undefined;
    },
    async find(id) {
      const user = await plane.users.users.findById(id);
      return user ? toAccount(user) : undefined;
    },
  };
}
