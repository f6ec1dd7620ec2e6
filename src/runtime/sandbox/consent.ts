/**
 * The demo owner's browser on the emulators' consent pages: the sandbox connects its demo tenant
 * through the same OAuth flows a person clicks through, by reading each page's form and submitting it
 * as a browser would. Only ever pointed at the in-process emulators, never at Stripe or Intuit.
 */

const unescapeHtml = (value: string) =>
  value
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

interface PostForm {
  readonly action: string;
  readonly fields: Record<string, string>;
}

/** The first `method="post"` form of a page: where it posts and its named inputs' values. */
function postForm(html: string, pageUrl: string): PostForm {
  const form = /<form[^>]*method="post"[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form?.[1] || form[2] === undefined) throw new Error(`no form on ${pageUrl}`);
  const fields: Record<string, string> = {};
  for (const input of form[2].matchAll(/<input\b[^>]*>/gi)) {
    const name = /\bname="([^"]*)"/.exec(input[0])?.[1];
    // Radio buttons are a choice, not a value to send back as is; callers pick one.
    if (name === undefined || /\btype="radio"/i.test(input[0])) continue;
    fields[unescapeHtml(name)] = unescapeHtml(/\bvalue="([^"]*)"/.exec(input[0])?.[1] ?? '');
  }
  return { action: new URL(unescapeHtml(form[1]), pageUrl).toString(), fields };
}

async function openPage(url: string): Promise<string> {
  const page = await fetch(url);
  const html = await page.text();
  if (page.status !== 200) throw new Error(`${url} answered ${page.status}: ${html.slice(0, 300)}`);
  return html;
}

/** Posts the form without following the redirect: answers where the provider sends the browser. */
async function submitForRedirect(action: string, fields: Record<string, string>): Promise<URL> {
  const response = await fetch(action, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  const location = response.headers.get('location');
  if (response.status !== 302 || !location) {
    throw new Error(`consent answered ${response.status} without a redirect: ${await response.text()}`);
  }
  return new URL(location, action);
}

/** Clicks Authorize on Stripe Connect's page; answers our callback URL with `code` and `state`. */
export async function consentOnStripe(authorizeUrl: string, businessName: string): Promise<URL> {
  const form = postForm(await openPage(authorizeUrl), authorizeUrl);
  if (!('authorization' in form.fields)) throw new Error('the Stripe authorize page has no Authorize form');
  return submitForRedirect(form.action, { ...form.fields, business_name: businessName });
}

/** Picks the first company on Intuit's consent page and presses Connect; answers our callback URL. */
export async function consentOnQuickBooks(authorizeUrl: string): Promise<URL> {
  const html = await openPage(authorizeUrl);
  const form = postForm(html, authorizeUrl);
  const realmId = /<input[^>]*type="radio"[^>]*name="realmId"[^>]*value="([^"]*)"/i.exec(html)?.[1];
  if (realmId === undefined || form.fields.request === undefined) {
    throw new Error('the QuickBooks consent page offers no company');
  }
  return submitForRedirect(form.action, { request: form.fields.request, realmId, action: 'connect' });
}
