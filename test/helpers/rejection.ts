/** The error a promise rejects with; throws if it resolves instead. */
import type { EdgeError } from '../../sdk/core/errors.js';

export async function rejection(p: Promise<unknown>): Promise<EdgeError> {
  try {
    await p;
  } catch (err) {
    return err as EdgeError;
  }
  throw new Error('resolved where a rejection was expected');
}
