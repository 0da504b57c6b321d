/**
 * Money as integer minor units (cents). Amounts enter and leave syncline as decimal strings ("12.30")
 * and are never held as floating point, so sums and splits are exact to the cent.
 */

const AMOUNT = /^(-?)(\d{1,16})(?:\.(\d{1,2}))?$/;

/** "12.3" → 1230; null when the text is not an amount with at most two decimals. */
export function parseCents(text: string): bigint | null {
  const match = AMOUNT.exec(text.trim());
  if (!match) return null;
  const [, sign, units, fraction = ""] = match;
  const cents = BigInt(units!) * 100n + BigInt(fraction.padEnd(2, "0"));
  return sign ? -cents : cents;
}

/** Cents of an amount syncline wrote itself (a column or a stored draft): malformed means corrupt data. */
export function centsOf(text: string): bigint {
  const cents = parseCents(text);
  if (cents === null) throw new Error(`Not an amount: "${text}"`);
  return cents;
}

/** 1230n → "12.30". */
export function formatCents(cents: bigint): string {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  return `${negative ? "-" : ""}${abs / 100n}.${String(abs % 100n).padStart(2, "0")}`;
}

export const sumCents = (values: Iterable<bigint>): bigint => {
  let total = 0n;
  for (const value of values) total += value;
  return total;
};

/**
 * Splits `amount` across shares proportionally to `weights`, exactly: the parts sum to `amount`, and each
 * part is the proportional amount rounded down or up (largest remainder). Weights may be negative or
 * zero only if they do not all sum to zero.
 */
export function allocate(amount: bigint, weights: readonly bigint[]): bigint[] {
  const total = sumCents(weights);
  if (total === 0n) throw new Error("allocate: weights sum to zero");
  const floorDiv = (a: bigint, b: bigint) => {
    const q = a / b;
    return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
  };
  const parts = weights.map((weight) => floorDiv(amount * weight, total));
  // Remainders in units of 1/|total|: hand the leftover cents to the largest ones (ties: first share).
  const remainders = weights.map((weight, i) => ({ i, rest: amount * weight - parts[i]! * total }));
  const sign = total < 0n ? -1n : 1n;
  remainders.sort((a, b) => {
    const diff = (b.rest - a.rest) * sign;
    return diff > 0n ? 1 : diff < 0n ? -1 : a.i - b.i;
  });
  let left = amount - sumCents(parts);
  for (let k = 0; left !== 0n; k = (k + 1) % remainders.length) {
    const step = left > 0n ? 1n : -1n;
    parts[remainders[k]!.i]! += step;
    left -= step;
  }
  return parts;
}
