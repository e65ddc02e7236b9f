// `pg-thread-store/memory`: the in-memory store — every tenant's threads in process memory, with
// exactly the contract of the PostgreSQL store (one contract suite runs against both). A
// ThreadStoreService: hand its `forTenant` stores to LiveThread, ThreadManager, import and export.
export { InMemoryThreadStoreService, type InMemoryThreadStoreOptions, type MemoryTenantUsage } from '../store/memory/InMemoryThreadStore.js';
export type { MemoryQuota } from '../store/memory/tenantState.js';
