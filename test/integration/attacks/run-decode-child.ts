/**
 * Runs decode-child.ts in its own process and reads back its one JSON line: the outcome of each
 * frame and the peak resident set above the idle process.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../helpers/shared-data.js';

const exec = promisify(execFile);
const CHILD = join(REPO_ROOT, 'test', 'integration', 'attacks', 'decode-child.ts');

/** What the child reports. */
export interface ChildResult {
  results: Array<{
    ok: boolean;
    code?: string;
    message?: string;
    source?: { width: number; height: number };
    decoded?: { width: number; height: number; method: string };
  }>;
  idle: number;
  peakAboveIdle: number;
  ms: number;
  threads?: number;
}

/** Child flags: fit (default resize), sensor preset, input side (default 64). */
export interface ChildFlags {
  fit?: 'resize' | 'resize-crop' | 'tile';
  sensor?: string;
  size?: number;
}

/**
 * Preprocesses `copies` frames of `source` in a child process.
 * @param source a file path, or raw:WxH for a raw uint8 frame the child builds
 */
export async function runChild(
  mode: 'sdk' | 'pool',
  source: string,
  modality: string,
  copies = 1,
  threads?: number,
  flags: ChildFlags = {},
): Promise<ChildResult> {
  const extra = Object.entries(flags).map(([k, v]) => `--${k}=${String(v)}`);
  // The heap cap is far above the bound: a regression shows as a failed bound, or as this child's
  // out-of-memory exit, not as the test machine running out of memory.
  const { stdout } = await exec(
    process.execPath,
    ['--import', 'tsx', CHILD, mode, source, modality, String(copies), ...(threads ? [String(threads)] : []), ...extra],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=2048` },
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
}

/** Bytes as MiB for test logs. */
export const mib = (b: number): string => `${(b / 1048576).toFixed(0)} MiB`;
