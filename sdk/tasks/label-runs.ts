/**
 * Runs of equal labels in class maps and masks, found four bytes at a time: label maps are mostly
 * long runs, and comparing a 32-bit word with the run's value repeated is one comparison for four
 * pixels of a Uint8Array map (two of a Uint16Array one). Shared by the RLE encoder and the area
 * counter, which both walk a map run by run.
 */

/**
 * The end of the run that starts at `start`: the first index in (start, end) whose label differs
 * from `map[start]`, or `end`. `words` is {@link wordsOf}(map).
 * @example
 * const words = wordsOf(map);
 * for (let i = 0; i < map.length; i = runEnd(map, words, i, map.length)) count(map[i]);
 */
export function runEnd(
  map: Uint8Array | Uint16Array,
  words: Uint32Array | undefined,
  start: number,
  end: number,
): number {
  const value = map[start]!;
  let i = start + 1;
  if (words !== undefined) {
    // Elements per word, and the word that holds `value` in each of them.
    const per = 4 / map.BYTES_PER_ELEMENT;
    const splat = per === 4 ? Math.imul(value, 0x01010101) >>> 0 : (value | (value << 16)) >>> 0;
    // To a word boundary one element at a time, then whole words, then the rest.
    for (; i < end && i % per !== 0; i++) if (map[i] !== value) return i;
    let w = i / per;
    const lastWord = Math.floor(end / per);
    while (w < lastWord && words[w] === splat) w++;
    i = w * per;
  }
  for (; i < end; i++) if (map[i] !== value) return i;
  return end;
}

/**
 * A 32-bit view of the map's whole words, when the map starts on a word boundary (a map made by
 * `new Uint8Array(n)` always does); undefined otherwise, and {@link runEnd} reads element by element.
 */
export function wordsOf(map: Uint8Array | Uint16Array): Uint32Array | undefined {
  if (map.byteOffset % 4 !== 0) return undefined;
  return new Uint32Array(map.buffer, map.byteOffset, Math.floor(map.byteLength / 4));
}
