import test from 'ava';
import { MemoryOutbox } from '../../sdk/mqtt/outbox/memory-outbox.js';
import { outboxContract } from './outbox.contract.js';

outboxContract(test, {
  name: 'MemoryOutbox',
  durable: false,
  async create({ limits, clock }) {
    return {
      outbox: new MemoryOutbox({ ...(limits ? { limits } : {}), ...(clock ? { clock } : {}) }),
      cleanup: async () => undefined,
    };
  },
});
