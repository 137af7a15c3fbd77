/**
 * The device side: one object that owns the MQTT connection of a device and publishes its results,
 * state and metrics, with nothing lost while the broker is away.
 *
 * - Results go through the {@link Outbox} first (durable with `stateDir`), then to the broker, and
 *   leave the outbox only on PUBACK. They carry an `id` so consumers can drop the copies that
 *   at-least-once delivery allows.
 * - Each connection attempt takes a new bdSeq, registers a retained death certificate as its
 *   last-will and publishes a retained birth certificate after CONNACK (Sparkplug B's scheme).
 * - The publisher reconnects by itself with exponential backoff; `close()` drains within a deadline,
 *   publishes a graceful death and disconnects.
 *
 * Beside it: the connection loop (publisher-connection.ts), draining the outbox (publisher-drain.ts),
 * state and metrics (publisher-direct.ts), the stores on disk (publisher-state.ts) and the types of
 * its events and answers (publisher-types.ts).
 */
import { randomUUID } from 'node:crypto';
import { EdgeError } from '../core/errors.js';
import { expectInteger, expectString, invalidOption, is, rejectUnknownKeys } from '../core/validate.js';
import type { BdSeqStore } from './bdseq-store.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Connected } from './connection.js';
import type { MetricValue } from './messages.js';
import { resolvePublisherOptions, type ResolvedPublisherOptions, type ResultPublisherOptions } from './options.js';
import type { Outbox } from './outbox/outbox.js';
import { ConnectionLoop } from './publisher-connection.js';
import { DirectSender } from './publisher-direct.js';
import { Drainer } from './publisher-drain.js';
import { encodeMessage, messageProperties, resultPayload } from './publisher-messages.js';
import { DamageReports, openPublisherState, type StateDamage } from './publisher-state.js';
import type { CloseReport, PublishedResult, PublisherEvents, PublisherStatus, ResultMeta } from './publisher-types.js';
import { TypedEmitter } from '../core/typed-emitter.js';

export type { CloseReport, PublishedResult, PublisherEvents, PublisherStatus, ResultMeta } from './publisher-types.js';

/**
 * Publishes results, state and metrics of one device.
 * @example
 * const publisher = await ResultPublisher.create({ url: 'mqtt://broker:1883', fleet: 'north', device: 'drone-7', stateDir: '/var/lib/ringmoe' });
 * publisher.on('dropped', ({ count }) => console.warn(`outbox full, ${count} dropped`));
 * await publisher.publishResult('detection', { boxes: [[10, 20, 50, 60, 0.92, 3]] }, { frameId: 'cam0-001234' });
 * await publisher.close({ deadlineMs: 5000 });
 */
export class ResultPublisher extends TypedEmitter<PublisherEvents> {
  private readonly clock: Clock;
  private readonly drainer: Drainer;
  private readonly link: ConnectionLoop;
  private readonly direct: DirectSender;
  private closing: Promise<CloseReport> | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly topicByTask = new Map<string, string>();
  private readonly damage: DamageReports;

  private constructor(
    private readonly o: ResolvedPublisherOptions,
    private readonly outbox: Outbox,
    bdSeqs: BdSeqStore,
  ) {
    super();
    this.clock = o.clock ?? systemClock;
    this.drainer = new Drainer(outbox, this.clock, {
      discarded: (seqs, reason) => this.emit('dropped', { reason, seqs, count: seqs.length }),
      error: (err) => this.emit('error', err),
      idle: () => this.wakeIdle(),
    });
    this.link = new ConnectionLoop(o, outbox, bdSeqs, this.drainer, this.clock, {
      connected: (conn, bdSeq) => this.connected(conn, bdSeq),
      offline: (error) => this.emit('offline', error ? { error } : {}),
      error: (err) => this.emit('error', err),
    });
    this.direct = new DirectSender(o, outbox, this.clock, () => this.link.connection);
    this.damage = new DamageReports(this);
  }

  /** Every damage seen since the publisher was created (at start and since). */
  damageReport(): readonly StateDamage[] {
    return this.damage.all;
  }

