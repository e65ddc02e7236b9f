// The ThreadStore contract suite, parameterized by a store factory: every store implementation
// (in-memory, PostgreSQL) must pass it unchanged. Each spec file covers one operation group;
// each test runs in a fresh tenant of the one service the factory builds.
import { describe } from 'vitest';
import type { ContractHarness, ContractService, ThreadStoreFactory } from './harness.js';
import { useHarness } from './harness.js';
import { lifecycleSpec } from './specs/lifecycle.spec.js';
import { appendSpec } from './specs/append.spec.js';
import { readSpec } from './specs/read.spec.js';
import { reconstructSpec } from './specs/reconstruct.spec.js';
import { metadataSpec } from './specs/metadata.spec.js';
import { listSpec } from './specs/list.spec.js';
import { listPaginationPropertySpec } from './specs/listPagination.property.spec.js';
import { searchSpec } from './specs/search.spec.js';
import { turnsItemsSpec } from './specs/turnsItems.spec.js';
import { archiveDeleteSpec } from './specs/archiveDelete.spec.js';
import { forkSpec } from './specs/fork.spec.js';
import { tenantIsolationSpec } from './specs/tenantIsolation.spec.js';
import { idCaseSpec } from './specs/idCase.spec.js';
import { hostileValuesSpec } from './specs/hostileValues.spec.js';
import { rawTextSearchSpec } from './specs/rawTextSearch.spec.js';
import { invalidInputSpec } from './specs/invalidInput.spec.js';

export type { ContractHarness, ContractService, ThreadStoreFactory };

export function defineThreadStoreContract(name: string, factory: ThreadStoreFactory): void {
  describe(`ThreadStore contract: ${name}`, () => {
    const ctx = useHarness(factory);
    lifecycleSpec(ctx);
    appendSpec(ctx);
    readSpec(ctx);
    reconstructSpec(ctx);
    metadataSpec(ctx);
    listSpec(ctx);
    listPaginationPropertySpec(ctx);
    searchSpec(ctx);
    turnsItemsSpec(ctx);
    archiveDeleteSpec(ctx);
    forkSpec(ctx);
    tenantIsolationSpec(ctx);
    idCaseSpec(ctx);
    hostileValuesSpec(ctx);
    rawTextSearchSpec(ctx);
    invalidInputSpec(ctx);
  });
}
