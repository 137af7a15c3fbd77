/** Runs the real `ringmoe-edge` executable (bin/ringmoe-edge.js) in a child process. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './shared-data.js';

const exec = promisify(execFile);
const BIN = join(REPO_ROOT, 'bin', 'ringmoe-edge.js');

/** The exit code, stdout and stderr of `ringmoe-edge <args>`, run from the repository root. */
export async function runCliProcess(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      maxBuffer: 1 << 24,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
