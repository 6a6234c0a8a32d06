/**
 * A publish in a process of its own, for the fault-injection tests: `node -r ts-node/register/transpile-only
 * publish-child.ts <dir> <variant a|b> <kill at step, or -1> <times>` publishes variant's files `times` times
 * (alternating a and b after the first), and kills itself with SIGKILL before the given file operation.
 */
import { variantFiles } from './publish-variants';
import { publish, setBeforeStep } from '../../src/app/publish';

const [dir, variant, killAt, times] = process.argv.slice(2);
let step = 0;
setBeforeStep(() => {
  if (step++ === Number(killAt)) process.kill(process.pid, 'SIGKILL');
});
for (let i = 0; i < Number(times ?? 1); i++) {
  const v = i % 2 === 0 ? variant : (variant === 'a' ? 'b' : 'a');
  publish(dir, variantFiles(v as 'a' | 'b'));
}
