/**
 * The one contract every Outbox implementation passes. A runner calls `outboxContract(test, harness)`
 * (see outbox-memory.test.ts and outbox-file.test.ts). Tests about surviving a restart run only for
 * harnesses that say `durable: true` and show as skipped for the others.
 */
import type { TestFn } from 'ava';
import { ManualClock } from '../../sdk/core/clock.js';
import type { Outbox, OutboxLimits, OutboxMessage } from '../../sdk/mqtt/outbox/outbox.js';
import { testIf } from '../helpers/shared-data.js';

/** One outbox under test, with the hooks durable implementations offer. */
export interface OutboxInstance {
  outbox: Outbox;
  /** Closes the outbox and opens it again from its storage (durable only). */
  reopen?: () => Promise<Outbox>;
  /** Cuts `bytes` off the end of storage, as a write interrupted by kill -9 would (durable only). */
  damageTail?: (bytes: number) => Promise<void>;
  /** Frees everything (temp dirs); called at the end of each test. */
  cleanup(): Promise<void>;
}

/** How the contract makes outboxes. */
export interface OutboxHarness {
  name: string;
  durable: boolean;
  create(options: { limits?: Partial<OutboxLimits>; clock?: ManualClock }): Promise<OutboxInstance>;
}

const msg = (n: number, extra: Partial<OutboxMessage> = {}): OutboxMessage => ({
  topic: `ringmoe/f/d/results/t${n % 3}`,
  payload: Buffer.from(JSON.stringify({ n })),
  qos: 1,
  retain: false,
  ...extra,
});

const numbers = (entries: { payload: Uint8Array }[]): number[] =>
  entries.map((e) => (JSON.parse(Buffer.from(e.payload).toString()) as { n: number }).n);

