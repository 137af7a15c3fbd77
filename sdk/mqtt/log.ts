/**
 * Debug log of the MQTT layer, enabled with NODE_DEBUG=ringmoe:mqtt. Lines start with their function.
 */
import { debuglog } from 'node:util';

export const mqttLog: (format: string, ...args: unknown[]) => void = debuglog('ringmoe:mqtt');
