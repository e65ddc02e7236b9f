// Copy-free forks and compaction checkpoints (issue #6): a fork cut before a compaction does not
// inherit the later checkpoint, one after it does, and fork-of-fork chains resolve — on the real
// app-compact thread of the Codex 0.169 sample.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconstructHistory } from '../../src/history/index.js';
import { readCompacted } from '../../src/model/compacted.js';
import type { PostgresThreadStoreService } from '../../src/store/openThreadStore.js';
import type { ThreadStore } from '../../src/store/ThreadStore.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { readLines, sampleFileFor } from '../helpers/sample.js';

const APP_COMPACT = '01a20db4-26e8-75f0-968a-c177fae5649a';
let test: TestDatabase;
let service: PostgresThreadStoreService;
let store: ThreadStore;
let sourceId: string;
let turnIds: string[];
let compactedSeq: number;

beforeAll(async () => {
  test = await createTestDatabase();
  service = await test.openStore();
  store = service.forTenant(randomUUID());
  const lines = readLines(sampleFileFor(APP_COMPACT));
  sourceId = randomUUID();
  await store.createThread({ threadId: sourceId, source: 'vscode', originator: 'codex_vscode', metadata: { cwd: '/w', modelProvider: 'mockA' } });
  await store.appendItems({ threadId: sourceId, items: lines.slice(1) });
  await store.shutdownThread(sourceId);
  const turns = await store.listTurns({ threadId: sourceId, sortDirection: 'asc', pageSize: 100, itemsView: 'notLoaded' });
  turnIds = turns.turns.map((t) => t.turnId);
  const history = (await store.loadHistory({ threadId: sourceId })).items;
  compactedSeq = history.findIndex((l) => l.type === 'compacted');
});

afterAll(async () => {
  await service.close();
  await test.drop();
});

async function expectMatchesFullRead(threadId: string) {
  const { items } = await store.loadHistory({ threadId });
  const { itemsRead: _r, checkpointSeq, ...stored } = await store.reconstructHistory({ threadId });
  expect(stored).toEqual(reconstructHistory(items));
  return { items, checkpointSeq, stored };
}

describe('forks and checkpoints', () => {
  it('the source thread starts from its compaction checkpoint', async () => {
    const { items, checkpointSeq, stored } = await expectMatchesFullRead(sourceId);
    expect(checkpointSeq).toBe(compactedSeq);
    const replacement = readCompacted(items[compactedSeq]!.payload).replacementHistory!;
    expect(stored.history.slice(0, replacement.length)).toEqual(replacement);
    expect(stored.windowLineage.windowNumber).toBe(1);
  });

  it('a fork cut before the compaction does not inherit the checkpoint', async () => {
    const sourceItems = await store.listItems({ threadId: sourceId, sortDirection: "asc", pageSize: 1000 });
    const compactionTurn = sourceItems.items.find((i) => i.seq === compactedSeq)!.turnId;
    expect(turnIds.indexOf(compactionTurn!)).toBeGreaterThan(1);
    const fork = await store.forkThread({ sourceThreadId: sourceId, newThreadId: randomUUID(), lastTurnId: turnIds[1]! });
    const { items, checkpointSeq, stored } = await expectMatchesFullRead(fork.threadId);
    expect(items.some((l) => l.type === 'compacted')).toBe(false);
    expect(checkpointSeq).toBeNull();
    expect(stored.windowLineage.windowNumber).toBe(0);
  });

  it('a fork after the compaction inherits it, and a fork of that fork too', async () => {
    const fork = await store.forkThread({ sourceThreadId: sourceId, newThreadId: randomUUID() });
    const first = await expectMatchesFullRead(fork.threadId);
    // Virtual seqs: the fork's own session_meta is 0, the source's lines follow from 1.
    expect(first.checkpointSeq).toBe(compactedSeq + 1);
    const source = await store.reconstructHistory({ threadId: sourceId });
    expect(first.stored.history).toEqual(source.history);
    expect(first.stored.windowLineage).toEqual(source.windowLineage);

    const forkOfFork = await store.forkThread({ sourceThreadId: fork.threadId, newThreadId: randomUUID() });
    const second = await expectMatchesFullRead(forkOfFork.threadId);
    expect(second.checkpointSeq).toBe(compactedSeq + 2);
    expect(second.stored.windowLineage).toEqual(source.windowLineage);
    expect(second.items).toHaveLength(first.items.length + 1);
  });

  it('keeps inherited checkpoints when the base is deleted', async () => {
    const base = await store.forkThread({ sourceThreadId: sourceId, newThreadId: randomUUID() });
    const child = await store.forkThread({ sourceThreadId: base.threadId, newThreadId: randomUUID() });
    const before = await store.reconstructHistory({ threadId: child.threadId });
    await store.deleteThread({ threadId: base.threadId });
    const after = await store.reconstructHistory({ threadId: child.threadId });
    expect({ ...after, itemsRead: 0 }).toEqual({ ...before, itemsRead: 0 });
  });
});
