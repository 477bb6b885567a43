/**
 * Branded unit types. Information quantities in nats and bits are both plain numbers at
 * runtime; the brand makes the compiler refuse to mix them or to pass a raw number where a
 * log-probability is expected.
 */
declare const unit: unique symbol;

/** A natural-log quantity (log-probability, entropy, mutual information) in nats. */
export type Nats = number & { readonly [unit]: 'nats' };

/** A base-2 quantity in bits. */
export type Bits = number & { readonly [unit]: 'bits' };

export const nats = (value: number): Nats => value as Nats;

export const natsToBits = (value: Nats): Bits => (value / Math.LN2) as Bits;
