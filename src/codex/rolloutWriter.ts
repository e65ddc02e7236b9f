// Owns writing rollout files the way Codex lays them out (§4.5): names
// `rollout-YYYY-MM-DDThh-mm-ss-<thread>[_<segment>].jsonl`, active files under
// `sessions/YYYY/MM/DD/`, archived ones flat in `archived_sessions/`, one compact JSON object per
// line terminated by `\n` (JSON.stringify escapes exactly what serde_json escapes, and leaves
// U+2028/U+2029/U+0085 raw, as Codex does).
//
// Time zone: Codex uses the writer's LOCAL wall clock for the name and the date folders, and its
// own parser reads the name back as UTC. To be deterministic we default to UTC (then the name
// round-trips exactly through `parseRolloutFileName`); pass `timeZone: 'local'` or an IANA zone to
// mimic a particular machine.
import { createWriteStream } from 'node:fs';
import { link, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConflictError, InvalidRequestError } from '../model/errors.js';
import { isUuid } from '../model/ids.js';
import { parseRolloutLine, type RolloutLine } from '../model/rolloutLine.js';
import { ARCHIVED_SESSIONS_SUBDIR, SESSIONS_SUBDIR } from './codexHome.js';

export interface RolloutNameOptions {
  /** `'UTC'` (default), `'local'` (the process's zone, like Codex) or an IANA zone name such as `Europe/Paris`. */
  timeZone?: string;
  /** Append `.zst` to the name. */
  compressed?: boolean;
}

