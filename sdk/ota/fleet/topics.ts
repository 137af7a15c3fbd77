/**
 * OTA topics. They sit beside the result/state/birth/death topics of a device, under their own
 * `ota` level so they never collide with them:
 *
 * | topic | direction | what |
 * |---|---|---|
 * | `<prefix>/<fleet>/ota/desired` | operator → fleet | signed desired state (retained) |
 * | `<prefix>/<fleet>/<device>/ota/desired` | operator → device | signed desired state for one device (retained) |
 * | `<prefix>/<fleet>/<device>/ota/state` | device → operator | agent state, progress, outcome (retained) |
 * | `<prefix>/<fleet>/<device>/ota/chunk-req` | device → publisher | blob chunk request (JSON) |
 * | `<prefix>/<fleet>/<device>/ota/chunk` | publisher → device | blob chunk (binary) |
 */
import { DEFAULT_TOPIC_PREFIX, expectTopicSegment, TopicScheme } from '../../mqtt/topics.js';

/** Default topic prefix (the MQTT layer's). */
export const OTA_TOPIC_PREFIX = DEFAULT_TOPIC_PREFIX;

const SEGMENT = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Throws unless `value` is one topic level from [A-Za-z0-9._-] (1–64 characters): no wildcards,
 * no separators. The MQTT layer's rule.
 * @throws EdgeError E_INVALID_ARGUMENT
 */
export const expectOtaSegment: (name: string, value: unknown) => string = expectTopicSegment;

/**
 * The OTA topics of one prefix.
 * @example
 * const t = new OtaTopics('ringmoe');
 * t.fleetDesired('north');          // 'ringmoe/north/ota/desired'
 * t.state('north', 'drone-7');      // 'ringmoe/north/drone-7/ota/state'
 */
export class OtaTopics {
  readonly prefix: string;

  /** @throws EdgeError E_INVALID_ARGUMENT for a prefix with wildcards or empty levels */
  constructor(prefix: string = OTA_TOPIC_PREFIX) {
    this.prefix = new TopicScheme(prefix).prefix;
  }

  private device(fleet: string, device: string): string {
    return `${this.prefix}/${expectOtaSegment('fleet', fleet)}/${expectOtaSegment('device', device)}/ota`;
  }

  /** Desired state for a whole fleet. */
  fleetDesired(fleet: string): string {
    return `${this.prefix}/${expectOtaSegment('fleet', fleet)}/ota/desired`;
  }

  /** Desired state for one device. */
  deviceDesired(fleet: string, device: string): string {
    return `${this.device(fleet, device)}/desired`;
  }

  /** A device's agent state. */
  state(fleet: string, device: string): string {
    return `${this.device(fleet, device)}/state`;
  }

  /** Every device's agent state in a fleet (subscription filter). */
  fleetStates(fleet: string): string {
    return `${this.prefix}/${expectOtaSegment('fleet', fleet)}/+/ota/state`;
  }

  /** Chunk requests of one device. */
  chunkRequest(fleet: string, device: string): string {
    return `${this.device(fleet, device)}/chunk-req`;
  }

  /** Chunk requests of every device in a fleet (subscription filter). */
  fleetChunkRequests(fleet: string): string {
    return `${this.prefix}/${expectOtaSegment('fleet', fleet)}/+/ota/chunk-req`;
  }

  /** Chunks sent to one device. */
  chunk(fleet: string, device: string): string {
    return `${this.device(fleet, device)}/chunk`;
  }

  /** The device id of a per-device OTA topic of this prefix and fleet, or undefined. */
  deviceOf(topic: string, fleet: string): string | undefined {
    const head = `${this.prefix}/${fleet}/`;
    if (!topic.startsWith(head)) return undefined;
    const rest = topic.slice(head.length).split('/');
    return rest.length === 3 && rest[1] === 'ota' && SEGMENT.test(rest[0]!) ? rest[0] : undefined;
  }
}
