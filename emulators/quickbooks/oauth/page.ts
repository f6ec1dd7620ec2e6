/** The consent pages' HTML. Every value that came from a request or a company name is escaped. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f5f8;color:#393a3d;margin:0}
main{max-width:30rem;margin:4rem auto;background:#fff;border-radius:8px;padding:2rem;box-shadow:0 2px 8px #0002}
h1{font-size:1.25rem}label.company{display:block;padding:.6rem;border:1px solid #d4d7dc;border-radius:4px;margin:.4rem 0}
button{border:0;border-radius:4px;padding:.6rem 1.2rem;font-size:1rem;margin-right:.5rem}
#connect{background:#2ca01c;color:#fff}#cancel{background:#eceef1;color:#393a3d}.note{color:#6b6c72;font-size:.85rem}`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

export interface ConsentPageInput {
  readonly requestId: string;
  readonly companies: readonly { readonly realmId: string; readonly companyName: string }[];
}

/**
 * Intuit's consent screen: the person picks one of their companies and presses Connect, or
 * Cancel. Both post back to `/connect/oauth2` with the pending request's id.
 */
export function consentPage(input: ConsentPageInput): string {
  const choices = input.companies
    .map(
      (company, index) =>
        `<label class="company"><input type="radio" name="realmId" value="${escapeHtml(company.realmId)}"${
          index === 0 ? ' checked' : ''
        }> ${escapeHtml(company.companyName)} <span class="note">(realm ${escapeHtml(company.realmId)})</span></label>`,
    )
    .join('\n');
  const connect =
    input.companies.length > 0
      ? '<button type="submit" id="connect" name="action" value="connect">Connect</button>'
      : '<p id="no-companies">There is no company to connect. Create one in the emulator first.</p>';
  return layout(
    'Connect to QuickBooks',
    `<h1>An app would like to connect to your QuickBooks company</h1>
<p>It asks for access to your accounting data: customers, items, invoices, payments and more.</p>
<form method="post" action="/connect/oauth2">
<input type="hidden" name="request" value="${escapeHtml(input.requestId)}">
${choices}
<p>${connect}<button type="submit" id="cancel" name="action" value="cancel">Cancel</button></p>
</form>
<p class="note">QuickBooks Online emulator: no sign-in; pick the company to connect.</p>`,
  );
}

export function errorPage(message: string): string {
  return layout(
    'QuickBooks connection error',
    `<h1>Something went wrong</h1><p id="error">${escapeHtml(message)}</p>`,
  );
}