  /**
   * Opens the outbox and bdSeq store and starts connecting in the background (an unreachable broker
   * is not an error: results wait in the outbox).
   * @throws EdgeError E_INVALID_ARGUMENT (options), E_OUTBOX (the outbox cannot be opened), E_IO (bdSeq file)
   */
  static async create(options: ResultPublisherOptions): Promise<ResultPublisher> {
    const o = resolvePublisherOptions(options);
    const { outbox, bdSeqs, damaged, onDamage } = await openPublisherState(o);
    const publisher = new ResultPublisher(o, outbox, bdSeqs);
    for (const d of damaged) publisher.damage.report(d);
    // Read-time damage is reported through the publisher once it exists.
    onDamage((d) => publisher.damage.report(d));
    publisher.link.start();
    return publisher;
  }

  /** The topic a result of `task` goes to. */
  resultTopic(task: string): string {
    let topic = this.topicByTask.get(task);
    if (topic === undefined) {
      topic = this.o.topics.result(this.o.fleet, this.o.device, task);
      // Few distinct tasks per device; the cap only guards against a caller inventing task names.
      if (this.topicByTask.size < 1024) this.topicByTask.set(task, topic);
    }
    return topic;
  }

  /**
   * Stores a result in the outbox and sends it when the broker is reachable. Resolves once the
   * result is in the outbox (durable under the outbox's policy), not when the broker has it.
   * @param task topic level naming the task (`detection`, `segmentation`, ...)
   * @param result anything the encoding can carry (JSON: plain data; CBOR: also typed arrays)
   * @throws EdgeError E_INVALID_ARGUMENT (task, result, meta), E_CLOSED, E_OUTBOX
   */
  async publishResult(task: string, result: unknown, meta: ResultMeta = {}): Promise<PublishedResult> {
    this.checkOpen();
    const topic = this.resultTopic(task);
    if (result === undefined) throw invalidOption('result', 'a value (not undefined)', result);
    if (!is.object(meta as unknown)) throw invalidOption('meta', 'an object', meta);
    rejectUnknownKeys('meta', meta as Record<string, unknown>, ['id', 'frameId', 'modelVersion']);
    const id = meta.id === undefined ? randomUUID() : expectString('meta.id', meta.id);
    if (id.length > 256) throw invalidOption('meta.id', 'an id of at most 256 characters', id);
    const frameId = meta.frameId === undefined ? undefined : expectString('meta.frameId', meta.frameId);
    const modelVersion =
      meta.modelVersion === undefined ? this.o.modelVersion : expectString('meta.modelVersion', meta.modelVersion);
    const payload = encodeMessage(
      this.o,
      topic,
      resultPayload(this.o, id, task, this.clock.now(), result, frameId, modelVersion),
      'result',
    );
    const properties = messageProperties(this.o.encoding, this.o.expirySeconds.results, {
      modelVersion,
      frameId,
      resultId: id,
    });
    const { seq, dropped } = await this.outbox.append({
      topic,
      payload,
      qos: this.o.qos.results,
      retain: false,
      properties,
    });
    if (dropped.length) this.emit('dropped', { reason: 'full', seqs: dropped, count: dropped.length });
    this.drainer.kick();
    return { id, seq, topic };
  }

  /**
   * Sets the model version that results, state and later birth messages carry from now on (the
   * runtime calls it when it swaps models). A result can still name its own with `meta.modelVersion`.
   * @throws EdgeError E_INVALID_ARGUMENT, E_CLOSED
   */
  setModelVersion(modelVersion: string): void {
    this.checkOpen();
    this.o.modelVersion = expectString('modelVersion', modelVersion);
  }

  /**
   * Publishes application state (retained: a consumer that connects later gets the latest). When
   * offline, the latest state is kept and published on reconnect; it is also republished after every
   * reconnect.
   * @returns whether the broker has it now
   * @throws EdgeError E_INVALID_ARGUMENT, E_CLOSED
   */
  async publishState(state: Record<string, unknown>): Promise<{ delivered: boolean }> {
    this.checkOpen();
    if (!is.object(state as unknown)) throw invalidOption('state', 'an object', state);
    return { delivered: await this.direct.sendState(state) };
  }

