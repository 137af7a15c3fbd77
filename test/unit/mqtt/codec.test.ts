import test from 'ava';
import { decodePayload, detectEncoding, encodePayload } from '../../../sdk/mqtt/codec.js';

test('JSON and CBOR round-trip maps; CBOR keeps typed arrays', (t) => {
  const value = { id: 'r1', mask: new Uint16Array([1, 2, 65535]), score: 0.5 };
  const cbor = encodePayload('cbor', value);
  t.true(cbor[0]! >= 0xa0 && cbor[0]! <= 0xbf, 'a CBOR map');
  const back = decodePayload(cbor).value as typeof value;
  t.true(back.mask instanceof Uint16Array);
  t.deepEqual([...back.mask], [1, 2, 65535]);
  const json = encodePayload('json', { id: 'r1', score: 0.5 });
  t.deepEqual(decodePayload(json), { encoding: 'json', value: { id: 'r1', score: 0.5 } });
});

test('the content type wins over sniffing; without one the first byte decides', (t) => {
  t.is(detectEncoding(Buffer.from('{}'), 'application/cbor'), 'cbor');
  t.is(detectEncoding(Buffer.from([0xa1]), 'application/json; charset=utf-8'), 'json');
  t.is(detectEncoding(Buffer.from('{"a":1}')), 'json');
  t.is(detectEncoding(Buffer.from([0xb9, 0, 1])), 'cbor');
  t.is(detectEncoding(Buffer.from('hello')), undefined);
  t.is(detectEncoding(Buffer.alloc(0)), undefined);
});

test('EXPECTED FAILURE - payloads that are not our maps are E_MQTT_PAYLOAD naming the topic', (t) => {
  t.throws(() => decodePayload(Buffer.from('[1,2]'), undefined, 'a/b'), {
    message: /a\/b: payload is neither a JSON object nor a CBOR map/,
  });
  t.throws(() => decodePayload(Buffer.from('{"a":'), 'application/json', 'a/b'), {
    message: /payload is not valid json/,
  });
  t.throws(() => decodePayload(encodePayload('cbor', [1]), 'application/cbor', 'a/b'), {
    message: /decodes to an array/,
  });
  const e = t.throws(() => decodePayload(Buffer.from([0x01])));
  t.is((e as { code?: string }).code, 'E_MQTT_PAYLOAD');
});

test('BAD CALL - values without an encoding are refused with the field name', (t) => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  t.throws(() => encodePayload('json', cyclic, 'result'), { message: /result: cannot encode result as json/ });
  t.throws(() => encodePayload('json', undefined, 'result'), { message: /no JSON form/ });
});
