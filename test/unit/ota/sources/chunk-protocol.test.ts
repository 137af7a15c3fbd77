import test from 'ava';
import {
  decodeChunk,
  decodeChunkRequest,
  encodeChunk,
  encodeChunkRequest,
} from '../../../../sdk/ota/sources/chunk-protocol.js';
import { OtaTopics } from '../../../../sdk/ota/fleet/topics.js';

const h = 'ab'.repeat(32);

test('chunk requests and answers round-trip', (t) => {
  t.deepEqual(decodeChunkRequest(encodeChunkRequest({ id: 3, sha256: h, offset: 65536, length: 32768 })), {
    id: 3,
    sha256: h,
    offset: 65536,
    length: 32768,
  });
  const data = Buffer.from([1, 2, 3, 250]);
  const back = decodeChunk(encodeChunk({ id: 3, sha256: h, offset: 8 }, data));
  t.deepEqual(back.header, { id: 3, sha256: h, offset: 8 });
  t.deepEqual(back.data, data);
});

test('EXPECTED FAILURE - malformed requests and answers are E_MQTT_PROTOCOL', (t) => {
  for (const bad of [
    'nope',
    '{"id":1}',
    JSON.stringify({ id: 1, sha256: h, offset: -1, length: 5 }),
    JSON.stringify({ id: 1, sha256: h, offset: 0, length: 2 << 20 }),
  ]) {
    t.is((t.throws(() => decodeChunkRequest(Buffer.from(bad))) as { code?: string }).code, 'E_MQTT_PROTOCOL', bad);
  }
  t.is((t.throws(() => decodeChunk(Buffer.from([0, 0]))) as { code?: string }).code, 'E_MQTT_PROTOCOL');
  t.is((t.throws(() => decodeChunk(Buffer.from([0, 0, 0x10, 0]))) as { code?: string }).code, 'E_MQTT_PROTOCOL');
});

test('OTA topics sit under their own level and are parsed back', (t) => {
  const topics = new OtaTopics('acme/ringmoe');
  t.is(topics.fleetDesired('north'), 'acme/ringmoe/north/ota/desired');
  t.is(topics.deviceDesired('north', 'drone-7'), 'acme/ringmoe/north/drone-7/ota/desired');
  t.is(topics.state('north', 'drone-7'), 'acme/ringmoe/north/drone-7/ota/state');
  t.is(topics.fleetStates('north'), 'acme/ringmoe/north/+/ota/state');
  t.is(topics.deviceOf('acme/ringmoe/north/drone-7/ota/chunk-req', 'north'), 'drone-7');
  t.is(topics.deviceOf('acme/ringmoe/north/ota/desired', 'north'), undefined);
});

test('BAD CALL - wildcards and separators in topic levels are E_INVALID_ARGUMENT', (t) => {
  const topics = new OtaTopics();
  for (const bad of ['+', '#', 'a/b', '', 'x'.repeat(65)])
    t.is((t.throws(() => topics.state('north', bad)) as { code?: string }).code, 'E_INVALID_ARGUMENT', bad);
  t.is((t.throws(() => new OtaTopics('a/+/b')) as { code?: string }).code, 'E_INVALID_ARGUMENT');
});
