/** How the results views write numbers: fixed digits, and a dash where there is no finite value. */
export const formatNumber = (value: number | null | undefined, digits = 3): string =>
  value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);

/** An interval as "[low, high]"; `missing` where there is none (yet). */
export const formatInterval = (interval: readonly [number, number] | null, missing = '—'): string =>
  interval ? `[${formatNumber(interval[0])}, ${formatNumber(interval[1])}]` : missing;
