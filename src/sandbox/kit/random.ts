/**
 * The seeded pseudo-random source of the sandboxes' data and the benchmarks' inputs: deterministic,
 * never Math.random, so the same seed gives the same records on every run (tests and benchmarks rely
 * on it). Changing anything here changes every seeded data set.
 */

/** mulberry32 from a 32-bit state: numbers in [0, 1). Small and fast enough to seed 200,000 records. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** FNV-1a (32-bit) of a seed's text, so a tenant id can seed mulberry32. */
export function hashSeed(seed: number | string): number {
  let hash = 0x811c9dc5;
  for (const char of String(seed)) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
  return hash >>> 0;
}

/** mulberry32 seeded by FNV-1a of the seed's text: the same tenant id gives the same data. */
export function seededRandom(seed: number | string): () => number {
  return mulberry32(hashSeed(seed));
}
