/**
 * Positioned reads from a checkpoint file that is never loaded whole: the file is opened without
 * following links (a link is refused), every read names the file, and a read past the end is a
 * coded truncation error rather than a short buffer.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { EdgeError, messageOf } from '../../sdk/internal.js';

export class FileBytes {
  private constructor(
    /** The path as the user gave it (used in every error). */
    readonly file: string,
    private fd: number | undefined,
    /** Size in bytes when opened. */
    readonly size: number,
  ) {}

  /**
   * Opens `file` for reading. A symbolic link is refused (lstat, then O_NOFOLLOW so a link swapped
   * in between is refused too).
   * @throws EdgeError E_FILE_NOT_FOUND, E_PATH_UNSAFE (a link or not a regular file), E_IO
   */
  static open(file: string): FileBytes {
    let st;
    try {
      st = lstatSync(file);
    } catch (err) {
      throw new EdgeError('E_FILE_NOT_FOUND', `checkpoint not found: ${messageOf(err)}`, { file, cause: err });
    }
    if (st.isSymbolicLink())
      throw new EdgeError('E_PATH_UNSAFE', 'the checkpoint path is a symbolic link; give the file it points to', {
        file,
      });
    if (!st.isFile()) throw new EdgeError('E_PATH_UNSAFE', 'the checkpoint path is not a regular file', { file });
    let fd: number;
    try {
      fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOOP')
        throw new EdgeError('E_PATH_UNSAFE', 'the checkpoint path is a symbolic link; give the file it points to', {
          file,
          cause: err,
        });
      throw new EdgeError('E_IO', `cannot open checkpoint: ${messageOf(err)}`, { file, cause: err });
    }
    return new FileBytes(file, fd, fstatSync(fd).size);
  }

  /**
   * Exactly `length` bytes at `position`.
   * @throws EdgeError E_CHECKPOINT_TRUNCATED when the file ends first (`what` says what was being read)
   */
  read(position: number, length: number, what: string): Uint8Array {
    if (this.fd === undefined) throw new EdgeError('E_CLOSED', 'checkpoint reader is closed', { file: this.file });
    if (position < 0 || length < 0 || position + length > this.size) {
      throw new EdgeError(
        'E_CHECKPOINT_TRUNCATED',
        `${what}: needs bytes ${position}..${position + length} but the file has ${this.size}`,
        { file: this.file },
      );
    }
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = readSync(this.fd, out, done, length - done, position + done);
      } catch (err) {
        throw new EdgeError('E_IO', `reading ${what}: ${messageOf(err)}`, { file: this.file, cause: err });
      }
      if (n === 0)
        throw new EdgeError('E_CHECKPOINT_TRUNCATED', `${what}: the file ended at byte ${position + done}`, {
          file: this.file,
        });
      done += n;
    }
    return out;
  }

  /** Up to `length` bytes at `position` (fewer at the end of the file). */
  readUpTo(position: number, length: number, what: string): Uint8Array {
    return this.read(position, Math.max(0, Math.min(length, this.size - position)), what);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
