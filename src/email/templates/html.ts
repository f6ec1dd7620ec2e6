/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * Marks a string as already-safe HTML. Only the helpers in this folder make one, from escaped
 * text, so a template cannot forget to escape a tenant's or a customer's words.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
}

/** Tagged template: every interpolated plain string is escaped, SafeHtml is kept as is. */
export function html(strings: TemplateStringsArray, ...values: (string | number | SafeHtml)[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += value instanceof SafeHtml ? value.value : escapeHtml(String(value));
    out += strings[index + 1] ?? '';
  });
  return new SafeHtml(out);
}

/** A link a button points to: only http(s), so data from elsewhere cannot smuggle in javascript:. */
export function safeUrl(value: string): string {
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`not an http(s) URL: ${value}`);
  return url.toString();
}

/** The shared frame: a plain, narrow, table-free body that renders in every mail client. */
export function layout(input: { tenantName: string; title: string; body: SafeHtml }): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width" />
        <title>${input.title}</title>
      </head>
      <body
        style="margin:0;padding:24px;background:#f6f7f9;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2328"
      >
        <div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:32px">
          <p style="margin:0 0 24px;font-size:14px;color:#57606a">${input.tenantName}</p>
          ${input.body}
        </div>
      </body>
    </html> `.value;
}

export function button(label: string, href: string): SafeHtml {
  return html`<p style="margin:24px 0">
    <a
      href="${safeUrl(href)}"
      style="display:inline-block;padding:12px 20px;background:#1f6feb;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600"
      >${label}</a
    >
  </p>`;
}
