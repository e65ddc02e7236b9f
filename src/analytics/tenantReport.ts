// Owns the one-call report a `stats` command prints for a tenant: every analytics view read in ONE
// tenant transaction (so row-level security scopes it and the numbers are one consistent
// snapshot), with the per-day views merged into one row per day.
import type { Database } from '../db/database.js';
import { tenantIdSchema } from '../model/ids.js';
import { parseOrThrow } from '../model/validate.js';
import {
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
import type { TenantOverview, ThreadLineage, ThreadsByModel, ThreadsBySource, ThreadWindows } from './rows.js';

/** Everything the per-day views say about one UTC day (zeros where a view has no row). */
export interface DaySummary {
  day: string;
  threadsCreated: number;
  forks: number;
  subagents: number;
  activeThreads: number;
  turnsStarted: number;
  items: number;
  bytes: number;
  totalTokens: number;
  inputTokens: number;
  outputTokens: number;
  compactions: number;
}

export interface TenantReport {
  tenantId: string;
  overview: TenantOverview;
  /** One row per UTC day with any activity, oldest first. */
  days: DaySummary[];
  byModel: ThreadsByModel[];
  bySource: ThreadsBySource[];
  /** Threads with the most forks / sub-agents (at most `top`). */
  topParents: ThreadLineage[];
  /** Threads with the most compactions (at most `top`). */
  mostCompacted: ThreadWindows[];
}

export interface TenantReportOptions {
  /** First / last UTC day of the per-day part and of byModel / bySource ('YYYY-MM-DD'). */
  from?: string;
  to?: string;
  /** Length of topParents / mostCompacted (default 10). */
  top?: number;
}

const emptyOverview = (tenantId: string): TenantOverview => ({
  tenantId,
  threads: 0,
  archivedThreads: 0,
  forks: 0,
  subagents: 0,
  items: 0,
  bytes: 0,
  tokensUsed: 0,
  compactions: 0,
  firstCreatedAt: null,
  lastUpdatedAt: null,
});

const emptyDay = (day: string): DaySummary => ({
  day,
  threadsCreated: 0,
  forks: 0,
  subagents: 0,
  activeThreads: 0,
  turnsStarted: 0,
  items: 0,
  bytes: 0,
  totalTokens: 0,
  inputTokens: 0,
  outputTokens: 0,
  compactions: 0,
});

/** The analytics of one tenant, read in one tenant transaction (RLS-scoped when run as the app role). */
export async function tenantReport(db: Database, tenantId: string, options: TenantReportOptions = {}): Promise<TenantReport> {
  const tenant = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
  const range = { tenantId: tenant, ...(options.from ? { from: options.from } : {}), ...(options.to ? { to: options.to } : {}) };
  const top = options.top ?? 10;
  return db.transaction(
    async (tx) => {
      // One statement at a time: a transaction is one connection.
      const overview = (await tenantOverview(tx, { tenantId: tenant }))[0] ?? emptyOverview(tenant);
      const threads = await dailyThreads(tx, range);
      const active = await dailyActiveThreads(tx, range);
      const items = await dailyItems(tx, range);
      const tokens = await dailyTokens(tx, range);
      const compactions = await dailyCompactions(tx, range);
      const byModel = await threadsByModel(tx, range);
      const bySource = await threadsBySource(tx, range);
      const topParents = await threadLineage(tx, { tenantId: tenant, onlyWithChildren: true, limit: top });
      const mostCompacted = await threadWindows(tx, { tenantId: tenant, onlyCompacted: true, limit: top });

      const days = new Map<string, DaySummary>();
      const at = (day: string | null): DaySummary | null => {
        if (day === null) return null; // lines whose timestamp is not an RFC 3339 instant
        let d = days.get(day);
        if (!d) days.set(day, (d = emptyDay(day)));
        return d;
      };
      for (const r of threads) {
        const d = at(r.day);
        if (d) Object.assign(d, { threadsCreated: r.threads, forks: r.forks, subagents: r.subagents });
      }
      for (const r of active) {
        const d = at(r.day);
        if (d) Object.assign(d, { activeThreads: r.activeThreads, turnsStarted: r.turnsStarted });
      }
      for (const r of items) {
        const d = at(r.day);
        if (d) Object.assign(d, { items: r.items, bytes: r.bytes });
      }
      for (const r of tokens) {
        const d = at(r.day);
        if (d) Object.assign(d, { totalTokens: r.totalTokens, inputTokens: r.inputTokens, outputTokens: r.outputTokens });
      }
      for (const r of compactions) {
        const d = at(r.day);
        if (d) d.compactions = r.compactions;
      }
      return {
        tenantId: tenant,
        overview,
        days: [...days.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0)),
        byModel,
        bySource,
        topParents,
        mostCompacted,
      };
    },
    { tenantId: tenant, operation: 'tenantReport' },
  );
}