  /**
   * Publishes metrics (numbers, strings, booleans or null), with the outbox figures added. When
   * offline, only the latest sample is kept for the next connection (and dropped once older than the
   * metrics expiry).
   * @returns whether it was handed to the broker now
   * @throws EdgeError E_INVALID_ARGUMENT, E_CLOSED
   */
  async publishMetrics(metrics: Record<string, MetricValue>): Promise<{ delivered: boolean }> {
    this.checkOpen();
    if (!is.object(metrics as unknown)) throw invalidOption('metrics', 'an object', metrics);
    for (const [k, v] of Object.entries(metrics)) {
      if (!(
        v === null ||
        typeof v === 'string' ||
        typeof v === 'boolean' ||
        (typeof v === 'number' && Number.isFinite(v))
      )) {
        throw invalidOption(`metrics.${k}`, 'a finite number, string, boolean or null', v);
      }
    }
    return { delivered: await this.direct.sendMetrics(metrics) };
  }

  /**
   * Waits until the outbox is empty (everything acknowledged).
   * @returns true when empty, false when `timeoutMs` passed first
   */
  async drain(timeoutMs: number): Promise<boolean> {
    expectInteger('timeoutMs', timeoutMs, 0);
    if (this.drainer.idle || timeoutMs === 0) return this.drainer.idle;
    return new Promise((resolve) => {
      const done = (value: boolean): void => {
        this.clock.clearTimeout(timer);
        this.idleWaiters = this.idleWaiters.filter((w) => w !== onIdle);
        resolve(value);
      };
      const onIdle = (): void => done(true);
      const timer = this.clock.setTimeout(() => done(this.drainer.idle), timeoutMs);
      this.idleWaiters.push(onIdle);
    });
  }

  /** Connection and outbox state. */
  status(): PublisherStatus {
    return {
      state: this.link.state,
      ...(this.link.connection ? { protocolVersion: this.link.connection.protocolVersion } : {}),
      ...(this.link.bdSeq !== undefined ? { bdSeq: this.link.bdSeq } : {}),
      outbox: this.outbox.stats(),
    };
  }

  /**
   * Age in ms of the oldest message waiting in the outbox: 0 when it is empty (or closed).
   * @example
   * const age = await publisher.oldestPendingAgeMs(); // how far behind the broker the device is
   */
  async oldestPendingAgeMs(): Promise<number> {
    if (this.outbox.stats().pending === 0) return 0;
    const [oldest] = await this.outbox.read(0, 1).catch(() => []);
    return oldest ? Math.max(0, this.clock.now() - oldest.createdAt) : 0;
  }

  /**
   * Stops taking results; when connected, sends what it can until `deadlineMs` (default 5000),
   * publishes a graceful death and disconnects; then flushes and closes the outbox. A connection
   * being made gets the same deadline to come up first; when offline it returns at once. What was not sent stays in a durable outbox for the next start. Idempotent.
   * @example
   * const { drained, pending } = await publisher.close({ deadlineMs: 2000 });
   */
  close(options: { deadlineMs?: number } = {}): Promise<CloseReport> {
    if (!this.closing) {
      const deadlineMs =
        options.deadlineMs === undefined ? 5000 : expectInteger('options.deadlineMs', options.deadlineMs, 0);
      this.link.beginClose();
      this.closing = this.shutdown(deadlineMs);
    }
    return this.closing;
  }

  private async shutdown(deadlineMs: number): Promise<CloseReport> {
    // A connection being made when close() is called gets the deadline to come up and drain.
    const start = this.clock.now();
    await this.link.settled(deadlineMs);
    const left = Math.max(0, deadlineMs - (this.clock.now() - start));
    const drained = this.link.connection ? await this.drain(left) : this.drainer.idle;
    await this.link.close();
    await this.drainer.flushAcks().catch(() => undefined);
    const pending = this.outbox.stats().pending;
    await this.outbox.close();
    return { drained, pending };
  }

  private checkOpen(): void {
    if (this.closing) throw new EdgeError('E_CLOSED', 'the publisher is closed');
  }

  private wakeIdle(): void {
    for (const w of [...this.idleWaiters]) w();
  }

  /** A connection is up and born: announce it and send the state and metrics kept while offline. */
  private connected(conn: Connected, bdSeq: number): void {
    this.emit('connected', { protocolVersion: conn.protocolVersion, bdSeq, url: this.o.url });
    this.direct.resend();
  }
}
