/**
 * A person's browser on the Stripe emulator's pages, over real HTTP: reading a page's form and
 * submitting it as a browser would (form-encoded POST), and going through Connect OAuth's
 * authorize page up to the redirect back to us.
 */
export interface HtmlForm {
  /** The absolute URL the form posts to. */
  readonly action: string;
  /** Every named input with its value (empty when it has none). */
  readonly fields: Record<string, string>;
}

const unescape = (value: string) =>
  value
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

/** The first `method="post"` form of an HTML page. */
export function parseForm(html: string, pageUrl: string): HtmlForm {
  const form = /<form[^>]*method="post"[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form?.[1] || form[2] === undefined) throw new Error(`no form on ${pageUrl}`);
  const fields: Record<string, string> = {};
  for (const input of form[2].matchAll(/<input\b[^>]*>/gi)) {
    const name = /\bname="([^"]*)"/.exec(input[0])?.[1];
    if (name !== undefined) fields[unescape(name)] = unescape(/\bvalue="([^"]*)"/.exec(input[0])?.[1] ?? '');
  }
  return { action: new URL(unescape(form[1]), pageUrl).toString(), fields };
}

/** Submits a form; `manual` stops at a redirect so the caller can read where it leads. */
export function submitForm(
  url: string,
  fields: Record<string, string>,
  redirect: 'follow' | 'manual' = 'follow',
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    redirect,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

/**
 * Opens an `authorize_url` on the emulator and clicks Authorize (or Deny): answers the URL Stripe
 * sends the browser back to, with `code` and `state` (or `error`), not yet followed.
 */
export async function authorizeOnStripe(
  authorizeUrl: string,
  options: { deny?: boolean; businessName?: string } = {},
): Promise<URL> {
  const page = await fetch(authorizeUrl);
  const html = await page.text();
  if (page.status !== 200) throw new Error(`authorize page answered ${page.status}: ${html}`);
  let redirect: Response;
  if (options.deny) {
    const href = /<a[^>]*id="deny"[^>]*href="([^"]+)"/.exec(html)?.[1];
    if (!href) throw new Error('no Deny link on the authorize page');
    redirect = await fetch(new URL(unescape(href), authorizeUrl), { redirect: 'manual' });
  } else {
    const form = parseForm(html, authorizeUrl);
    if (!('authorization' in form.fields)) throw new Error('the Authorize form has no authorization field');
    const fields = {
      ...form.fields,
      ...(options.businessName ? { business_name: options.businessName } : {}),
    };
    redirect = await submitForm(form.action, fields, 'manual');
  }
  const location = redirect.headers.get('location');
  if (redirect.status !== 302 || !location) {
    throw new Error(`authorizing answered ${redirect.status} without a redirect: ${await redirect.text()}`);
  }
  return new URL(location, authorizeUrl);
}
