// §13 "Compaction & windows": the window-lineage statements and the token-budget fragments.
import { describe, expect, it } from 'vitest';
import { isUuidV7 } from '../../../src/model/ids.js';
import {
  advanceLineage,
  claimTokenBudgetReminder,
  compactedLineageFields,
  initialLineage,
  renderTokenBudget,
  renderTokenBudgetForLineage,
  renderTokenBudgetRemaining,
  renderTokenBudgetReminder,
  restoreLineage,
  tokenBudgetDeveloperMessage,
  isContextualDeveloperMessage,
  isUserTurnBoundary,
} from '../../../src/history/index.js';
import { V4, V7 } from './builders.js';

describe('window lineage', () => {
  it('initial window: number 0, first = current = a fresh UUIDv7, previous null', () => {
    const l = initialLineage();
    expect(l.windowNumber).toBe(0);
    expect(isUuidV7(l.windowId)).toBe(true);
    expect(l.firstWindowId).toBe(l.windowId);
    expect(l.previousWindowId).toBeNull();
    expect(initialLineage(V7.a)).toEqual({ windowNumber: 0, firstWindowId: V7.a, previousWindowId: null, windowId: V7.a });
  });

  it('refuses to start a lineage from an id that is not a UUIDv7', () => {
    expect(() => initialLineage(V4)).toThrow(/UUIDv7/);
  });

  it('a compaction advances: number + 1, first unchanged, previous = old current, current = fresh UUIDv7', () => {
    const l0 = initialLineage(V7.a);
    const l1 = advanceLineage(l0);
    const l2 = advanceLineage(l1);
    expect(l1).toMatchObject({ windowNumber: 1, firstWindowId: V7.a, previousWindowId: V7.a });
    expect(isUuidV7(l1.windowId)).toBe(true);
    expect(l1.windowId).not.toBe(V7.a);
    expect(l2).toMatchObject({ windowNumber: 2, firstWindowId: V7.a, previousWindowId: l1.windowId });
    expect(l2.windowId).not.toBe(l1.windowId);
  });

  it('new compactions persist window_number, first_window_id, previous_window_id and window_id of the new window', () => {
    const l1 = advanceLineage(initialLineage(V7.a));
    expect(compactedLineageFields(l1)).toEqual({
      window_number: 1,
      first_window_id: V7.a,
      previous_window_id: V7.a,
      window_id: l1.windowId,
    });
    // A None previous id is skipped on serialization, not written as null.
    expect(compactedLineageFields(initialLineage(V7.a))).not.toHaveProperty('previous_window_id');
  });

  it('window restore: current = reconstructed or fallback/fresh; first = reconstructed or current; number and previous as reconstructed', () => {
    const full = { windowNumber: 4, firstWindowId: V7.a, previousWindowId: V7.b, windowId: V7.c };
    expect(restoreLineage(full, V7.a)).toEqual(full);

    const numberOnly = { windowNumber: 3, firstWindowId: null, previousWindowId: null, windowId: null };
    expect(restoreLineage(numberOnly, V7.b)).toEqual({
      windowNumber: 3,
      firstWindowId: V7.b,
      previousWindowId: null,
      windowId: V7.b,
    });
    const fresh = restoreLineage(numberOnly);
    expect(isUuidV7(fresh.windowId)).toBe(true);
    expect(fresh.firstWindowId).toBe(fresh.windowId);

    const currentOnly = { windowNumber: 2, firstWindowId: null, previousWindowId: V7.a, windowId: V7.b };
    expect(restoreLineage(currentOnly)).toEqual({ windowNumber: 2, firstWindowId: V7.b, previousWindowId: V7.a, windowId: V7.b });
  });
});

describe('<token_budget> fragments (#29256 format)', () => {
  it('renders exactly the 5 lines of §8.4(1) inside the markers, with `none` for a missing previous id', () => {
    const text = renderTokenBudget({
      threadId: 'thr',
      firstWindowId: V7.a,
      previousWindowId: null,
      windowId: V7.a,
      tokensLeft: 272000,
    });
    expect(text).toBe(
      '<token_budget>\n' +
        'Thread id thr.\n' +
        `First context window id ${V7.a}.\n` +
        'Previous context window id none.\n' +
        `Current context window id ${V7.a}.\n` +
        'You have 272000 tokens left in this context window.\n' +
        '</token_budget>',
    );
  });

  it('renders the previous id when there is one', () => {
    const l1 = { windowNumber: 1, firstWindowId: V7.a, previousWindowId: V7.a, windowId: V7.b };
    expect(renderTokenBudgetForLineage('thr', l1, 5)).toContain(`Previous context window id ${V7.a}.\nCurrent context window id ${V7.b}.`);
  });

  it('renders the remaining-tokens companion, known or unknown', () => {
    expect(renderTokenBudgetRemaining(1200)).toBe('<token_budget>\nYou have 1200 tokens left in this context window.\n</token_budget>');
    expect(renderTokenBudgetRemaining(null)).toBe('<token_budget>\nYou have unknown tokens left in this context window.\n</token_budget>');
  });

  it('renders the reminder by substituting every {n_remaining}', () => {
    expect(renderTokenBudgetReminder('Only {n_remaining} left ({n_remaining}).', 42)).toBe(
      '<token_budget>\nOnly 42 left (42).\n</token_budget>',
    );
  });

  it('refuses a token count Codex could not have written', () => {
    expect(() => renderTokenBudgetRemaining(1.5)).toThrow(/integer/);
  });

  it('is a developer message that is classified as context, never as a user turn', () => {
    const message = tokenBudgetDeveloperMessage(renderTokenBudgetRemaining(10));
    expect(message.role).toBe('developer');
    expect(isContextualDeveloperMessage(message)).toBe(true);
    expect(isUserTurnBoundary(message)).toBe(false);
  });

  it('delivers the token-budget reminder at most once per window; advancing re-arms it', () => {
    const l0 = initialLineage(V7.a);
    let state = { deliveredInWindowId: null as string | null };
    const first = claimTokenBudgetReminder(state, l0);
    expect(first.claimed).toBe(true);
    state = first.state;
    expect(claimTokenBudgetReminder(state, l0).claimed).toBe(false);
    const l1 = advanceLineage(l0);
    const afterAdvance = claimTokenBudgetReminder(state, l1);
    expect(afterAdvance.claimed).toBe(true);
    expect(claimTokenBudgetReminder(afterAdvance.state, l1).claimed).toBe(false);
  });
});
