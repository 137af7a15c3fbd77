/** Memory in use once garbage is collected, for tests that check memory stays flat. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Heap plus array buffers after collection. Array-buffer backing stores are released by V8's
 * concurrent sweeper after a collection: collect a few times, letting it run in between, and take
 * the lowest reading.
 */
export async function settledMemory(): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
    const m = process.memoryUsage();
    best = Math.min(best, m.heapUsed + m.arrayBuffers);
  }
  return best;
}
