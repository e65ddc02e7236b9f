// The contract suite's view of a store under test: a factory gives a service that hands out
// tenant-scoped ThreadStores, and every test asks for a store of a fresh tenant so tests never see
// each other's threads.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { ThreadStore } from '../../src/store/ThreadStore.js';

export interface ContractService {
  forTenant(tenantId: string): ThreadStore;
}

export interface TenantQuotaPatch {
  maxThreads: number | null;
  maxItemBytes: number | null;
}

export interface ContractHarness {
  service: ContractService;
  /** Set a tenant's quotas the way an operator does on this store. */
  setQuota?(tenantId: string, quota: TenantQuotaPatch): Promise<void>;
  cleanup(): Promise<void>;
}

export type ThreadStoreFactory = () => Promise<ContractHarness>;

export interface ContractContext {
  /** The service under test (available inside tests). */
  readonly service: ContractService;
  /** A store for a brand-new tenant. */
  store(): ThreadStore;
  /** A fresh tenant id and its store. */
  tenant(): { tenantId: string; store: ThreadStore };
  /** Set a tenant's quotas (when the store under test has them). */
  readonly setQuota: ((tenantId: string, quota: TenantQuotaPatch) => Promise<void>) | undefined;
}

/** Registers beforeAll/afterAll in the calling describe block. */
export function useHarness(factory: ThreadStoreFactory): ContractContext {
  let harness: ContractHarness | undefined;
  beforeAll(async () => {
    harness = await factory();
  });
  afterAll(async () => {
    await harness?.cleanup();
  });
  const service = (): ContractService => {
    if (!harness) throw new Error('contract harness not started');
    return harness.service;
  };
  return {
    get service() {
      return service();
    },
    get setQuota() {
      const set = harness?.setQuota;
      return set ? (tenantId: string, quota: TenantQuotaPatch) => set(tenantId, quota) : undefined;
    },
    store: () => service().forTenant(randomUUID()),
    tenant: () => {
      const tenantId = randomUUID();
      return { tenantId, store: service().forTenant(tenantId) };
    },
  };
}
