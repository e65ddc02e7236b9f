// Items JSONB cannot hold (\u0000, lone surrogates), huge strings and deep nesting are stored and
// read back identical through the PostgreSQL store — never rejected, never altered.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RolloutLine, StoredRolloutLine } from '../../src/model/rolloutLine.js';
import { encodeLine, isJsonbSafe } from '../../src/store/shared/preparedItem.js';
import { useTestStore } from '../helpers/database.js';

const ctx = useTestStore();
const tenant = randomUUID();

async function roundTrip(items: RolloutLine[]): Promise<RolloutLine[]> {
  const store = ctx.service.forTenant(tenant);
  const threadId = randomUUID();
  await store.createThread({ threadId, source: 'cli', originator: 'test', metadata: { cwd: '/w', modelProvider: 'p' } });
  await store.appendItems({ threadId, items });
  await store.shutdownThread(threadId);
  const { items: stored } = await store.loadHistory({ threadId });
  expect(stored[0]!.type).toBe('session_meta');
  return stored.slice(1);
}

const message = (text: string): RolloutLine => ({
  timestamp: '2026-11-24T13:17:14.364Z',
  ordinal: 7,
  type: 'response_item',
  payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
  metadata: { note: text.slice(0, 10) },
});

describe('thread_items round trip', () => {
  it('keeps \\u0000 and lone surrogates exactly, in payloads, keys and extra top-level fields', async () => {
    const items = [
      message('nul:\u0000:end'),
      message('lone high \ud800 and lone low \udc00, pair 😀'),
      { timestamp: '2026-11-24T13:17:14.364Z', type: 'event_msg', payload: { type: 'agent_message', ['k\u0000ey']: 'v' } },
      { timestamp: '2026-11-24T13:17:14.364Z', type: 'event_msg', payload: { type: 'agent_message', message: 'x' }, ['extra\ud83d']: '\u0000' },
      message('a literal backslash-u-zero: \\u0000 is just text'),
    ];
    expect(await roundTrip(items)).toEqual(items);
  });

  it('keeps a 10 MB string and 400-deep nesting', async () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 400; i++) deep = i % 2 ? [deep] : { d: deep };
    const items = [message('x'.repeat(10 * 1024 * 1024)), { timestamp: '2026-11-24T13:17:14.364Z', type: 'world_state', payload: { full: true, state: deep } }];
    const stored = await roundTrip(items);
    expect((stored[0]!.payload as { content: { text: string }[] }).content[0]!.text.length).toBe(10 * 1024 * 1024);
    expect(stored).toEqual(items);
  });

  it('keeps arbitrary JSON payloads (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.jsonValue({ maxDepth: 4 }), { minLength: 1, maxLength: 5 }), fc.string({ unit: 'binary' }), async (values, text) => {
        const items: RolloutLine[] = values.map((v) => ({ timestamp: '2026-01-01T00:00:00.000Z', type: 'unknown_future_type', payload: v === undefined ? null : v }));
        items.push(message(text));
        expect(await roundTrip(items)).toEqual(JSON.parse(JSON.stringify(items)));
      }),
      { numRuns: 25 },
    );
  });

  it('the stored size of a line is the UTF-8 length of its JSON, however its parts are serialized (property)', () => {
    const line = fc.record(
      {
        timestamp: fc.string({ unit: 'binary', maxLength: 30 }),
        type: fc.string({ unit: 'binary', maxLength: 20 }),
        payload: fc.jsonValue({ maxDepth: 3 }),
        ordinal: fc.integer(),
        metadata: fc.jsonValue({ maxDepth: 2 }),
        ['k\u0000ey']: fc.string({ unit: 'binary', maxLength: 5 }),
      },
      { requiredKeys: ['timestamp', 'type', 'payload'] },
    );
    fc.assert(
      fc.property(line, (l) => {
        const stored = l as unknown as StoredRolloutLine;
        const whole = JSON.stringify(stored);
        const item = encodeLine(stored);
        expect(item.byteSize).toBe(Buffer.byteLength(whole, 'utf8'));
        // Kept as raw JSON text exactly when JSONB could not hold the line, and then in its own key order.
        expect(item.rawLine === null).toBe(isJsonbSafe(whole));
        if (item.rawLine !== null) expect(item.rawLine).toBe(whole);
        else expect(JSON.parse(item.payloadJson ?? 'null')).toEqual(JSON.parse(JSON.stringify(stored.payload ?? null)));
      }),
      { numRuns: 2000 },
    );
  });
});
