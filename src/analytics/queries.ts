// Owns the typed queries over the analytics views: one exported function per view, each one
// statement. They take any SqlExecutor, so the caller decides the scope: inside a tenant
// transaction (`database.transaction(fn, { tenantId })`, running as the application role) row-level
// security limits every view to that tenant; an operator connected as a superuser or a BYPASSRLS
// role sees every tenant and may narrow with `tenantId`. Days are UTC 'YYYY-MM-DD', inclusive.
import { z } from 'zod';
import type { SqlExecutor } from '../db/database.js';
import { tenantIdSchema, uuidSchema } from '../model/ids.js';
import { parseOrThrow } from '../model/validate.js';
import {
  rowToDailyActiveThreads,
  rowToDailyCompactions,
  rowToDailyItems,
  rowToDailyThreads,
  rowToDailyTokens,
  rowToTenantOverview,
  rowToThreadLineage,
  rowToThreadsByModel,
  rowToThreadsBySource,
  rowToThreadWindows,
  type DailyActiveThreads,
  type DailyCompactions,
  type DailyItems,
  type DailyThreads,
  type DailyTokens,
  type TenantOverview,
  type ThreadLineage,
  type ThreadsByModel,
  type ThreadsBySource,
  type ThreadWindows,
} from './rows.js';

const daySchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a UTC day YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a calendar day');

const tenantFilterSchema = z.strictObject({ tenantId: tenantIdSchema.optional() });

const dayRangeSchema = z.strictObject({
  tenantId: tenantIdSchema.optional(),
  from: daySchema.optional(),
  to: daySchema.optional(),
});

const threadFilterSchema = z.strictObject({
  tenantId: tenantIdSchema.optional(),
  threadIds: z.array(uuidSchema).max(10_000).optional(),
  limit: z.number().int().positive().max(100_000).optional(),
});

export interface TenantFilter {
  /** Narrow to one tenant. Inside a tenant transaction RLS already does; an operator may pass it. */
  tenantId?: string;
}

export interface DayRange extends TenantFilter {
  /** First UTC day, inclusive ('YYYY-MM-DD'). */
  from?: string;
  /** Last UTC day, inclusive. */
  to?: string;
}

export interface ThreadFilter extends TenantFilter {
  threadIds?: string[];
  limit?: number;
}

export interface LineageFilter extends ThreadFilter {
  /** Only threads with at least one fork or sub-agent (ordered by their count). */
  onlyWithChildren?: boolean;
}

export interface WindowsFilter extends ThreadFilter {
  /** Only threads with at least one compaction (ordered by window number). */
  onlyCompacted?: boolean;
}

/** WHERE clause builder with numbered placeholders. */
class Where {
  readonly values: unknown[] = [];
  private readonly parts: string[] = [];

  add(sqlWithPlaceholder: (p: string) => string, value: unknown): void {
    this.values.push(value);
    this.parts.push(sqlWithPlaceholder(`$${this.values.length}`));
  }

  raw(sql: string): void {
    this.parts.push(sql);
  }

  toString(): string {
    return this.parts.length === 0 ? '' : ` WHERE ${this.parts.join(' AND ')}`;
  }
}

function dayWhere(input: DayRange | undefined): Where {
  const f = parseOrThrow(dayRangeSchema, input ?? {}, 'filter');
  const where = new Where();
  if (f.tenantId) where.add((p) => `tenant_id = ${p}::uuid`, f.tenantId);
  if (f.from) where.add((p) => `day >= ${p}::date`, f.from);
  if (f.to) where.add((p) => `day <= ${p}::date`, f.to);
  return where;
}

function threadWhere(schema: typeof threadFilterSchema, input: ThreadFilter): { where: Where; limit: string } {
  const f = parseOrThrow(schema, input, 'filter');
  const where = new Where();
  if (f.tenantId) where.add((p) => `tenant_id = ${p}::uuid`, f.tenantId);
  if (f.threadIds) where.add((p) => `thread_id = ANY(${p}::uuid[])`, f.threadIds);
  return { where, limit: f.limit ? ` LIMIT ${f.limit}` : '' };
}

async function select<T>(sql: SqlExecutor, text: string, values: unknown[], map: (r: Record<string, unknown>) => T): Promise<T[]> {
  const { rows } = await sql.query<Record<string, unknown>>(text, values);
  return rows.map(map);
}

/** One row per visible tenant (`analytics_tenant_overview`). */
export function tenantOverview(sql: SqlExecutor, filter: TenantFilter = {}): Promise<TenantOverview[]> {
  const f = parseOrThrow(tenantFilterSchema, filter, 'filter');
  const where = new Where();
  if (f.tenantId) where.add((p) => `tenant_id = ${p}::uuid`, f.tenantId);
  return select(sql, `SELECT * FROM thread_store.analytics_tenant_overview${where} ORDER BY tenant_id`, where.values, rowToTenantOverview);
}

