// Runs the ThreadStore contract against the PostgreSQL store (the server from DATABASE_URL or
// testcontainers, else the embedded PGlite), as the non-owner application role.
import { defineThreadStoreContract } from './contractSuite.js';
import { createTestDatabase } from '../helpers/database.js';
import { setTenantQuota } from '../../src/admin/tenants.js';

defineThreadStoreContract('postgres', async () => {
  const db = await createTestDatabase();
  const service = await db.openStore();
  return {
    service,
    setQuota: async (tenantId, quota) => {
      await setTenantQuota(service.database, tenantId, quota);
    },
    cleanup: async () => {
      await service.close();
      await db.drop();
    },
  };
});
