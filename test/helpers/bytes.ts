/**
 * Byte mutations for the corruption and fuzz tests.
 */

/**
 * XORs one byte of `bytes` with `mask` in place (flips the mask's bits).
 * @throws RangeError when `index` is outside the buffer, so a mutation never silently does nothing
 */
export function xorByte(bytes: Uint8Array, index: number, mask: number): void {
  const old = bytes[index];
  if (old === undefined) throw new RangeError(`byte ${index} is outside a buffer of ${bytes.length} bytes`);
  bytes[index] = old ^ mask;
}
