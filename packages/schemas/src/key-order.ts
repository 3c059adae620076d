/**
 * Rust's `String` order, which is UTF-8 byte order and so the order of serde_json's `BTreeMap` objects
 * (docs/protocol.md §4.6): code point order. JavaScript's default string order compares UTF-16 code units,
 * which puts a supplementary character (a surrogate pair, U+D800..U+DFFF units) before U+E000..U+FFFF;
 * Rust puts it after. Compared unit by unit, the first differing unit decides once surrogates are ranked
 * above every other unit from U+D800 on.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

function rank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit <= 0xdfff ? unit + 0x2000 : unit - 0x800;
}
