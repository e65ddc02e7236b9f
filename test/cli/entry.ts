// Subprocess entry for CLI tests: runs the CLI from the TypeScript sources (via tsx), exactly as
// bin/thread-store.js runs the built one, so tests do not depend on a fresh `dist/`.
import { main } from '../../src/cli/main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
