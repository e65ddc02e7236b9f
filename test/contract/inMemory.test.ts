// Runs the ThreadStore contract against the in-memory store.
import { InMemoryThreadStoreService } from '../../src/store/memory/InMemoryThreadStore.js';
import { defineThreadStoreContract } from './contractSuite.js';

defineThreadStoreContract('in-memory', async () => {
  const service = new InMemoryThreadStoreService();
  return {
    service,
    setQuota: async (tenantId, quota) => {
      service.setTenantQuota(tenantId, quota);
    },
    cleanup: () => service.close(),
  };
});
