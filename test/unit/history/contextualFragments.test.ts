// Classification of injected context vs typed user input (Codex ContextualUserFragment registry and
// CONTEXTUAL_DEVELOPER_PREFIXES), checked against hand-made fragments and the real 0.169 sample.
import { describe, expect, it } from 'vitest';
import {
  CONTEXTUAL_DEVELOPER_PREFIXES,
  SUMMARY_PREFIX,
  isContextualDeveloperText,
  isContextualUserText,
  isRealUserMessage,
  isUserTurnBoundary,
  userMessageText,
} from '../../../src/history/index.js';
import { asRecord } from '../../../src/model/rolloutLine.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SNIPPETS, assistantMsg, developerMsg, envContext, sampleRollouts, userMsg } from './builders.js';

describe('isContextualUserText', () => {
  it.each([
    ['environment context', '<environment_context>\n  <cwd>/w</cwd>\n</environment_context>'],
    ['environment context, older prefix-only form, any case', '  <ENVIRONMENT_CONTEXT>cwd=/tmp'],
    ['legacy user instructions', '<user_instructions>\nbe nice\n</user_instructions>'],
    ['AGENTS.md instructions', '# AGENTS.md instructions for /repo\n\n<INSTRUCTIONS>\ndo things\n</INSTRUCTIONS>'],
    ['turn aborted marker', '<turn_aborted>\nThe user interrupted the previous turn on purpose.\n</turn_aborted>'],
    ['skill', '<skill>\n<name>x</name>\n</skill>'],
    ['user shell command', '<user_shell_command>\n<command>ls</command>\n</user_shell_command>'],
    ['subagent notification', '<subagent_notification>\n{"agent_path":"a"}\n</subagent_notification>'],
    ['hook additional context', '<external_ticket>ABC-1</external_ticket>'],
    ['hook prompt', '<hook_prompt hook_run_id="run-1">check it</hook_prompt>'],
    ['internal model context', '<codex_internal_context source="goal_v2">x</codex_internal_context>'],
    ['token budget in a user message', '<token_budget>\nYou have 5 tokens left in this context window.\n</token_budget>'],
    ['context window fragment', '<context_window>\nThread id: t\n</context_window>'],
    ['legacy unified exec warning', 'Warning: The maximum number of unified exec processes you can keep open is 8.'],
  ])('recognises %s', (_name, text) => {
    expect(isContextualUserText(text)).toBe(true);
  });

  it.each([
    ['plain text', 'Fix the failing build in src/main.rs'],
    ['a marker mentioned mid-sentence', 'why does <environment_context> show up?'],
    ['an opening marker without its closing marker', '<skill> please add one'],
    ['a hook prompt without a run id', '<hook_prompt hook_run_id=" ">x</hook_prompt>'],
    ['an image wrapper tag', '<image name=[Image #1]>'],
  ])('does not treat %s as contextual', (_name, text) => {
    expect(isContextualUserText(text)).toBe(false);
  });
});

describe('isContextualDeveloperText', () => {
  it('recognises every §8.4 developer prefix, including the legacy <token_budget>', () => {
    for (const prefix of CONTEXTUAL_DEVELOPER_PREFIXES) expect(isContextualDeveloperText(`${prefix}\nbody`)).toBe(true);
    expect(CONTEXTUAL_DEVELOPER_PREFIXES).toContain('<token_budget>');
  });

  it('does not treat ordinary developer instructions as contextual', () => {
    expect(isContextualDeveloperText('Always answer in French.')).toBe(false);
  });
});

describe('isRealUserMessage / isUserTurnBoundary', () => {
  it('counts a typed user message, including one with an image wrapper around an image', () => {
    const pasted = JSON.parse(readFileSync(join(SNIPPETS, 'rollout_copy_paste_local_image.json'), 'utf8'));
    expect(isRealUserMessage(userMsg('hello'))).toBe(true);
    expect(isRealUserMessage(pasted)).toBe(true);
    expect(userMessageText(pasted)).toBe('pasted image');
  });

  it('rejects injected user messages, compaction summaries, and non-user roles', () => {
    expect(isRealUserMessage(envContext())).toBe(false);
    expect(isRealUserMessage(userMsg(`${SUMMARY_PREFIX}\nsummary`))).toBe(false);
    expect(isRealUserMessage(assistantMsg('hi'))).toBe(false);
    expect(isRealUserMessage(developerMsg('hi'))).toBe(false);
    expect(isRealUserMessage({ type: 'function_call', name: 'shell' })).toBe(false);
  });

  it('treats a message as contextual when any text part is a fragment (Codex `any`)', () => {
    const mixed = { type: 'message', role: 'user', content: [...envContext().content, { type: 'input_text', text: 'hi' }] };
    expect(isRealUserMessage(mixed)).toBe(false);
  });

  it('opens a user turn for real user messages and inter-agent messages only', () => {
    expect(isUserTurnBoundary(userMsg('hi'))).toBe(true);
    expect(isUserTurnBoundary({ type: 'agent_message', author: '/root/a', recipient: '/root', content: [] })).toBe(true);
    const envelope = JSON.stringify({ author: '/root/a', recipient: '/root', content: 'do it', trigger_turn: true });
    expect(isUserTurnBoundary(assistantMsg(envelope))).toBe(true);
    expect(isUserTurnBoundary(assistantMsg('a normal reply'))).toBe(false);
    expect(isUserTurnBoundary(envContext())).toBe(false);
    expect(isUserTurnBoundary(developerMsg('<token_budget>\nYou have 1 tokens left in this context window.\n</token_budget>'))).toBe(false);
  });
});

describe('real Codex 0.169 sample', () => {
  it('counts exactly the user messages Codex itself reported (environment context, shell commands, interrupt markers and notifications excluded)', () => {
    let total = 0;
    for (const { path, lines } of sampleRollouts()) {
      const counted = lines.filter((l) => l.type === 'response_item' && isRealUserMessage(l.payload)).length;
      // Codex 0.169 emits one `item_completed` UserMessage per message the user typed.
      const reported = lines.filter(
        (l) => l.type === 'event_msg' && asRecord(asRecord(l.payload)?.item)?.type === 'UserMessage',
      ).length;
      expect(counted, path).toBe(reported);
      total += counted;
    }
    expect(total).toBeGreaterThan(60);
  });

  it('classifies every developer message of the sample as injected context', () => {
    for (const { lines } of sampleRollouts()) {
      for (const l of lines) {
        const p = asRecord(l.payload);
        if (l.type !== 'response_item' || p?.type !== 'message' || p.role !== 'developer') continue;
        const text = asRecord((p.content as unknown[])[0])?.text as string;
        expect(isContextualDeveloperText(text)).toBe(true);
      }
    }
  });
});
