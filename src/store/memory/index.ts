// Owns the public surface of the in-memory store.
export { InMemoryThreadStoreService, InMemoryThreadStore, DEFAULT_PAGE_SIZE, MEMORY_STORE_HISTORY_MODE, type InMemoryThreadStoreOptions } from './InMemoryThreadStore.js';
export { allocateThreadTimestamp, TimestampClock, TIMESTAMP_BACKFILL_WINDOW_MS, type AllocatedTimestamp } from './timestampClock.js';
