/** What every template knows besides its own data: whose business the email comes from. */
export interface TemplateContext {
  readonly tenantName: string;
}

export interface RenderedEmail {
  readonly subject: string;
  /** The plain-text alternative, for clients that do not show HTML (and for spam filters). */
  readonly text: string;
  readonly html: string;
}
