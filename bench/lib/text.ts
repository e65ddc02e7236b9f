// Deterministic English-like message text for benchmarks: words drawn from a few hundred common
// and code-flavoured words with a fixed-seed generator, so every system stores the same bytes and
// a trigram index sees realistic variety (a repeated character would make text indexing look free).
const WORDS = (
  'the a to of and in is it you that for on this with be are as have not can we if at or was but ' +
  'what when will an your from they all there which do by one about so more would out up like has ' +
  'function return value error test build deploy config parser module import export class interface ' +
  'string number array object promise async await request response server client database query ' +
  'index table column migration schema tenant thread message token model provider session cache ' +
  'retry timeout latency throughput benchmark commit branch merge rebase review patch diff file path ' +
  'directory package version release dependency install update remove create delete list read write ' +
  'stream buffer encoding decode encode json yaml toml markdown html css script style layout render ' +
  'component state props hook effect reducer context router route handler middleware logger metric ' +
  'trace span event queue worker job schedule cron shard replica partition primary foreign key lock ' +
  'transaction isolation snapshot vacuum analyze explain plan scan filter sort join aggregate window ' +
  'because should could might must need want know think see look find fix check run start stop make ' +
  'first last next previous new old small large fast slow good bad right wrong true false null empty'
).split(' ');

/** Text of exactly `chars` characters (ASCII). */
export function benchText(chars: number, seed: number): string {
  let x = (seed * 2654435761) >>> 0 || 1;
  let out = '';
  while (out.length < chars) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out += `${WORDS[x % WORDS.length]}${x % 11 === 0 ? '. ' : ' '}`;
  }
  return out.slice(0, chars);
}
