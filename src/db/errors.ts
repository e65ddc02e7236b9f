// Owns the one mapping of driver errors (pg, PGlite) to our typed errors: the SQLSTATE table below,
// applied where a driver call fails (Database.transaction, pipeline, withSession, migrate). Only
// driver errors are mapped: an error a transaction's callback throws itself — a ThreadStoreError,
// an internal signal such as an import's SkipThread — passes through unchanged, so nobody has to
// dig it out of a `cause` chain. A mapped error keeps the driver error as its `cause` (its SQLSTATE
// is `cause.code`) and never carries bound parameters: they hold user text.
import { ConflictError, InternalError, InvalidRequestError, ResourceExhaustedError, ThreadStoreError } from '../model/errors.js';

/**
 * A writer whose claim on a thread was taken over by another process (SQLSTATE TS409 from
 * thread_store.assert_fenced, the ids in DETAIL): the group-commit writer fails those threads'
 * appends with Conflict and retries the rest of the batch.
 */
export class StaleWriterError extends ConflictError {
  constructor(
    readonly threadIds: string[],
    details: { cause?: unknown } = {},
  ) {
    super(`stale writer for ${threadIds.length} thread(s): their claim was taken over by another process`, details);
  }
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** The SQLSTATE of a driver error, or of the driver error a mapped ThreadStoreError wraps. */
export function sqlStateOf(error: unknown): string | undefined {
  const own = (error as { code?: unknown } | null)?.code;
  if (typeof own === 'string' && SQLSTATE.test(own)) return own;
  if (error instanceof ThreadStoreError) {
    const code = (error.cause as { code?: unknown } | null | undefined)?.code;
    if (typeof code === 'string' && SQLSTATE.test(code)) return code;
  }
  return undefined;
}

/** A field the server reported with a driver error (`constraint`, `detail`, …), also through a mapped error. */
export function driverField(error: unknown, field: 'constraint' | 'detail' | 'table' | 'column'): string | undefined {
  const driver = error instanceof ThreadStoreError ? error.cause : error;
  const value = (driver as Record<string, unknown> | null | undefined)?.[field];
  return typeof value === 'string' ? value : undefined;
}

const CONNECTION_FAILURE = /Connection terminated|ECONNRESET|ECONNREFUSED|EPIPE|Client has encountered a connection error|not queryable|Client was closed/i;

/** Whether `error` came from the driver: it carries a SQLSTATE, or the connection failed. */
export function isDriverError(error: unknown): boolean {
  if (error instanceof ThreadStoreError) return false;
  if (sqlStateOf(error) !== undefined) return true;
  return error instanceof Error && CONNECTION_FAILURE.test(error.message);
}

const RETRYABLE_SQLSTATE_PREFIXES = ['08', '40', '57P'];

/** Whether a failure may succeed when retried as a whole (connection loss, serialization, shutdown, timeouts). */
export function isRetryableDbError(error: unknown): boolean {
  const code = sqlStateOf(error);
  if (code !== undefined) return RETRYABLE_SQLSTATE_PREFIXES.some((p) => code.startsWith(p)) || code === '57014' || code === '55P03';
  const driver = error instanceof ThreadStoreError ? error.cause : error;
  return driver instanceof Error && CONNECTION_FAILURE.test(driver.message);
}

type Mapper = (text: string, error: unknown) => ThreadStoreError;

/**
 * THE table: SQLSTATE (exact, or a class prefix ending in `*`) → our error. First match wins;
 * anything else is Internal.
 */
const SQLSTATE_TABLE: readonly [readonly string[], Mapper][] = [
  // thread_store.assert_fenced (drizzle/0009): the ids of the threads whose claim is gone in DETAIL.
  [['TS409'], (_text, error) => new StaleWriterError((driverField(error, 'detail') ?? '').split(',').filter((id) => id !== ''), { cause: error })],
  // Unique violation, serialization failure, deadlock: another writer got there first.
  [['23505', '40001', '40P01'], (text, error) => new ConflictError(text, { cause: error })],
  // Data exceptions and check/not-null violations: the value was wrong.
  [['22*', '23514', '23502'], (text, error) => new InvalidRequestError(text, { cause: error })],
  // Insufficient resources and program limits; thread_store.enforce_quotas names the quota in DETAIL.
  [
    ['53*', '54000', '54001'],
    (text, error) => {
      const detail = driverField(error, 'detail');
      const path = detail !== undefined && /^tenant\.\w+$/.test(detail) ? detail : undefined;
      return new ResourceExhaustedError(text, { cause: error, ...(path ? { path } : {}) });
    },
  ],
];

function matches(code: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('*') ? code.startsWith(p.slice(0, -1)) : code === p));
}

/** Map a driver error to a ThreadStoreError (a ThreadStoreError is returned as is). */
export function mapDbError(error: unknown, operation: string): ThreadStoreError {
  if (error instanceof ThreadStoreError) return error;
  const code = sqlStateOf(error);
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  const text = `${operation}: ${code ? `${code} ` : ''}${message}`;
  if (code !== undefined) {
    for (const [patterns, map] of SQLSTATE_TABLE) if (matches(code, patterns)) return map(text, error);
  }
  return new InternalError(text, { cause: error });
}

/** What leaves a transaction: driver errors mapped, everything its callback threw itself unchanged. */
export function transactionError(error: unknown, operation: string): unknown {
  return isDriverError(error) ? mapDbError(error, operation) : error;
}
