/**
 * Typed events on top of Node's EventEmitter (MQTT.js `TypedEmitter` style). Works with
 * `events.once(emitter, name)`. An `error` event with no listener is logged through the debug log
 * instead of throwing: a device process must not crash because nobody listened.
 */
import { EventEmitter } from 'node:events';
import { debuglog } from 'node:util';

const log = debuglog('ringmoe');

/** Map of event name → listener signature (an interface works too). */
export type EventMap<M> = { [K in keyof M]: (...args: any[]) => void };

/**
 * An EventEmitter whose `on`/`once`/`off` are typed by `M`.
 * @example
 * class Thing extends TypedEmitter<{ ready: (n: number) => void; error: (e: Error) => void }> {}
 * new Thing().on('ready', (n) => n.toFixed());
 */
export class TypedEmitter<M extends EventMap<M>> extends EventEmitter {
  /** Adds a listener for `event`. */
  override on<E extends keyof M & string>(event: E, listener: M[E]): this {
    return super.on(event, listener);
  }

  /** Adds a one-shot listener for `event`. */
  override once<E extends keyof M & string>(event: E, listener: M[E]): this {
    return super.once(event, listener);
  }

  /** Removes a listener. */
  override off<E extends keyof M & string>(event: E, listener: M[E]): this {
    return super.off(event, listener);
  }

  /** Emits `event` with typed arguments; an unheard `error` goes to the debug log. */
  override emit<E extends keyof M & string>(event: E, ...args: Parameters<M[E]>): boolean {
    if (event === 'error' && this.listenerCount('error') === 0) {
      log('emit :: unhandled error event: %s', (args[0] as Error | undefined)?.message);
      return false;
    }
    return super.emit(event, ...args);
  }
}
