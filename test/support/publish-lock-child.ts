/**
 * Takes the publish lock again and again, for the lock tests: `node -r ts-node/register/transpile-only
 * publish-lock-child.ts <dir> <marker> <rounds> <go file> <dead pid>` prints `ready`, waits for `go file`, then
 * `rounds` times takes the lock of `dir`, proves it is alone (creates `marker` exclusively: exit 3 when another
 * holder has it), and either releases the lock or, every other round, dies holding it as far as the others can
 * tell: it replaces the lock file with a stale one (the pid of a synth that is gone, or garbage), so that the
 * others all find it stale at once and race to take it over.
 */
import * as fs from 'fs';
import { lock, lockFile } from '../../src/app/publish';

const [dir, marker, rounds, go, deadPid] = process.argv.slice(2);
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
process.stdout.write('ready\n');
while (!fs.existsSync(go)) sleep(2);
for (let i = 0; i < Number(rounds); i++) {
  const release = lock(dir, 60_000);
  try {
    fs.writeFileSync(marker, String(process.pid), { flag: 'wx' });
  } catch (e: any) {
    process.stderr.write(`two holders of the lock at once (${e.code}: ${fs.readFileSync(marker, 'utf8')} and ${process.pid})\n`);
    process.exit(3);
  }
  sleep(1);
  fs.rmSync(marker);
  if (i % 2 === 0) {
    const tmp = `${lockFile(dir)}.test-${process.pid}`;
    fs.writeFileSync(tmp, i % 4 === 0 ? deadPid : 'not a pid\n');
    fs.renameSync(tmp, lockFile(dir));
  } else {
    release();
  }
}