/** Registers the contract tests for `harness` on `test`. */
export function outboxContract(test: TestFn, harness: OutboxHarness): void {
  const t0 = 1_700_000_000_000;
  const use = async (
    options: Parameters<OutboxHarness['create']>[0],
    body: (i: OutboxInstance) => Promise<void>,
  ): Promise<void> => {
    const instance = await harness.create(options);
    try {
      await body(instance);
    } finally {
      await instance.outbox.close().catch(() => undefined);
      await instance.cleanup();
    }
  };

  test(`${harness.name}: appends keep every field and come back in order with increasing seq`, async (t) => {
    const clock = new ManualClock(t0);
    await use({ clock }, async ({ outbox }) => {
      const a = await outbox.append(
        msg(0, {
          properties: {
            contentType: 'application/json',
            messageExpiryInterval: 30,
            userProperties: { modelVersion: '1.0.0', frameId: 'f-1' },
          },
        }),
      );
      clock.advance(5);
      const b = await outbox.append(msg(1, { qos: 2, retain: true, topic: 'ringmoe/f/d/state' }));
      const c = await outbox.append(msg(2, { qos: 0 }));
      t.true(a.seq < b.seq && b.seq < c.seq);
      t.deepEqual([a.dropped, b.dropped, c.dropped], [[], [], []]);
      const all = await outbox.read(0, 10);
      t.deepEqual(
        all.map((e) => e.seq),
        [a.seq, b.seq, c.seq],
      );
      t.deepEqual(numbers(all), [0, 1, 2]);
      t.deepEqual(all[0]!.properties, {
        contentType: 'application/json',
        messageExpiryInterval: 30,
        userProperties: { modelVersion: '1.0.0', frameId: 'f-1' },
      });
      t.is(all[0]!.createdAt, t0);
      t.is(all[1]!.createdAt, t0 + 5);
      t.like(all[1], { qos: 2, retain: true, topic: 'ringmoe/f/d/state' });
      t.like(all[2], { qos: 0, retain: false, topic: 'ringmoe/f/d/results/t2' });
      t.is(all[1]!.properties, undefined);
      t.like(outbox.stats(), { pending: 3, appended: 3, acked: 0, dropped: 0 });
    });
  });

  test(`${harness.name}: read pages by seq and limit`, async (t) => {
    await use({}, async ({ outbox }) => {
      for (let i = 0; i < 10; i++) await outbox.append(msg(i));
      const first = await outbox.read(0, 4);
      t.deepEqual(numbers(first), [0, 1, 2, 3]);
      const next = await outbox.read(first[3]!.seq, 4);
      t.deepEqual(numbers(next), [4, 5, 6, 7]);
      t.deepEqual(numbers(await outbox.read(next[3]!.seq, 100)), [8, 9]);
      t.deepEqual(await outbox.read(Number.MAX_SAFE_INTEGER, 10), []);
    });
  });

  test(`${harness.name}: ack removes entries in any order; unknown and repeated acks are no-ops`, async (t) => {
    await use({}, async ({ outbox }) => {
      const seqs: number[] = [];
      for (let i = 0; i < 6; i++) seqs.push((await outbox.append(msg(i))).seq);
      await outbox.ack([seqs[3]!, seqs[0]!]);
      await outbox.ack([seqs[3]!, 999_999]);
      t.deepEqual(numbers(await outbox.read(0, 10)), [1, 2, 4, 5]);
      await outbox.ack([seqs[1]!, seqs[2]!, seqs[4]!, seqs[5]!]);
      t.deepEqual(await outbox.read(0, 10), []);
      t.like(outbox.stats(), { pending: 0, pendingBytes: 0, appended: 6, acked: 6 });
      // seq never goes back, also after the queue emptied
      t.true((await outbox.append(msg(6))).seq > seqs[5]!);
    });
  });

  test(`${harness.name}: discard counts expired and rejected apart from acked`, async (t) => {
    await use({}, async ({ outbox }) => {
      const s = await Promise.all([0, 1, 2].map(async (i) => (await outbox.append(msg(i))).seq));
      await outbox.discard([s[0]!], 'expired');
      await outbox.discard([s[1]!, s[0]!], 'rejected');
      t.like(outbox.stats(), { pending: 1, expired: 1, rejected: 1, acked: 0, dropped: 0 });
      t.deepEqual(numbers(await outbox.read(0, 10)), [2]);
    });
  });

  test(`${harness.name}: a full outbox (maxEntries) drops the oldest and counts them`, async (t) => {
    await use({ limits: { maxEntries: 5 } }, async ({ outbox }) => {
      const results = [];
      for (let i = 0; i < 8; i++) results.push(await outbox.append(msg(i)));
      t.deepEqual(
        results.slice(0, 5).map((r) => r.dropped),
        [[], [], [], [], []],
      );
      t.deepEqual(
        results.slice(5).map((r) => r.dropped),
        [[results[0]!.seq], [results[1]!.seq], [results[2]!.seq]],
      );
      t.deepEqual(numbers(await outbox.read(0, 10)), [3, 4, 5, 6, 7]);
      t.like(outbox.stats(), { pending: 5, dropped: 3, appended: 8, maxEntries: 5 });
    });
  });

  test(`${harness.name}: a full outbox (maxBytes) drops as many oldest as the new entry needs`, async (t) => {
    const big = (n: number) => msg(n, { payload: Buffer.alloc(400, n) });
    await use({ limits: { maxBytes: 1500, maxMessageBytes: 1200 } }, async ({ outbox }) => {
      for (let i = 0; i < 3; i++) await outbox.append(big(i));
      const size = outbox.stats().pendingBytes / 3;
      t.true(size > 400 && size < 500);
      const huge = await outbox.append(msg(9, { payload: Buffer.alloc(1000, 9) }));
      t.is(huge.dropped.length, 2);
      const left = await outbox.read(0, 10);
      t.deepEqual(
        left.map((e) => e.payload[0]),
        [2, 9],
      );
      t.true(outbox.stats().pendingBytes <= 1500);
      t.is(outbox.stats().dropped, 2);
    });
  });

  test(`BAD CALL - ${harness.name}: malformed or oversized messages are refused and nothing is stored`, async (t) => {
    await use({ limits: { maxMessageBytes: 2000 } }, async ({ outbox }) => {
      const bad: [OutboxMessage, RegExp][] = [
        [msg(0, { topic: 'a/+/b' }), /message\.topic/],
        [msg(0, { topic: '' }), /message\.topic/],
        [msg(0, { payload: 'text' as unknown as Uint8Array }), /message\.payload/],
        [msg(0, { qos: 3 as 1 }), /message\.qos/],
        [msg(0, { retain: 'no' as unknown as boolean }), /message\.retain/],
        [msg(0, { properties: { messageExpiryInterval: -1 } }), /messageExpiryInterval/],
        [msg(0, { properties: { userProperties: { frameId: 7 as unknown as string } } }), /userProperties\.frameId/],
        [msg(0, { properties: { contentTyp: 'x' } as never }), /did you mean message\.properties\.contentType/],
        [msg(0, { payload: Buffer.alloc(3000) }), /exceeds the outbox's maxMessageBytes \(2000\)/],
      ];
      for (const [m, re] of bad) {
        const err = await t.throwsAsync(outbox.append(m), { message: re });
        t.is((err as { code?: string }).code, 'E_INVALID_ARGUMENT');
      }
      t.like(outbox.stats(), { pending: 0, appended: 0 });
    });
  });

  test(`${harness.name}: the stored payload is a copy of the caller's buffer`, async (t) => {
    await use({}, async ({ outbox }) => {
      const payload = Buffer.from('{"n":1}');
      await outbox.append(msg(1, { payload }));
      payload.fill(0x41);
      t.deepEqual(numbers(await outbox.read(0, 1)), [1]);
    });
  });

  test(`${harness.name}: concurrent appends get unique increasing seqs in call order`, async (t) => {
    await use({}, async ({ outbox }) => {
      const results = await Promise.all(Array.from({ length: 500 }, (_, i) => outbox.append(msg(i))));
      const seqs = results.map((r) => r.seq);
      t.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
      );
      t.is(new Set(seqs).size, 500);
      t.deepEqual(
        numbers(await outbox.read(0, 1000)),
        Array.from({ length: 500 }, (_, i) => i),
      );
    });
  });

  test(`EXPECTED FAILURE - ${harness.name}: a closed outbox refuses work with E_CLOSED; close is idempotent`, async (t) => {
    await use({}, async ({ outbox }) => {
      await outbox.append(msg(0));
      await outbox.close();
      await outbox.close();
      for (const p of [
        outbox.append(msg(1)),
        outbox.read(0, 1),
        outbox.ack([1]),
        outbox.discard([1], 'expired'),
        outbox.flush(),
      ]) {
        await t.throwsAsync(p, { code: 'E_CLOSED' } as never);
      }
      t.is(outbox.stats().pending, 1);
    });
  });

  testIf(harness.durable, test)(
    `${harness.name}: pending entries, acks, drops and counters survive a reopen; seq is never reused`,
    async (t) => {
      await use({ limits: { maxEntries: 8 } }, async (inst) => {
        const seqs: number[] = [];
        for (let i = 0; i < 10; i++) seqs.push((await inst.outbox.append(msg(i))).seq); // 0 and 1 dropped
        await inst.outbox.ack([seqs[2]!, seqs[5]!]);
        await inst.outbox.discard([seqs[3]!], 'expired');
        const before = inst.outbox.stats();
        const again = await inst.reopen!();
        t.deepEqual(numbers(await again.read(0, 100)), [4, 6, 7, 8, 9]);
        t.deepEqual(again.stats(), before);
        const next = await again.append(msg(10));
        t.true(next.seq > seqs[9]!);
      });
    },
  );

  testIf(harness.durable, test)(
    `${harness.name}: a record torn mid-write is cut at reopen; everything complete before it survives`,
    async (t) => {
      await use({}, async (inst) => {
        for (let i = 0; i < 10; i++) await inst.outbox.append(msg(i));
        await inst.outbox.ack([(await inst.outbox.read(0, 1))[0]!.seq]);
        await inst.outbox.append(msg(10, { payload: Buffer.alloc(300, 7) }));
        await inst.outbox.close();
        await inst.damageTail!(120); // inside the last record
        const again = await inst.reopen!();
        t.deepEqual(numbers(await again.read(0, 100)), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        const n = await again.append(msg(11));
        t.deepEqual(numbers(await again.read(n.seq - 1, 1)), [11]);
        const third = await inst.reopen!();
        t.deepEqual(numbers(await third.read(0, 100)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 11]);
      });
    },
  );

  testIf(harness.durable, test)(
    `${harness.name}: thousands of append/ack cycles reopen to exactly the pending entries`,
    async (t) => {
      await use({}, async (inst) => {
        let outbox = inst.outbox;
        const expected: number[] = [];
        for (let round = 0; round < 3; round++) {
          const batch = await Promise.all(
            Array.from({ length: 2000 }, (_, i) =>
              outbox.append(msg(round * 2000 + i, { payload: Buffer.alloc(600, 1) })),
            ),
          );
          // ack all but every 97th
          const keep = batch.filter((_, i) => i % 97 === 0);
          expected.push(...keep.map((b) => b.seq));
          await outbox.ack(batch.filter((_, i) => i % 97 !== 0).map((b) => b.seq));
          outbox = await inst.reopen!();
        }
        const left = await outbox.read(0, 10_000);
        t.deepEqual(
          left.map((e) => e.seq),
          expected,
        );
        t.like(outbox.stats(), { pending: expected.length, appended: 6000, acked: 6000 - expected.length });
      });
    },
  );
}
