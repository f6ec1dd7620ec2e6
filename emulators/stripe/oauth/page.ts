/** The OAuth pages' HTML. Every value that came from a request is escaped. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STYLE = `body{font-family:system-ui,sans-serif;background:#f6f9fc;color:#1a1f36;margin:0}
main{max-width:28rem;margin:4rem auto;background:#fff;border-radius:8px;padding:2rem;box-shadow:0 2px 8px #0002}
h1{font-size:1.25rem}button{background:#635bff;color:#fff;border:0;border-radius:4px;padding:.6rem 1.2rem;font-size:1rem}
label{display:block;margin:1rem 0 .25rem}input[type=text]{width:100%;padding:.4rem;box-sizing:border-box}
.deny{margin-left:1rem}.note{color:#697386;font-size:.85rem}`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

export interface AuthorizePageInput {
  readonly authorizationId: string;
  readonly platformName: string;
  readonly scope: string;
  readonly businessName: string;
}

/** Stripe's "connect your account" page: who asks, for what access, Authorize or Deny. */
export function authorizePage(input: AuthorizePageInput): string {
  const access =
    input.scope === 'read_write'
      ? 'read and write access: it can see your data and create charges, customers, invoices and more on your behalf'
      : 'read-only access to your data';
  const id = escapeHtml(input.authorizationId);
  return layout(
    `Connect to ${input.platformName}`,
    `<h1><strong>${escapeHtml(input.platformName)}</strong> would like to connect to your Stripe account</h1>
<p>Scope: <code>${escapeHtml(input.scope)}</code> — ${escapeHtml(access)}.</p>
<form method="post" action="/oauth/authorize/approve">
<input type="hidden" name="authorization" value="${id}">
<label for="business_name">Business name of the new Stripe account</label>
<input type="text" id="business_name" name="business_name" value="${escapeHtml(input.businessName)}">
<p><button type="submit" id="authorize">Authorize</button>
<a class="deny" id="deny" href="/oauth/authorize/deny?authorization=${escapeHtml(encodeURIComponent(input.authorizationId))}">Deny</a></p>
</form>
<p class="note">Stripe emulator: authorizing creates a new test account connected to this platform.</p>`,
  );
}

export function errorPage(message: string): string {
  return layout(
    'Stripe Connect error',
    `<h1>Something went wrong</h1><p id="error">${escapeHtml(message)}</p>`,
  );
}
