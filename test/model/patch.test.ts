// ThreadMetadataPatch tri-state (absent = unchanged, null = clear, value = set), its Codex wire
// form and merge() with presence semantics (reference §2.5).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEmptyPatch, mergePatch, parsePatch, patchFromWire, patchToWire } from '../../src/model/patch.js';

describe('ThreadMetadataPatch', () => {
  it('reads the §2.5 example: set branch, clear origin_url, leave sha', () => {
    const patch = patchFromWire({ git_info: { branch: 'main', origin_url: null } });
    expect(patch).toEqual({ gitInfo: { branch: 'main', originUrl: null } });
    expect('sha' in patch.gitInfo!).toBe(false);
    expect(patchToWire(patch)).toEqual({ git_info: { branch: 'main', origin_url: null } });
  });

  it('treats {} as the empty patch', () => {
    expect(isEmptyPatch(patchFromWire({}))).toBe(true);
    expect(patchToWire(patchFromWire({}))).toEqual({});
  });

  it('keeps null on clearable fields and drops it on non-clearable ones', () => {
    const patch = patchFromWire({ name: null, agent_role: null, preview: null, model: null, thread_source: null });
    expect(patch).toEqual({ name: null, agentRole: null, threadSource: null });
    expect(patchToWire(patch)).toEqual({ name: null, agent_role: null, thread_source: null });
  });

  it('merges with presence semantics, git per sub-field', () => {
    const base = parsePatch({ name: 'a', preview: 'p', gitInfo: { sha: 's1', branch: 'b1' } });
    const next = parsePatch({ name: null, gitInfo: { branch: 'b2', originUrl: null } });
    expect(mergePatch(base, next)).toEqual({ name: null, preview: 'p', gitInfo: { sha: 's1', branch: 'b2', originUrl: null } });
    expect(mergePatch(base, {})).toEqual(base);
  });

  it('round-trips wire form (property)', () => {
    const clearable = fc.option(fc.string(), { nil: null });
    const wire = fc.record(
      {
        name: clearable,
        preview: fc.string(),
        agent_nickname: clearable,
        tokens: fc.constant(undefined),
        git_info: fc.record({ sha: clearable, branch: clearable, origin_url: clearable }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    ).map(({ tokens: _t, ...w }) => w);
    fc.assert(
      fc.property(wire, (w) => {
        expect(patchToWire(patchFromWire(w))).toEqual(w);
      }),
    );
  });

  it.each([
    [{ name: 5 }, 'patch.name'],
    [{ git_info: { sha: 1 } }, 'patch.gitInfo.sha'],
    [{ created_at: 'yesterday' }, 'patch.createdAt'],
    [{ unknown_field: 1 }, 'patch'],
    [{ token_usage: { total_tokens: 'many' } }, 'patch.tokenUsage.input_tokens'],
  ])('rejects %j with InvalidRequest at %s', (value, path) => {
    expect(() => patchFromWire(value)).toThrow(expect.objectContaining({ code: 'InvalidRequest', path }));
  });
});
