// The analytics API: typed queries over the SQL views of drizzle/0004_analytics_views.sql
// (documented in docs/ANALYTICS.md) and the per-tenant report a `stats` command prints.
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
