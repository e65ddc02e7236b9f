// Owns the model-visible `<token_budget>` developer fragments in the #29256 format (§8.4(1)) and the
// "one reminder per context window" rule. The texts must match Codex byte for byte: they end up in
// rollouts, and both Codex and this store recognise them later by their markers.
import { InvalidRequestError } from '../model/errors.js';
import type { WindowLineage } from './windowLineage.js';

export const TOKEN_BUDGET_OPEN_MARKER = '<token_budget>\n';
export const TOKEN_BUDGET_CLOSE_MARKER = '\n</token_budget>';

export interface TokenBudgetLineageInput {
  threadId: string;
  firstWindowId: string;
  /** null/undefined renders as the literal `none` (the initial window has no predecessor). */
  previousWindowId?: string | null;
  windowId: string;
  tokensLeft: number;
}

function integer(value: number, what: string): string {
  // Codex formats an i64; a fractional or non-finite count would render text Codex never writes.
  if (!Number.isSafeInteger(value)) throw new InvalidRequestError('expected an integer', { path: what });
  return String(value);
}

function wrap(body: string): string {
  return `${TOKEN_BUDGET_OPEN_MARKER}${body}${TOKEN_BUDGET_CLOSE_MARKER}`;
}

/** Codex `TokenBudgetContext`: the 5-line lineage body wrapped in `<token_budget>` markers. */
export function renderTokenBudget(input: TokenBudgetLineageInput): string {
  const previous = input.previousWindowId ?? 'none';
  return wrap(
    [
      `Thread id ${input.threadId}.`,
      `First context window id ${input.firstWindowId}.`,
      `Previous context window id ${previous}.`,
      `Current context window id ${input.windowId}.`,
      `You have ${integer(input.tokensLeft, 'tokensLeft')} tokens left in this context window.`,
    ].join('\n'),
  );
}

/** The lineage fragment for a known window (convenience over `renderTokenBudget`). */
export function renderTokenBudgetForLineage(threadId: string, lineage: WindowLineage, tokensLeft: number): string {
  return renderTokenBudget({
    threadId,
    firstWindowId: lineage.firstWindowId,
    previousWindowId: lineage.previousWindowId,
    windowId: lineage.windowId,
    tokensLeft,
  });
}

/** Codex `TokenBudgetRemainingContext`: remaining tokens, or `unknown` when the window size is unknown. */
export function renderTokenBudgetRemaining(tokensLeft: number | null): string {
  const n = tokensLeft === null ? 'unknown' : integer(tokensLeft, 'tokensLeft');
  return wrap(`You have ${n} tokens left in this context window.`);
}

/** Codex `TokenBudgetReminder`: the configured template with every `{n_remaining}` substituted. */
export function renderTokenBudgetReminder(template: string, nRemaining: number): string {
  return wrap(template.replaceAll('{n_remaining}', integer(nRemaining, 'nRemaining')));
}

/** The developer message Codex records for a token-budget fragment (`ContextualUserFragment::into`). */
export function tokenBudgetDeveloperMessage(text: string): {
  type: 'message';
  role: 'developer';
  content: [{ type: 'input_text'; text: string }];
} {
  return { type: 'message', role: 'developer', content: [{ type: 'input_text', text }] };
}

/** Which window already received its reminder; `null` until the first one is delivered. */
export interface TokenBudgetReminderState {
  deliveredInWindowId: string | null;
}

/**
 * Codex `claim_token_budget_reminder`: true at most once per window. Keyed by window id rather than
 * a flag so that `advanceLineage` re-arms the reminder without the caller having to reset anything.
 */
export function claimTokenBudgetReminder(
  state: TokenBudgetReminderState,
  lineage: WindowLineage,
): { claimed: boolean; state: TokenBudgetReminderState } {
  if (state.deliveredInWindowId === lineage.windowId) return { claimed: false, state };
  return { claimed: true, state: { deliveredInWindowId: lineage.windowId } };
}
