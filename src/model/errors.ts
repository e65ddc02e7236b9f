// Owns the typed error hierarchy of the store. Codes are stable (Codex's ThreadStoreError variants);
// messages never include user content such as bound SQL parameters or item text.

export type ThreadStoreErrorCode =
  | 'ThreadNotFound'
  | 'InvalidRequest'
  | 'Conflict'
  | 'Unsupported'
  | 'ResourceExhausted'
  | 'Internal';

export interface ErrorDetails {
  /** Where the problem is: a field path (`items[3].payload.id`) or `file:line`. */
  readonly path?: string;
  readonly cause?: unknown;
}

export abstract class ThreadStoreError extends Error {
  abstract readonly code: ThreadStoreErrorCode;
  readonly path: string | undefined;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.path = details.path;
  }

  override get name(): string {
    return `${this.code}Error`;
  }
}

export class ThreadNotFoundError extends ThreadStoreError {
  readonly code = 'ThreadNotFound' as const;
  readonly threadId: string;
  constructor(threadId: string, details: ErrorDetails = {}) {
    super(`thread ${threadId} not found`, details);
    this.threadId = threadId;
  }
}

export class InvalidRequestError extends ThreadStoreError {
  readonly code = 'InvalidRequest' as const;
  constructor(message: string, details: ErrorDetails = {}) {
    super(`invalid thread-store request: ${details.path ? `${details.path}: ` : ''}${message}`, details);
  }
}

export class ConflictError extends ThreadStoreError {
  readonly code = 'Conflict' as const;
  constructor(message: string, details: ErrorDetails = {}) {
    super(`thread-store conflict: ${message}`, details);
  }
}

/** Stable operation names as in Codex: `thread/search`, `list_turns`, `list_items`, `paginated_threads`, `projects`. */
export class UnsupportedError extends ThreadStoreError {
  readonly code = 'Unsupported' as const;
  readonly operation: string;
  constructor(operation: string, details: ErrorDetails = {}) {
    super(`thread-store unsupported operation: ${operation}`, details);
    this.operation = operation;
  }
}

export class ResourceExhaustedError extends ThreadStoreError {
  readonly code = 'ResourceExhausted' as const;
  constructor(message: string, details: ErrorDetails = {}) {
    super(`thread-store resource exhausted: ${details.path ? `${details.path}: ` : ''}${message}`, details);
  }
}

export class InternalError extends ThreadStoreError {
  readonly code = 'Internal' as const;
  constructor(message: string, details: ErrorDetails = {}) {
    super(`thread-store internal error: ${message}`, details);
  }
}

export function isThreadStoreError(value: unknown): value is ThreadStoreError {
  return value instanceof ThreadStoreError;
}

/**
 * `error` as it may leave the public API: a ThreadStoreError as is; anything else (a bug, a value
 * that changed while it was read) as Internal naming the operation, with the original as its cause.
 */
export function toThreadStoreError(error: unknown, operation: string): ThreadStoreError {
  if (error instanceof ThreadStoreError) return error;
  const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new InternalError(`${operation} failed unexpectedly (${what})`, { cause: error });
}
