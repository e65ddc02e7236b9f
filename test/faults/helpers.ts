// Owns what the fault tests share: a superuser connection to the throwaway cluster for reading
// what is really stored (it bypasses RLS), the audit of one thread after a fault (seq contiguous
// from 0, no marker stored twice, every acknowledged marker present), and message builders whose
// text is a unique marker.
import pg from 'pg';
import { expect } from 'vitest';
import type { RolloutLine } from '../../src/model/rolloutLine.js';

export const marked = (marker: string): RolloutLine => ({
  type: 'response_item',
  payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: marker }] },
});

export interface ThreadAudit {
  seqs: number[];
  markers: string[];
  contiguous: boolean;
  duplicates: string[];
  missing: string[];
}

/** What is stored for a thread, checked against the markers that were acknowledged. */
export async function auditThread(url: string, tenantId: string, threadId: string, acked: Iterable<string>): Promise<ThreadAudit> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ seq: string; payload: unknown; raw_line: string | null }>(
      'SELECT seq, payload, raw_line FROM thread_store.thread_items WHERE tenant_id = $1 AND thread_id = $2 ORDER BY seq',
      [tenantId, threadId],
    );
    const seqs = rows.map((r) => Number(r.seq));
    const markers = rows
      .map((r) => (r.payload as { content?: { text?: string }[] } | null)?.content?.[0]?.text)
      .filter((t): t is string => typeof t === 'string');
    const seen = new Set<string>();
    const duplicates: string[] = [];
    for (const m of markers) {
      if (seen.has(m)) duplicates.push(m);
      seen.add(m);
    }
    const missing = [...acked].filter((m) => !seen.has(m));
    return { seqs, markers, contiguous: seqs.every((s, i) => s === i), duplicates, missing };
  } finally {
    await client.end();
  }
}

/** The three properties every fault test demands, with readable failure output. */
export function expectSound(audit: ThreadAudit, label: string): void {
  expect({ label, contiguous: audit.contiguous, duplicates: audit.duplicates, missing: audit.missing }).toEqual({ label, contiguous: true, duplicates: [], missing: [] });
}

export async function superuserQuery<R extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

