// Owns turning the item of an `item_completed` rollout event (Codex core `TurnItem`, snake_case,
// `{"type":"AgentMessage",…}`) into the app-server `ThreadItem` Codex projects into
// thread_history_1.sqlite and answers in `thread/read` (camelCase, `{"type":"agentMessage",…}`), with
// Codex's key order. The shapes were read from what Codex 0.169 and 0.171 wrote for the real samples
// (userMessage, agentMessage, reasoning, commandExecution, fileChange, collabAgentToolCall,
// contextCompaction — test/unit/codex/historyProjection.test.ts compares every projected item of both
// samples byte for byte). Other item types get the generic mapping Codex's serde derives use
// (variant and field names camelCased), kept whole.
import { fileURLToPath } from 'node:url';
import { asRecord } from '../../model/rolloutLine.js';
import { shlexJoin } from './shlex.js';

/** An app-server ThreadItem as JSON (`type` plus the variant's fields). */
export type ThreadItemJson = { type: string; id: string } & Record<string, unknown>;

type Json = Record<string, unknown>;

/** `snake_case` / `PascalCase` → `camelCase`. */
export function camelCase(name: string): string {
  const lower = name.length > 0 && /[A-Z]/.test(name[0]!) && !name.includes('_') ? name[0]!.toLowerCase() + name.slice(1) : name;
  return lower.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Keys camelCased all the way down (what `#[serde(rename_all = "camelCase")]` does to a struct). */
function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  const record = asRecord(value);
  if (!record) return value;
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [camelCase(k), camelKeys(v)]));
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const orNull = (v: unknown): unknown => (v === undefined ? null : v);

/** A core path that may be a `file://` URI (0.169 writes command cwds that way) as a plain path. */
function plainPath(value: unknown): string | null {
  const s = str(value);
  if (s === null) return null;
  if (!s.startsWith('file://')) return s;
  try {
    return fileURLToPath(s);
  } catch {
    return s;
  }
}

/** `AbsolutePathBuf::join`: an absolute path replaces the base. */
function joinPath(base: string, path: string): string {
  if (path.startsWith('/')) return path;
  return base.endsWith('/') ? base + path : `${base}/${path}`;
}

/** Core `Duration` `{secs, nanos}` (or a number of ms) → whole milliseconds. */
function durationMs(value: unknown): number | null {
  const n = num(value);
  if (n !== null) return n;
  const d = asRecord(value);
  if (!d) return null;
  const secs = num(d.secs) ?? 0;
  const nanos = num(d.nanos) ?? 0;
  return secs * 1000 + Math.floor(nanos / 1_000_000);
}

function userInput(input: unknown): unknown {
  const c = asRecord(input);
  if (!c) return input;
  switch (c.type) {
    case 'text':
      return { type: 'text', text: c.text, text_elements: c.text_elements ?? [] };
    case 'image':
      return { type: 'image', url: c.image_url ?? c.url, detail: orNull(c.detail) };
    case 'local_image':
      return { type: 'localImage', detail: orNull(c.detail), path: c.path };
    default: {
      const out: Json = { type: camelCase(String(c.type)) };
      for (const [k, v] of Object.entries(c)) if (k !== 'type') out[k] = v;
      return out;
    }
  }
}

function commandAction(action: unknown, cwd: string | null): unknown {
  const a = asRecord(action);
  if (!a) return action;
  const command = a.cmd ?? a.command;
  switch (a.type) {
    case 'read': {
      const path = str(a.path);
      return { type: 'read', command, name: a.name, path: path !== null && cwd !== null ? joinPath(cwd, path) : a.path };
    }
    case 'list_files':
      return { type: 'listFiles', command, path: orNull(a.path) };
    case 'search':
      return { type: 'search', command, query: orNull(a.query), path: orNull(a.path) };
    case 'unknown':
      return { type: 'unknown', command };
    default:
      return camelKeys({ ...a, type: camelCase(String(a.type)) });
  }
}

/** Core `PatchApplyStatus` / `ExecCommandStatus` / … spelling → app-server spelling. */
const status = (v: unknown): unknown => (typeof v === 'string' ? camelCase(v) : orNull(v));

