import { createServer, type Server, type Socket } from 'node:net';

/**
 * A minimal SMTP server for tests (RFC 5321 subset: EHLO/HELO, AUTH PLAIN, MAIL, RCPT, DATA, RSET,
 * NOOP, QUIT; no TLS). It speaks real SMTP over a real socket, so the code under test runs
 * nodemailer end to end; nodemailer cannot be pointed at itself. Kept free of test-only imports so
 * the build can compile it harmlessly.
 */
export interface ReceivedMessage {
  readonly from: string;
  readonly to: string[];
  /** user and password from AUTH PLAIN, if the client authenticated. */
  readonly auth: { user: string; password: string } | undefined;
  /** The raw message (headers and MIME body), dot-unstuffed. */
  readonly data: string;
}

export interface SmtpSink {
  readonly port: number;
  readonly messages: ReceivedMessage[];
  /** The reply to the next RCPT TO for these addresses, e.g. "550 5.1.1 no such user". */
  readonly rcptReplies: Map<string, string>;
  /** When set, MAIL FROM is answered with this reply (e.g. "451 4.3.0 try later"). */
  mailFromReply: string | undefined;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const sockets = new Set<Socket>();
  let queued = 0;
  const sink: Omit<SmtpSink, 'port' | 'close'> & { mailFromReply: string | undefined } = {
    messages: [],
    rcptReplies: new Map(),
    mailFromReply: undefined,
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    let inData = false;
    let dataLines: string[] = [];
    let from = '';
    let to: string[] = [];
    let auth: ReceivedMessage['auth'];
    const reply = (line: string) => socket.write(`${line}\r\n`);
    const address = (arg: string) => /<([^>]*)>/.exec(arg)?.[1] ?? arg.trim();
    const handle = (line: string) => {
      if (inData) {
        if (line === '.') {
          inData = false;
          sink.messages.push({ from, to, auth, data: dataLines.join('\r\n') });
          reply(`250 2.0.0 Ok: queued as Q${++queued}`);
        } else dataLines.push(line.startsWith('..') ? line.slice(1) : line);
        return;
      }
      const [verb = '', ...rest] = line.split(' ');
      const arg = rest.join(' ');
      switch (verb.toUpperCase()) {
        case 'EHLO':
          reply('250-sink.test');
          reply('250-AUTH PLAIN');
          reply('250 8BITMIME');
          return;
        case 'HELO':
          return reply('250 sink.test');
        case 'AUTH': {
          const [, initial = ''] = arg.split(' ');
          const [, user = '', password = ''] = Buffer.from(initial, 'base64')
            .toString('utf8')
            .split('\u0000');
          auth = { user, password };
          return reply('235 2.7.0 Authentication successful');
        }
        case 'MAIL':
          if (sink.mailFromReply) return reply(sink.mailFromReply);
          from = address(arg);
          to = [];
          return reply('250 2.1.0 Ok');
        case 'RCPT': {
          const recipient = address(arg);
          const custom = sink.rcptReplies.get(recipient);
          if (custom) return reply(custom);
          to.push(recipient);
          return reply('250 2.1.5 Ok');
        }
        case 'DATA':
          inData = true;
          dataLines = [];
          return reply('354 End data with <CR><LF>.<CR><LF>');
        case 'RSET':
          from = '';
          to = [];
          return reply('250 2.0.0 Ok');
        case 'NOOP':
          return reply('250 2.0.0 Ok');
        case 'QUIT':
          reply('221 2.0.0 Bye');
          socket.end();
          return;
        default:
          return reply('502 5.5.2 Command not recognized');
      }
    };
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        handle(line);
      }
    });
    reply('220 sink.test ESMTP');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return Object.assign(sink, {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
}