interface WallClock {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function wallClock(date: Date, timeZone: string | undefined): WallClock {
  if (Number.isNaN(date.getTime())) throw new InvalidRequestError('invalid date', { path: 'createdAt' });
  const zone = timeZone ?? 'UTC';
  if (zone === 'UTC') {
    return {
      year: pad(date.getUTCFullYear(), 4),
      month: pad(date.getUTCMonth() + 1),
      day: pad(date.getUTCDate()),
      hour: pad(date.getUTCHours()),
      minute: pad(date.getUTCMinutes()),
      second: pad(date.getUTCSeconds()),
    };
  }
  if (zone === 'local') {
    return {
      year: pad(date.getFullYear(), 4),
      month: pad(date.getMonth() + 1),
      day: pad(date.getDate()),
      hour: pad(date.getHours()),
      minute: pad(date.getMinutes()),
      second: pad(date.getSeconds()),
    };
  }
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).formatToParts(date);
  } catch (error) {
    throw new InvalidRequestError(`unknown time zone ${JSON.stringify(zone)}`, { path: 'timeZone', cause: error });
  }
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '00';
  return {
    year: get('year').padStart(4, '0'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
}

function checkId(value: string, where: string): string {
  if (!isUuid(value)) throw new InvalidRequestError('expected a UUID', { path: where });
  return value.toLowerCase();
}

/** `rollout-YYYY-MM-DDThh-mm-ss-<threadId>[_<segmentId>].jsonl[.zst]` (see the module comment for the zone). */
export function rolloutFileName(
  createdAt: Date,
  threadId: string,
  segmentId?: string | null,
  options: RolloutNameOptions = {},
): string {
  const c = wallClock(createdAt, options.timeZone);
  const thread = checkId(threadId, 'threadId');
  const segment = segmentId === undefined || segmentId === null ? '' : `_${checkId(segmentId, 'segmentId')}`;
  const ext = options.compressed ? '.jsonl.zst' : '.jsonl';
  return `rollout-${c.year}-${c.month}-${c.day}T${c.hour}-${c.minute}-${c.second}-${thread}${segment}${ext}`;
}

export interface RolloutPathOptions extends RolloutNameOptions {
  /** Prefix the result with this CODEX_HOME (else the path is relative to it). */
  codexHome?: string;
}

/** `sessions/YYYY/MM/DD/<rolloutFileName>` (date folders in the same zone as the name). */
export function sessionsPathFor(
  createdAt: Date,
  threadId: string,
  segmentId?: string | null,
  options: RolloutPathOptions = {},
): string {
  const c = wallClock(createdAt, options.timeZone);
  const rel = join(SESSIONS_SUBDIR, c.year, c.month, c.day, rolloutFileName(createdAt, threadId, segmentId, options));
  return options.codexHome === undefined ? rel : join(options.codexHome, rel);
}

/** `archived_sessions/<rolloutFileName>` (flat, no date folders). */
export function archivedPathFor(
  createdAt: Date,
  threadId: string,
  segmentId?: string | null,
  options: RolloutPathOptions = {},
): string {
  const rel = join(ARCHIVED_SESSIONS_SUBDIR, rolloutFileName(createdAt, threadId, segmentId, options));
  return options.codexHome === undefined ? rel : join(options.codexHome, rel);
}

/** A line timestamp as Codex writes it: `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC, milliseconds). */
export function formatRolloutTimestamp(date: Date): string {
  return date.toISOString();
}

/** One rollout line as written: compact JSON + `\n`. */
export function formatRolloutLine(line: RolloutLine): string {
  return `${JSON.stringify(line)}\n`;
}

export interface WriteRolloutOptions {
  /** Replace an existing file (default false: ConflictError when `path` exists). */
  overwrite?: boolean;
  /** Create missing parent folders (default true). */
  mkdir?: boolean;
  /** Validate each line with `parseRolloutLine` and require a string `timestamp` (default true). */
  validate?: boolean;
  /** fsync the file before it becomes visible under `path` (default true). */
  fsync?: boolean;
  /** Called after each line with its byte offsets (for `history_base.end_byte_offset` of forks). */
  onLine?: (info: { index: number; byteOffset: number; endByteOffset: number }) => void;
}

export interface WriteRolloutResult {
  readonly path: string;
  readonly lines: number;
  readonly bytes: number;
}

/**
 * Stream `lines` to a rollout file. The content goes to a temp file in the same folder that
 * appears under `path` only when complete (atomic for readers such as a running Codex).
 */
export async function writeRolloutFile(
  path: string,
  lines: Iterable<RolloutLine> | AsyncIterable<RolloutLine>,
  options: WriteRolloutOptions = {},
): Promise<WriteRolloutResult> {
  const { overwrite = false, validate = true, fsync = true, onLine } = options;
  if (options.mkdir ?? true) await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  const stream = createWriteStream(temp, { flags: 'wx' });
  let count = 0;
  let bytes = 0;
  let streamError: Error | null = null;
  stream.on('error', (error) => {
    streamError = error;
  });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  try {
    await opened;
    for await (const line of lines) {
      if (streamError) throw streamError;
      if (validate) {
        parseRolloutLine(line, `lines[${count}]`);
        if (typeof line.timestamp !== 'string') {
          throw new InvalidRequestError('expected a string', { path: `lines[${count}].timestamp` });
        }
      }
      const text = formatRolloutLine(line);
      const size = Buffer.byteLength(text, 'utf8');
      onLine?.({ index: count, byteOffset: bytes, endByteOffset: bytes + size });
      bytes += size;
      count += 1;
      if (!stream.write(text, 'utf8')) {
        await new Promise<void>((resolve, reject) => {
          const onDrain = (): void => {
            stream.off('error', onError);
            resolve();
          };
          const onError = (error: Error): void => {
            stream.off('drain', onDrain);
            reject(error);
          };
          stream.once('drain', onDrain);
          stream.once('error', onError);
        });
      }
    }
    await new Promise<void>((resolve, reject) => {
      stream.end((error?: Error | null) => (error ? reject(error) : resolve()));
    });
    if (streamError) throw streamError;
    if (fsync) {
      const handle = await open(temp, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    if (overwrite) {
      await rename(temp, path);
    } else {
      try {
        await link(temp, path); // fails atomically with EEXIST
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new ConflictError('rollout file already exists', { path });
        }
        throw error;
      }
      await rm(temp, { force: true });
    }
  } catch (error) {
    stream.destroy();
    await rm(temp, { force: true });
    throw error;
  }
  return { path, lines: count, bytes };
}
