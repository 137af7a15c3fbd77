/**
 * The topic tree. Every message of a device lives under
 * `<prefix>/<fleet>/<device>/...`:
 *
 * | topic | what |
 * |---|---|
 * | `<prefix>/<fleet>/<device>/results/<task>` | one result per message |
 * | `<prefix>/<fleet>/<device>/state` | application state (retained) |
 * | `<prefix>/<fleet>/<device>/metrics` | periodic metrics |
 * | `<prefix>/<fleet>/<device>/birth` | birth certificate (retained) |
 * | `<prefix>/<fleet>/<device>/death` | death certificate: the last-will (retained) |
 *
 * Segments are restricted to `[A-Za-z0-9._-]{1,64}` so a name can never be a wildcard, a level
 * separator or a `$SYS`-style system topic.
 */
import { EdgeError } from '../core/errors.js';
import { invalidOption } from '../core/validate.js';

/** The kinds of message a device publishes. */
export const TOPIC_KINDS = ['results', 'state', 'metrics', 'birth', 'death'] as const;
/** One of {@link TOPIC_KINDS}. */
export type TopicKind = (typeof TOPIC_KINDS)[number];

/** The default topic prefix. */
export const DEFAULT_TOPIC_PREFIX = 'ringmoe';

const SEGMENT = /^[A-Za-z0-9._-]{1,64}$/;

/** A topic taken apart by {@link TopicScheme.parse}. */
export interface ParsedTopic {
  fleet: string;
  device: string;
  kind: TopicKind;
  /** Present for `results` topics. */
  task?: string;
}

/**
 * Throws unless `value` is one topic level made of letters, digits, `.`, `_` or `-` (1–64 chars).
 * @param name option name for the error message
 * @throws EdgeError E_INVALID_ARGUMENT
 */
export function expectTopicSegment(name: string, value: unknown): string {
  if (typeof value !== 'string' || !SEGMENT.test(value)) {
    throw invalidOption(name, 'a topic level of 1-64 characters from [A-Za-z0-9._-]', value);
  }
  return value;
}

/**
 * Builds and parses the topics of one prefix.
 * @example
 * const topics = new TopicScheme('ringmoe');
 * topics.result('north', 'drone-7', 'detection'); // 'ringmoe/north/drone-7/results/detection'
 * topics.parse('ringmoe/north/drone-7/birth');    // { fleet: 'north', device: 'drone-7', kind: 'birth' }
 */
export class TopicScheme {
  /** The prefix, one or more levels joined by `/`. */
  readonly prefix: string;
  private readonly prefixLevels: number;

  /**
   * @param prefix one or more levels (`ringmoe`, `acme/ringmoe/v1`), each a valid segment
   * @throws EdgeError E_INVALID_ARGUMENT when a level is empty or has characters outside [A-Za-z0-9._-]
   */
  constructor(prefix: string = DEFAULT_TOPIC_PREFIX) {
    if (typeof prefix !== 'string' || prefix.length === 0 || prefix.length > 200) {
      throw invalidOption('options.prefix', 'a topic prefix of 1-200 characters', prefix);
    }
    const levels = prefix.split('/');
    levels.forEach((level) => {
      if (!SEGMENT.test(level)) {
        throw new EdgeError(
          'E_INVALID_ARGUMENT',
          `topic prefix level ${JSON.stringify(level)} must be 1-64 characters from [A-Za-z0-9._-] (no wildcards, no empty levels)`,
          {
            field: 'options.prefix',
          },
        );
      }
    });
    this.prefix = prefix;
    this.prefixLevels = levels.length;
  }

  /** `<prefix>/<fleet>/<device>/results/<task>` */
  result(fleet: string, device: string, task: string): string {
    return `${this.base(fleet, device)}/results/${expectTopicSegment('task', task)}`;
  }

  /** `<prefix>/<fleet>/<device>/state` */
  state(fleet: string, device: string): string {
    return `${this.base(fleet, device)}/state`;
  }

  /** `<prefix>/<fleet>/<device>/metrics` */
  metrics(fleet: string, device: string): string {
    return `${this.base(fleet, device)}/metrics`;
  }

  /** `<prefix>/<fleet>/<device>/birth` */
  birth(fleet: string, device: string): string {
    return `${this.base(fleet, device)}/birth`;
  }

  /** `<prefix>/<fleet>/<device>/death` */
  death(fleet: string, device: string): string {
    return `${this.base(fleet, device)}/death`;
  }

  /**
   * The subscription filter for one kind of message across a fleet, e.g.
   * `ringmoe/north/+/results/+`. With `group`, the MQTT 5 shared form `$share/<group>/<filter>`.
   */
  fleetFilter(fleet: string, kind: TopicKind, group?: string): string {
    const f = `${this.prefix}/${expectTopicSegment('fleet', fleet)}/+/${kind}${kind === 'results' ? '/+' : ''}`;
    return group === undefined ? f : `$share/${expectTopicSegment('group', group)}/${f}`;
  }

  /** Takes a topic of this scheme apart; `undefined` for any other topic. */
  parse(topic: string): ParsedTopic | undefined {
    const levels = topic.split('/');
    if (levels.slice(0, this.prefixLevels).join('/') !== this.prefix) return undefined;
    const [fleet, device, kind, task, ...rest] = levels.slice(this.prefixLevels);
    if (fleet === undefined || device === undefined || kind === undefined || rest.length > 0) return undefined;
    if (!SEGMENT.test(fleet) || !SEGMENT.test(device) || !(TOPIC_KINDS as readonly string[]).includes(kind))
      return undefined;
    if (kind === 'results') {
      if (task === undefined || !SEGMENT.test(task)) return undefined;
      return { fleet, device, kind, task };
    }
    if (task !== undefined) return undefined;
    return { fleet, device, kind: kind as TopicKind };
  }

  private base(fleet: string, device: string): string {
    return `${this.prefix}/${expectTopicSegment('fleet', fleet)}/${expectTopicSegment('device', device)}`;
  }
}
