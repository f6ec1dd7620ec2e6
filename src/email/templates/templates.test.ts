import { describe, expect, it } from 'vitest';
import { EMAIL_TEMPLATES } from '../../domain/workflows/nodes.js';
import { escapeHtml, html } from './html.js';
import { renderEmail } from './index.js';

const context = { tenantName: `O'Brien "Pipes" <b>&</b>` };

describe('email templates', () => {
  it('render the payment link with the tenant name escaped in HTML and plain in text', () => {
    const email = renderEmail(
      'payment_link',
      {
        customer_name: '<img src=x onerror=alert(1)>',
        invoice_number: 'INV-7',
        amount_due: 5000,
        currency: 'JPY',
        payment_url: 'https://pay.example.test/p?a=1&b="2"',
      },
      context,
    );
    expect(email.subject).toBe(`Invoice INV-7 from ${context.tenantName}: ¥5,000`);
    expect(email.text).toContain(`${context.tenantName} sent you invoice INV-7 for ¥5,000.`);
    expect(email.text).toContain('Hello <img src=x onerror=alert(1)>,');
    expect(email.html).toContain('O&#39;Brien &quot;Pipes&quot; &lt;b&gt;&amp;&lt;/b&gt;');
    expect(email.html).toContain('Hello &lt;img src=x onerror=alert(1)&gt;,');
    expect(email.html).not.toMatch(/<img|<b>/);
    expect(email.html).toContain('href="https://pay.example.test/p?a=1&amp;b=%222%22"');
  });

  it('render the review request', () => {
    const email = renderEmail('review_request', { review_url: 'https://g.example.test/review' }, context);
    expect(email.subject).toBe(`How did ${context.tenantName} do?`);
    expect(email.text).toMatch(/^Hello,\n/);
    expect(email.text).toContain('Leave a review: https://g.example.test/review');
    expect(email.html).toContain('href="https://g.example.test/review"');
  });

  it('refuse data that does not fit, such as a javascript: link or a fractional amount', () => {
    const base = { invoice_number: 1, amount_due: 100, currency: 'USD', payment_url: 'https://x.test' };
    expect(() =>
      renderEmail('payment_link', { ...base, payment_url: 'javascript:alert(1)' }, context),
    ).toThrow();
    expect(() => renderEmail('payment_link', { ...base, amount_due: 1.5 }, context)).toThrow();
    expect(() => renderEmail('payment_link', { ...base, colour: 'red' } as typeof base, context)).toThrow();
  });

  it('cover every template a workflow may name', () => {
    const samples = {
      payment_link: { invoice_number: 1, amount_due: 1, currency: 'USD', payment_url: 'https://x.test' },
      review_request: { review_url: 'https://x.test' },
    };
    for (const name of EMAIL_TEMPLATES)
      expect(renderEmail(name, samples[name], context).html).toContain('<!doctype html>');
  });

  it('escape every interpolation of the html tag', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    // Called through another name so that Prettier leaves the markup's whitespace alone.
    const safe = html;
    expect(safe`<p>${'<b>'}</p>${safe`<i>${'&'}</i>`}`.value).toBe('<p>&lt;b&gt;</p><i>&amp;</i>');
  });
});
