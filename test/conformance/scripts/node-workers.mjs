// Node: worker_threads (three workers computing in parallel) and
// child_process (execFileSync, spawn with a pipe, a child killed by SIGTERM),
// ending with exit code 5.
import { execFileSync, spawn } from 'node:child_process';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

if (isMainThread) {
  const results = await Promise.all(
    [1, 2, 3].map(
      (n) =>
        new Promise((resolve, reject) => {
          const w = new Worker(new URL(import.meta.url), { workerData: n });
          w.on('message', resolve);
          w.on('error', reject);
        }),
    ),
  );
  console.log('workers:', results.join(' '));
  console.log('execFileSync:', execFileSync('sh', ['-c', 'echo $((6 * 7))'], { encoding: 'utf8' }).trim());
  const c = spawn('sh', ['-c', 'read x; echo "sh got: $x"; echo "to stderr" >&2; exit 3'], { stdio: ['pipe', 'inherit', 'inherit'] });
  c.stdin.end('a line\n');
  console.log('spawn: exit code', await new Promise((r) => c.on('close', r)));
  const k = spawn('sleep', ['10']);
  k.kill('SIGTERM');
  console.log('killed child:', await new Promise((r) => k.on('close', (_code, sig) => r(sig))));
  process.exitCode = 5;
} else {
  let s = 0;
  for (let i = 0; i < 1e6 * workerData; i++) s += i;
  parentPort.postMessage(`${workerData}:${s}`);
}
