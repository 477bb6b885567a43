/**
 * A chat template's idea of today. Llama 3.2's template prints the date (`strftime_now`), so the
 * same messages render another prompt on another day. The model service fixes the day when a
 * model loads and renders every prompt with it (as `date_string`, which the Llama 3.x templates
 * print when given; the template engine's own clock cannot be replaced); the day then joins the
 * model's fingerprint, so a cached score is only reused for the prompt it was computed on.
 */

/** Whether a chat template reads the clock. */
export const templatePrintsDate = (template: unknown): boolean =>
  typeof template === 'string' && template.includes('strftime_now');

/**
 * `strftime` for the directives templates use (%Y %m %d %b %B %H %M %%), as transformers.js's own
 * `strftime_now` formats them (month names in the runtime's locale).
 */
export function strftime(date: Date, format: string): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const month = (style: 'short' | 'long') => new Intl.DateTimeFormat(undefined, { month: style }).format(date);
  return format.replace(/%[YmdbBHM%]/g, (directive) => {
    switch (directive) {
      case '%Y':
        return String(date.getFullYear());
      case '%m':
        return two(date.getMonth() + 1);
      case '%d':
        return two(date.getDate());
      case '%b':
        return month('short');
      case '%B':
        return month('long');
      case '%H':
        return two(date.getHours());
      case '%M':
        return two(date.getMinutes());
      default:
        return '%';
    }
  });
}

/** YYYY-MM-DD of a local date. */
export const isoDay = (date: Date): string => strftime(date, '%Y-%m-%d');