/** Threads created per tenant per day, with forks, sub-agents and archived (`analytics_daily_threads`). */
export function dailyThreads(sql: SqlExecutor, range?: DayRange): Promise<DailyThreads[]> {
  const where = dayWhere(range);
  return select(sql, `SELECT tenant_id, day::text AS day, threads, root_threads, forks, subagents, archived, tokens_used FROM thread_store.analytics_daily_threads${where} ORDER BY tenant_id, day`, where.values, rowToDailyThreads);
}

/** Threads that started a turn, and turns started, per tenant per day (`analytics_daily_active_threads`). */
export function dailyActiveThreads(sql: SqlExecutor, range?: DayRange): Promise<DailyActiveThreads[]> {
  const where = dayWhere(range);
  return select(
    sql,
    `SELECT tenant_id, day::text AS day, active_threads, turns_started FROM thread_store.analytics_daily_active_threads${where} ORDER BY tenant_id, day NULLS LAST`,
    where.values,
    rowToDailyActiveThreads,
  );
}

/** Items, bytes, messages and tool calls written per tenant per day (`analytics_daily_items`). */
export function dailyItems(sql: SqlExecutor, range?: DayRange): Promise<DailyItems[]> {
  const where = dayWhere(range);
  return select(sql, `SELECT tenant_id, day::text AS day, items, bytes, threads, messages, tool_calls FROM thread_store.analytics_daily_items${where} ORDER BY tenant_id, day NULLS LAST`, where.values, rowToDailyItems);
}

/** Tokens used per tenant per day, without double counting repeated token_count lines (`analytics_daily_tokens`). */
export function dailyTokens(sql: SqlExecutor, range?: DayRange): Promise<DailyTokens[]> {
  const where = dayWhere(range);
  return select(sql, `SELECT tenant_id, day::text AS day, threads, input_tokens, cached_input_tokens, output_tokens, reasoning_output_tokens, total_tokens FROM thread_store.analytics_daily_tokens${where} ORDER BY tenant_id, day NULLS LAST`, where.values, rowToDailyTokens);
}

/** Threads, items and tokens by provider and model over the day range (`analytics_threads_by_model`). */
export function threadsByModel(sql: SqlExecutor, range?: DayRange): Promise<ThreadsByModel[]> {
  const where = dayWhere(range);
  return select(
    sql,
    `SELECT tenant_id, model_provider, model, sum(threads) AS threads, sum(archived) AS archived, sum(items) AS items, sum(tokens_used) AS tokens_used
       FROM thread_store.analytics_threads_by_model${where}
      GROUP BY tenant_id, model_provider, model
      ORDER BY tenant_id, sum(tokens_used) DESC, sum(threads) DESC, model_provider, model NULLS LAST`,
    where.values,
    rowToThreadsByModel,
  );
}

/** Threads by source kind, thread source and originator over the day range (`analytics_threads_by_source`). */
export function threadsBySource(sql: SqlExecutor, range?: DayRange): Promise<ThreadsBySource[]> {
  const where = dayWhere(range);
  return select(
    sql,
    `SELECT tenant_id, source, thread_source, originator, sum(threads) AS threads, sum(forks) AS forks, sum(subagents) AS subagents,
            sum(items) AS items, sum(tokens_used) AS tokens_used
       FROM thread_store.analytics_threads_by_source${where}
      GROUP BY tenant_id, source, thread_source, originator
      ORDER BY tenant_id, sum(threads) DESC, source, thread_source NULLS FIRST, originator NULLS FIRST`,
    where.values,
    rowToThreadsBySource,
  );
}

/** Per thread: fork/sub-agent origin and direct fork/sub-agent counts (`analytics_thread_lineage`). */
export function threadLineage(sql: SqlExecutor, filter: LineageFilter = {}): Promise<ThreadLineage[]> {
  const { onlyWithChildren, ...rest } = filter;
  const { where, limit } = threadWhere(threadFilterSchema, rest);
  if (onlyWithChildren) where.raw('(forks > 0 OR subagents > 0)');
  return select(
    sql,
    `SELECT * FROM thread_store.analytics_thread_lineage${where} ORDER BY forks + subagents DESC, tenant_id, thread_id${limit}`,
    where.values,
    rowToThreadLineage,
  );
}

/** Per thread: compactions and context-window numbers (`analytics_thread_windows`). */
export function threadWindows(sql: SqlExecutor, filter: WindowsFilter = {}): Promise<ThreadWindows[]> {
  const { onlyCompacted, ...rest } = filter;
  const { where, limit } = threadWhere(threadFilterSchema, rest);
  if (onlyCompacted) where.raw('compactions > 0');
  return select(
    sql,
    `SELECT * FROM thread_store.analytics_thread_windows${where} ORDER BY compactions DESC, current_window_number DESC NULLS LAST, tenant_id, thread_id${limit}`,
    where.values,
    rowToThreadWindows,
  );
}

/** Compactions per tenant per day (`analytics_daily_compactions`). */
export function dailyCompactions(sql: SqlExecutor, range?: DayRange): Promise<DailyCompactions[]> {
  const where = dayWhere(range);
  return select(sql, `SELECT tenant_id, day::text AS day, compactions, threads, legacy_compactions, max_window_number, avg_summary_length FROM thread_store.analytics_daily_compactions${where} ORDER BY tenant_id, day`, where.values, rowToDailyCompactions);
}
