import * as path from 'path';

/**
 * The compiled library (lib/, built by `npm run bench` first), as users run it: no ts-node in the measured
 * path. Typed from the sources so the benchmark type-checks before anything is compiled.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const lib: typeof import('../src') = require(path.resolve(__dirname, '../lib/src'));