function fileChanges(changes: unknown): unknown[] {
  const map = asRecord(changes);
  if (!map) return Array.isArray(changes) ? changes : [];
  // Codex `convert_patch_changes`: one entry per path, sorted by path.
  return Object.keys(map)
    .sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))))
    .map((path) => {
      const change = asRecord(map[path]) ?? {};
      const type = String(change.type ?? 'update');
      if (type === 'add') return { path, kind: { type: 'add' }, diff: change.content ?? '' };
      if (type === 'delete') return { path, kind: { type: 'delete' }, diff: change.content ?? '' };
      const movePath = str(change.move_path);
      const diff = String(change.unified_diff ?? '');
      return { path, kind: { type: 'update', move_path: movePath }, diff: movePath === null ? diff : `${diff}\n\nMoved to: ${movePath}` };
    });
}

/** Core `AgentStatus` (`"pending_init"`, `{"completed": "text"}`, …) → `{status, message}`. */
function agentState(state: unknown): unknown {
  if (typeof state === 'string') return { status: camelCase(state), message: null };
  const s = asRecord(state);
  if (s) {
    const [key] = Object.keys(s);
    if (key !== undefined && Object.keys(s).length === 1) {
      const message = s[key];
      return { status: camelCase(key), message: typeof message === 'string' ? message : orNull(message) };
    }
  }
  return state;
}

/** The app-server ThreadItem of a core TurnItem, or null when the value is not an item. */
export function threadItemFromCore(coreItem: unknown): ThreadItemJson | null {
  const item = asRecord(coreItem);
  const type = str(item?.type);
  const id = str(item?.id);
  if (!item || type === null || id === null) return null;
  switch (type) {
    case 'UserMessage':
      return { type: 'userMessage', id, clientId: orNull(item.client_id), content: Array.isArray(item.content) ? item.content.map(userInput) : [] };
    case 'AgentMessage': {
      const parts = Array.isArray(item.content) ? item.content : [];
      const text = parts.map((p) => (asRecord(p)?.type === 'Text' ? String(asRecord(p)!.text ?? '') : '')).join('');
      const citation = asRecord(item.memory_citation);
      return {
        type: 'agentMessage',
        moderation: orNull(item.moderation),
        id,
        text,
        phase: orNull(item.phase),
        memoryCitation: citation ? { entries: camelKeys(citation.entries ?? []), threadIds: citation.rollout_ids ?? citation.thread_ids ?? [] } : null,
        delivery: orNull(item.delivery),
        questions: orNull(item.questions),
      };
    }
    case 'Reasoning':
      return { type: 'reasoning', id, summary: item.summary_text ?? [], content: item.raw_content ?? [] };
    case 'CommandExecution': {
      const cwd = plainPath(item.cwd);
      const argv = Array.isArray(item.command) ? item.command.map(String) : null;
      return {
        type: 'commandExecution',
        id,
        pluginId: orNull(item.plugin_id),
        scriptPath: orNull(item.script_path),
        command: argv ? shlexJoin(argv) : String(item.command ?? ''),
        cwd,
        processId: orNull(item.process_id),
        source: typeof item.source === 'string' ? camelCase(item.source) : 'agent',
        status: status(item.status),
        commandActions: Array.isArray(item.parsed_cmd) ? item.parsed_cmd.map((a) => commandAction(a, cwd)) : [],
        aggregatedOutput: orNull(item.aggregated_output),
        exitCode: orNull(item.exit_code),
        durationMs: durationMs(item.duration),
      };
    }
    case 'FileChange':
      return { type: 'fileChange', id, changes: fileChanges(item.changes), status: status(item.status) };
    case 'CollabAgentToolCall': {
      const states = asRecord(item.agents_states) ?? {};
      return {
        type: 'collabAgentToolCall',
        id,
        tool: typeof item.tool === 'string' ? camelCase(item.tool) : item.tool,
        status: status(item.status),
        senderThreadId: item.sender_thread_id,
        receiverThreadIds: item.receiver_thread_ids ?? [],
        prompt: orNull(item.prompt),
        model: orNull(item.model),
        reasoningEffort: orNull(item.reasoning_effort),
        agentsStates: Object.fromEntries(Object.entries(states).map(([k, v]) => [k, agentState(v)])),
      };
    }
    case 'ContextCompaction':
      return { type: 'contextCompaction', id };
    default: {
      // Variants seen in no sample: serde's derive renames the variant and its fields to camelCase.
      const out = camelKeys(item) as Json;
      return { ...out, type: camelCase(type), id };
    }
  }
}
