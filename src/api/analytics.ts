// `pg-thread-store/analytics`: typed reads of the analytics views (drizzle/0004, docs/ANALYTICS.md).
// Each call takes the same handle as the store: a tenant's store (`service.forTenant(id)`) reads in
// that tenant's transaction, so row-level security limits every view to it; the service itself reads
// without a tenant — what the login's role may see (every tenant for the owner of the tables, a
// superuser or a BYPASSRLS analyst role; nothing for the application role), narrowed by `tenantId`.
// The views live in PostgreSQL: on the in-memory store these calls are Unsupported.
import * as queries from '../analytics/queries.js';
import { tenantReport as buildTenantReport, type TenantReport, type TenantReportOptions } from '../analytics/tenantReport.js';
import type { SqlExecutor } from '../db/database.js';
import { toThreadStoreError } from '../model/errors.js';
import { databaseOf, tenantDatabaseOf } from '../store/openThreadStore.js';
import type { ThreadStore, ThreadStoreService } from '../store/ThreadStore.js';
import type * as rows from '../analytics/rows.js';

export type { DayRange, LineageFilter, TenantFilter, ThreadFilter, WindowsFilter } from '../analytics/queries.js';
export type {
  DailyActiveThreads,
  DailyCompactions,
  DailyItems,
  DailyThreads,
  DailyTokens,
  TenantOverview,
  ThreadLineage,
  ThreadsByModel,
  ThreadsBySource,
  ThreadWindows,
} from '../analytics/rows.js';
export type { DaySummary, TenantReport, TenantReportOptions } from '../analytics/tenantReport.js';

/** A tenant's store (its rows only) or a service (what the login may see across tenants). */
export type AnalyticsScope = ThreadStore | ThreadStoreService;

function isService(scope: AnalyticsScope): scope is ThreadStoreService {
  return typeof (scope as Partial<ThreadStoreService>).forTenant === 'function';
}

async function read<T>(scope: AnalyticsScope, operation: string, fn: (sql: SqlExecutor) => Promise<T>): Promise<T> {
  try {
    if (isService(scope)) return await databaseOf(scope, operation).transaction(fn, { operation });
    const { db, tenantId } = tenantDatabaseOf(scope, operation);
    return await db.transaction(fn, { tenantId, operation });
  } catch (error) {
    throw toThreadStoreError(error, operation);
  }
}

export const tenantOverview = (scope: AnalyticsScope, filter?: queries.TenantFilter): Promise<rows.TenantOverview[]> =>
  read(scope, 'tenantOverview', (sql) => queries.tenantOverview(sql, filter));
export const dailyThreads = (scope: AnalyticsScope, range?: queries.DayRange): Promise<rows.DailyThreads[]> =>
  read(scope, 'dailyThreads', (sql) => queries.dailyThreads(sql, range));
export const dailyActiveThreads = (scope: AnalyticsScope, range?: queries.DayRange): Promise<rows.DailyActiveThreads[]> =>
  read(scope, 'dailyActiveThreads', (sql) => queries.dailyActiveThreads(sql, range));
export const dailyItems = (scope: AnalyticsScope, range?: queries.DayRange): Promise<rows.DailyItems[]> =>
  read(scope, 'dailyItems', (sql) => queries.dailyItems(sql, range));
export const dailyTokens = (scope: AnalyticsScope, range?: queries.DayRange): Promise<rows.DailyTokens[]> =>
  read(scope, 'dailyTokens', (sql) => queries.dailyTokens(sql, range));
export const dailyCompactions = (scope: AnalyticsScope, range?: queries.DayRange): Promise<rows.DailyCompactions[]> =>
  read(scope, 'dailyCompactions', (sql) => queries.dailyCompactions(sql, range));
export const threadsByModel = (scope: AnalyticsScope, range?: queries.DayRange): Promise<rows.ThreadsByModel[]> =>
  read(scope, 'threadsByModel', (sql) => queries.threadsByModel(sql, range));
export const threadsBySource = (scope: AnalyticsScope, range?: queries.DayRange): Promise<rows.ThreadsBySource[]> =>
  read(scope, 'threadsBySource', (sql) => queries.threadsBySource(sql, range));
export const threadLineage = (scope: AnalyticsScope, filter?: queries.LineageFilter): Promise<rows.ThreadLineage[]> =>
  read(scope, 'threadLineage', (sql) => queries.threadLineage(sql, filter));
export const threadWindows = (scope: AnalyticsScope, filter?: queries.WindowsFilter): Promise<rows.ThreadWindows[]> =>
  read(scope, 'threadWindows', (sql) => queries.threadWindows(sql, filter));

/** Every view of one tenant in one snapshot, the per-day views merged by day (what `thread-store stats` prints). */
export async function tenantReport(store: ThreadStore, options: TenantReportOptions = {}): Promise<TenantReport> {
  try {
    const { db, tenantId } = tenantDatabaseOf(store, 'tenantReport');
    return await buildTenantReport(db, tenantId, options);
  } catch (error) {
    throw toThreadStoreError(error, 'tenantReport');
  }
}
