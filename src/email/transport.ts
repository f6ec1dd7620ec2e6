import nodemailer from 'nodemailer';
import type { MailConfig, SmtpConfig } from '../config.js';
import type { MailTransportKind } from '../store/repositories/emails.js';

/** A message as handed to a transport: what was recorded, plus a Message-ID stable across retries. */
export interface OutgoingMessage {
  readonly messageId: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface MailTransport {
  readonly kind: MailTransportKind;
  /** MAIL_FROM: the sender address; the display name becomes the tenant's name. */
  readonly from: string;
  /** Resolves once the message is accepted (by the SMTP server, or kept by the catcher). */
  deliver(message: OutgoingMessage): Promise<{ readonly providerMessageId: string }>;
  close(): void;
}

/** Thrown by deliver when the SMTP server refused or could not be reached. */
export class SmtpDeliveryError extends Error {
  override readonly name = 'SmtpDeliveryError';
  constructor(
    message: string,
    /** The server's reply code, when it answered; 5xx means retrying the same message is pointless. */
    readonly responseCode: number | undefined,
  ) {
    super(message);
  }
}

/** SMTP when configured, otherwise the built-in mail catcher. */
export function createMailTransport(mail: MailConfig): MailTransport {
  return mail.smtp ? smtpTransport(mail.smtp, mail.from) : catcherTransport(mail.from);
}

/**
 * The mail catcher: the recorded row in `emails` is the delivered message, read back through
 * `GET /api/v1/emails`. Nothing leaves the machine, so a sandbox shows what a customer would receive.
 */
export function catcherTransport(from: string): MailTransport {
  return {
    kind: 'catcher',
    from,
    deliver: async (message) => ({ providerMessageId: `catcher:${message.messageId}` }),
    close: () => undefined,
  };
}

// Bounded so that a hung server fails the attempt well within the send claim (CLAIM_SECONDS).
const TIMEOUTS = { connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 };

export function smtpTransport(smtp: SmtpConfig, from: string): MailTransport {
  const transporter = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user !== undefined && { auth: { user: smtp.user, pass: smtp.password ?? '' } }),
    ...TIMEOUTS,
  });
  return {
    kind: 'smtp',
    from,
    async deliver(message) {
      try {
        const info = await transporter.sendMail({
          messageId: message.messageId,
          from: message.from,
          to: [...message.to],
          subject: message.subject,
          text: message.text,
          html: message.html,
        });
        // The acceptance reply ("250 2.0.0 Ok: queued as 4F3A1") carries the server's own id.
        return { providerMessageId: String(info.response ?? info.messageId) };
      } catch (error) {
        const code = (error as { responseCode?: unknown }).responseCode;
        throw new SmtpDeliveryError(
          error instanceof Error ? error.message : String(error),
          typeof code === 'number' ? code : undefined,
        );
      }
    },
    close: () => transporter.close(),
  };
}
