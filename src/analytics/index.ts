// The analytics queries on a SqlExecutor, for the CLI and the tests: typed queries over the SQL views
// of drizzle/0004_analytics_views.sql (docs/ANALYTICS.md) and the per-tenant report `stats` prints.
// The public API of these — taking a tenant's store or the service — is src/api/analytics.ts.
export {
  dailyActiveThreads,
  dailyCompactions,
  dailyItems,
  dailyThreads,
  dailyTokens,
  tenantOverview,
  threadLineage,
  threadsByModel,
  threadsBySource,
  threadWindows,
} from './queries.js';
export type { DayRange, LineageFilter, TenantFilter, ThreadFilter, WindowsFilter } from './queries.js';
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
} from './rows.js';
export { tenantReport } from './tenantReport.js';
export type { DaySummary, TenantReport, TenantReportOptions } from './tenantReport.js';
