import test from 'ava';
import { MemorySlotStore } from '../../sdk/ota/slots/slot-store-memory.js';
import { slotStoreContract } from './slot-store.contract.js';

slotStoreContract(test, 'MemorySlotStore', async () => {
  const store = new MemorySlotStore();
  return { store, dispose: () => store.close() };
});
