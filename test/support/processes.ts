import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const READY = 'efa worker: delivering';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One `efa worker` child process, as an operator would start it. */
export interface WorkerProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<Exit>;
  readonly running: boolean;
  kill(signal: NodeJS.Signals): void;
}

const started = new Set<WorkerProcess>();

/**
 * Starts `node bin/efa.js worker` with exactly `env` (plus PATH) and resolves
 * once it prints that it is delivering. Its output is kept (and echoed with EFA_TEST_VERBOSE=1).
 */
export async function startWorkerProcess(name: string, env: Record<string, string>, args: string[] = [], readyTimeoutMs = 180_000): Promise<WorkerProcess> {
  // bin/efa.js, as `npx efa` and the image run it: the compiled build while it is current, else tsx.
  const child = spawn(process.execPath, ['bin/efa.js', 'worker', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const verbose = process.env.EFA_TEST_VERBOSE === '1';
  const collect = (d: Buffer) => {
    out += d.toString();
    if (verbose) process.stderr.write(d.toString().replace(/^(?=.)/gm, `[${name} ${child.pid}] `));
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const proc: WorkerProcess = {
    name,
    pid: child.pid as number,
    child,
    output: () => out,
    exited,
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    kill: (signal) => {
      child.kill(signal);
    },
  };
  started.add(proc);
  void exited.then(() => started.delete(proc));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not get ready within ${readyTimeoutMs} ms:\n${out}`)), readyTimeoutMs);
    const onData = () => {
      if (!out.includes(READY)) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve();
    };
    child.stdout?.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? code}) before it was ready:\n${out}`));
    });
  });
  return proc;
}

/** Kills every worker process still running (cleanup after a test, passed or not). */
export async function killAllWorkerProcesses(): Promise<void> {
  const left = [...started];
  for (const proc of left) if (proc.running) proc.kill('SIGKILL');
  await Promise.all(left.map((p) => p.exited));
}
