/**
 * The built app's Content-Security-Policy in Chromium: a request to another origin is refused by
 * the browser itself (it never reaches the network), an injected inline handler does not run, and
 * the workers are served under the same policy; the Hub's hosts stay reachable for downloads a
 * user asks for.
 */
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../vite.config.js';
import { openApp, useBuiltApp, waitUntilReady } from '../helpers/browser.js';

const appUrl = useBuiltApp();

describe('content security policy', () => {
  it('blocks other origins and inline script, page and workers alike', async () => {
    const app = await openApp(appUrl());
    const { page } = app;
    try {
      const workerPolicies: (string | null)[] = [];
      page.on('response', (r) => {
        if (/\/assets\/[a-z-]+\.worker-[^/]+\.js$/.test(new URL(r.url()).pathname))
          workerPolicies.push(r.headers()['content-security-policy'] ?? null);
      });
      await page.goto(appUrl());
      await waitUntilReady(page);
      const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
      expect(meta).toBe(CONTENT_SECURITY_POLICY);
      expect(workerPolicies.length).toBeGreaterThan(0);
      expect(workerPolicies.every((p) => p === CONTENT_SECURITY_POLICY)).toBe(true);

      const outcome = await page.evaluate(async () => {
        const violations: string[] = [];
        document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
        const fetched = await fetch('https://example.com/collect').then(
          () => 'reached',
          () => 'refused',
        );
        document.body.insertAdjacentHTML('beforeend', '<img src="data:," onload="window.__injected = true">');
        await new Promise((resolve) => setTimeout(resolve, 200));
        return { fetched, violations, injected: (window as { __injected?: boolean }).__injected ?? false };
      });
      expect(outcome.fetched).toBe('refused');
      expect(outcome.injected).toBe(false);
      expect(outcome.violations).toEqual(expect.arrayContaining(['connect-src', 'script-src-attr']));
      // Refused by the policy before any request was made: the network guard saw nothing.
      expect(app.foreignRequests).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
