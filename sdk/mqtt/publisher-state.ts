/**
 * The publisher's state on disk: opening its outbox and bdSeq store (under `stateDir`, or in
 * memory), and turning damage found in them into {@link StateDamage} reports that reach a listener
 * even when they were found before anyone could listen.
 * @internal
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { EdgeError } from '../core/errors.js';
import { FileBdSeqStore, MemoryBdSeqStore, type BdSeqStore } from './bdseq-store.js';
import type { ResolvedPublisherOptions } from './options.js';
import type { Outbox } from './outbox/outbox.js';
import { FileOutbox } from './outbox/file-outbox.js';
import type { OutboxDamage } from './outbox/log-replay.js';
import { MemoryOutbox } from './outbox/memory-outbox.js';

/** One damaged part of the publisher's state on disk, and what it cost. */
export interface StateDamage {
  /** The outbox log or the bdSeq file. */
  store: 'outbox' | 'bdseq';
  /** Records lost (0 for a damaged header or bdSeq file). */
  records: number;
  /** Bytes that could not be read. */
  bytes: number;
  /** Where in the file. */
  offset?: number;
  reason: string;
  /** For damage found at start: entries pending after recovery, i.e. what was salvaged. */
  salvaged?: number;
  /** The same as an E_STATE_DAMAGED error naming the file. */
  error: EdgeError;
}

/** The opened stores, and the damage found while opening them. */
export interface PublisherState {
  outbox: Outbox;
  bdSeqs: BdSeqStore;
  /** Damage found at open: outbox damage first, then the bdSeq file. */
  damaged: StateDamage[];
  /** Where damage the outbox finds later (when reading back) goes; dropped until set. */
  onDamage(sink: (d: StateDamage) => void): void;
}

/**
 * Opens the outbox and bdSeq store the options name (given, under `stateDir`, or in memory).
 * @throws EdgeError E_OUTBOX (the outbox cannot be opened), E_IO (bdSeq file)
 */
export async function openPublisherState(o: ResolvedPublisherOptions): Promise<PublisherState> {
  let sink: ((d: StateDamage) => void) | undefined;
  let file = '';
  const outbox =
    o.outbox ??
    (o.stateDir !== undefined
      ? await FileOutbox.open({
          dir: join(o.stateDir, 'outbox'),
          ...(o.outboxLimits ? { limits: o.outboxLimits } : {}),
          ...(o.fsync ? { fsync: o.fsync } : {}),
          ...(o.clock ? { clock: o.clock } : {}),
          onDamage: (d) => sink?.(fromOutbox(d, file)),
        })
      : new MemoryOutbox({
          ...(o.outboxLimits ? { limits: o.outboxLimits } : {}),
          ...(o.clock ? { clock: o.clock } : {}),
        }));
  let bdSeqs: BdSeqStore;
  try {
    bdSeqs =
      o.bdSeqStore ??
      (o.stateDir !== undefined ? await FileBdSeqStore.open(join(o.stateDir, 'bdseq.json')) : new MemoryBdSeqStore());
  } catch (err) {
    await outbox.close();
    throw err;
  }
  const damaged: StateDamage[] = [];
  if (outbox instanceof FileOutbox) {
    file = outbox.path;
    for (const d of outbox.recovery.damaged) damaged.push(fromOutbox(d, file, outbox.recovery.pending));
  }
  if (bdSeqs instanceof FileBdSeqStore && bdSeqs.damage) {
    damaged.push({ store: 'bdseq', records: 0, bytes: 0, reason: bdSeqs.damage.message, error: bdSeqs.damage });
  }
  return {
    outbox,
    bdSeqs,
    damaged,
    onDamage: (s) => {
      sink = s;
    },
  };
}

function fromOutbox(d: OutboxDamage, file: string, salvaged?: number): StateDamage {
  return {
    store: 'outbox',
    records: d.records,
    bytes: d.bytes,
    offset: d.offset,
    reason: d.reason,
    ...(salvaged !== undefined ? { salvaged } : {}),
    error: new EdgeError(
      'E_STATE_DAMAGED',
      `${d.reason}: ${d.records} record(s), ${d.bytes} bytes at byte ${d.offset} lost${salvaged !== undefined ? `; ${salvaged} pending entries salvaged` : ''}`,
      { file },
    ),
  };
}

/**
 * Every damage seen, emitted as `damaged` on `emitter`; damage reported while nobody listens is
 * held and delivered to the first listener.
 */
export class DamageReports {
  private readonly seen: StateDamage[] = [];
  private unheard: StateDamage[] = [];

  constructor(private readonly emitter: EventEmitter) {
    EventEmitter.prototype.on.call(emitter, 'newListener', (event: string) => {
      if (event !== 'damaged' || !this.unheard.length) return;
      setImmediate(() => {
        const held = this.unheard;
        this.unheard = [];
        for (const d of held) emitter.emit('damaged', d);
      });
    });
  }

  /** Every damage reported so far. */
  get all(): readonly StateDamage[] {
    return this.seen;
  }

  report(d: StateDamage): void {
    this.seen.push(d);
    if (this.emitter.listenerCount('damaged') > 0) this.emitter.emit('damaged', d);
    else this.unheard.push(d);
  }
}
