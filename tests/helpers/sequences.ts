/**
 * Reading numbered messages (`label:1`, `label:2`, …) back from what a client
 * received: per label, the numbers in arrival order.
 *
 * @module
 */

/** The numbers received per label, in arrival order. */
export function numbers(received: readonly (string | Buffer)[], label: string): number[] {
  const out: number[] = [];
  for (const message of received) {
    if (typeof message !== 'string') continue;
    const colon = message.indexOf(':');
    if (colon > 0 && message.slice(0, colon) === label) out.push(Number(message.slice(colon + 1)));
  }
  return out;
}

/** Whether `seen` is strictly increasing: in order, no duplicate (some may be missing). */
export function strictlyIncreasing(seen: readonly number[]): boolean {
  return seen.every((n, i) => i === 0 || n > seen[i - 1]!);
}

/** 1 … n. */
export function range(n: number, from = 1): number[] {
  return Array.from({ length: n }, (_, i) => i + from);
}
