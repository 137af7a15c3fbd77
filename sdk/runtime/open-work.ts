/**
 * The work a runtime has in flight: running streams and single calls. close() stops admitting,
 * stops every stream and waits for all of it before anything is freed.
 */
import type { StreamHandle } from '../pipeline/stream.js';

/**
 * Streams and calls in flight, and whether the runtime is closing.
 * @example
 * const p = work.track(inferFrame(host, frame)); ... await work.finish(); // after every call settled
 */
export class OpenWork {
  private readonly streams = new Set<StreamHandle>();
  private readonly calls = new Set<Promise<unknown>>();
  private isClosing = false;

  /** True once {@link OpenWork.finish} was called: no new frame may enter. */
  get closing(): boolean {
    return this.isClosing;
  }

  /** Keeps `p` until it settles. */
  track<T>(p: Promise<T>): Promise<T> {
    this.calls.add(p);
    const forget = () => void this.calls.delete(p);
    p.then(forget, forget);
    return p;
  }

  /** Registers a running stream (stopped at once when closing); returns its deregistration. */
  register(stream: StreamHandle): () => void {
    this.streams.add(stream);
    if (this.isClosing) stream.stop();
    return () => this.streams.delete(stream);
  }

  /** Starts closing: stops every stream, then waits until every stream and call has settled. */
  async finish(): Promise<void> {
    this.isClosing = true;
    for (const s of this.streams) s.stop();
    await Promise.all([...this.streams].map((s) => s.finished.catch(() => undefined)));
    await Promise.all([...this.calls].map((p) => p.catch(() => undefined)));
  }
}
