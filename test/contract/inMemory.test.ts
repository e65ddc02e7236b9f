// Runs the ThreadStore contract against the in-memory store.
import { InMemoryThreadStoreService } from '../../src/store/memory/InMemoryThreadStore.js';
import { defineThreadStoreContract } from './contractSuite.js';

defineThreadStoreContract('in-memory', async () => ({
  service: new InMemoryThreadStoreService(),
  cleanup: async () => {},
}));
