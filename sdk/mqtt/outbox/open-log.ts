/**
 * Opening a {@link FileOutbox}: the options checked, the directory created and locked, the log
 * replayed (log-replay.ts) and, when it held damage or is version 1, rewritten.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgeError, messageOf } from '../../core/errors.js';
import { expectInteger, expectString, invalidOption, is, rejectUnknownKeys } from '../../core/validate.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { acquirePidLock, type PidLock } from '../../core/pid-lock.js';
import { resolveOutboxLimits, type OutboxLimits } from './outbox.js';
import { FRAME_BYTES, type MetaRecord } from './log-format.js';
import { PendingQueue } from './queue.js';
import { compactLog, type Slot } from './log-io.js';
import { recoverLog, type FileOutboxRecovery, type OutboxDamage, type RecoveredLog } from './log-replay.js';
import { mqttLog as log } from '../log.js';

/**
 * When the log is fsynced:
 * - `'always'`: before an append resolves (group commit: one fdatasync per batch). Survives power loss.
 * - `{ intervalMs }`: appends resolve once written (survive a process crash or kill -9); an fsync
 *   runs every `intervalMs`, so power loss can lose at most that window.
 * - `'never'`: only at close; the OS decides. Survives kill -9, not power loss.
 */
export type FsyncPolicy = 'always' | 'never' | { intervalMs: number };

/** Options of {@link FileOutbox.open}. */
export interface FileOutboxOptions {
  /** Directory of the log; created if missing. One process at a time (a LOCK file guards it). */
  dir: string;
  limits?: Partial<OutboxLimits>;
  /** Default `'always'`. */
  fsync?: FsyncPolicy;
  /** Bytes of recent entries kept in memory to send without reading the disk. Default 8 MiB. */
  cacheBytes?: number;
  /** Never compact a log smaller than this. Default 4 MiB. */
  compactMinBytes?: number;
  clock?: Clock;
  /**
   * Told about each record found damaged after open (a record that fails its checksum when read
   * back). Damage found at open is in {@link FileOutbox.recovery}.
   */
  onDamage?: (damage: OutboxDamage) => void;
}

/** Name of the log file in the outbox directory. */
export const LOG_NAME = 'outbox.log';

/** The options of {@link FileOutbox.open} with every default filled in. */
export type FileOutboxSettings = Required<Omit<FileOutboxOptions, 'dir' | 'limits' | 'onDamage'>> &
  Pick<FileOutboxOptions, 'onDamage'>;

/** An opened, locked and replayed outbox directory. */
export interface OpenedLog {
  dir: string;
  settings: FileOutboxSettings;
  lock: PidLock;
  state: { fh: RecoveredLog['fh']; end: number; queue: PendingQueue<Slot>; recovery: FileOutboxRecovery };
}

/**
 * Checks `options`, creates and locks the directory, replays the log into a new queue and rewrites
 * a damaged or version-1 log.
 * @throws EdgeError E_INVALID_ARGUMENT (options), E_OUTBOX (the directory is locked by a live
 *   process, the file is not an outbox log, or I/O failed)
 * @internal
 */
export async function openLog(options: FileOutboxOptions): Promise<OpenedLog> {
  const { dir, limits, settings } = resolveOptions(options);
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new EdgeError('E_OUTBOX', `cannot create the outbox directory: ${messageOf(err)}`, { file: dir, cause: err });
  }
  const lock = await acquirePidLock(join(dir, 'LOCK'), {
    code: 'E_OUTBOX',
    subject: 'outbox directory',
    hint: 'give each publisher its own stateDir',
  });
  try {
    await rm(join(dir, `${LOG_NAME}.compact`), { force: true });
    const queue = new PendingQueue<Slot>(limits);
    const state = await recoverLog(join(dir, LOG_NAME), queue, settings.cacheBytes, () => settings.clock.now());
    if (state.recovery.truncatedBytes > 0)
      log('FileOutbox.open :: cut %d bytes from %s: %s', state.recovery.truncatedBytes, dir, state.recovery.reason);
    for (const d of state.recovery.damaged)
      log(
        'FileOutbox.open :: damaged span of %d bytes at %d (%d records) in %s: %s',
        d.bytes,
        d.offset,
        d.records,
        dir,
        d.reason,
      );
    if (state.rewrite) await rewriteAtOpen(dir, state, queue);
    return { dir, settings, lock, state: { ...state, queue } };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/**
 * Rewrites the log without the damage (or as version 2): a version-1 log must be converted before
 * anything is appended; a failed rewrite of a damaged version-2 log only costs the space.
 */
async function rewriteAtOpen(dir: string, state: RecoveredLog, queue: PendingQueue<Slot>): Promise<void> {
  const meta: MetaRecord = { nextSeq: queue.nextSeq, ...queue.counters };
  try {
    Object.assign(state, await compactLog(dir, LOG_NAME, state.fh, queue, meta, state.frameBytes));
  } catch (err) {
    if (state.frameBytes !== FRAME_BYTES) {
      await state.fh.close().catch(() => undefined);
      throw err;
    }
    log('FileOutbox.open :: rewriting the damaged log failed, going on with it: %s', messageOf(err));
  }
}

function resolveOptions(options: FileOutboxOptions): {
  dir: string;
  limits: OutboxLimits;
  settings: FileOutboxSettings;
} {
  if (!is.object(options)) throw invalidOption('options', 'an object', options);
  rejectUnknownKeys('options', options as Record<string, unknown>, [
    'dir',
    'limits',
    'fsync',
    'cacheBytes',
    'compactMinBytes',
    'clock',
    'onDamage',
  ]);
  if (options.onDamage !== undefined && typeof options.onDamage !== 'function')
    throw invalidOption('options.onDamage', 'a function', options.onDamage);
  const dir = expectString('options.dir', options.dir);
  const limits = resolveOutboxLimits(options.limits, 'options.limits');
  const settings = {
    fsync: resolveFsync(options.fsync),
    cacheBytes:
      options.cacheBytes === undefined ? 8 * 1024 * 1024 : expectInteger('options.cacheBytes', options.cacheBytes, 0),
    compactMinBytes:
      options.compactMinBytes === undefined
        ? 4 * 1024 * 1024
        : expectInteger('options.compactMinBytes', options.compactMinBytes, 0),
    clock: options.clock ?? systemClock,
    ...(options.onDamage ? { onDamage: options.onDamage } : {}),
  };
  return { dir, limits, settings };
}

function resolveFsync(value: unknown): FsyncPolicy {
  if (value === undefined) return 'always';
  if (value === 'always' || value === 'never') return value;
  if (is.object(value) && Object.keys(value).length === 1 && 'intervalMs' in value) {
    return { intervalMs: expectInteger('options.fsync.intervalMs', value.intervalMs, 1, 3_600_000) };
  }
  throw invalidOption('options.fsync', '"always", "never" or { intervalMs: <integer> }', value);
}
