import { createServer, type Server, type Socket } from 'node:net';

/**
 * A minimal SMTP server for the browser tests: accepts every message (no
 * TLS, no authentication) and keeps it in memory, so a test can read the
 * one-time sign-in code CityOS e-mails to a citizen. Only used when
 * CITYOS_E2E_SMTP names the host:port the CityOS server under test sends
 * its mail to (`CITYOS_NOTIFY__SMTP__HOST` / `CITYOS_NOTIFY__SMTP__PORT`).
 */
export interface SinkMessage {
  from: string;
  to: string[];
  raw: string;
  /** Headers and body with base64, quoted-printable and encoded words decoded. */
  text: string;
}

function decodeQuotedPrintable(text: string): string {
  const soft = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const hex = soft.slice(i + 1, i + 3);
    if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(soft[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Best-effort decoding of a MIME message into readable text. */
export function decodeMessage(raw: string): string {
  let text = raw.replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_, _charset: string, kind: string, data: string) =>
    kind.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQuotedPrintable(data.replace(/_/g, ' ')),
  );
  // Base64 bodies: runs of base64-only lines.
  text = text.replace(/(?:^[A-Za-z0-9+/]{16,}={0,2}\r?\n?)+/gm, (block) => {
    const decoded = Buffer.from(block.replace(/\s+/g, ''), 'base64').toString('utf8');
    return /[\u0000-\u0008\uFFFD]/.test(decoded) ? block : `${decoded}\n`;
  });
  if (/quoted-printable/i.test(raw)) text = decodeQuotedPrintable(text);
  return text;
}

export class SmtpSink {
  readonly messages: SinkMessage[] = [];
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  async start(host: string, port: number): Promise<void> {
    this.server = createServer((socket) => this.session(socket));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Waits for a message to `to` whose decoded text matches `pattern`; returns the first group. */
  async waitFor(to: string, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
      for (const message of this.messages) {
        if (!message.to.some((rcpt) => rcpt.toLowerCase() === to.toLowerCase())) continue;
        const match = pattern.exec(message.text);
        if (match) return match[1] ?? match[0];
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`no message to ${to} matching ${pattern} within ${timeoutMs} ms`);
  }

  private session(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.setEncoding('utf8');
    let buffer = '';
    let inData = false;
    let data = '';
    let from = '';
    let to: string[] = [];
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 cityos-e2e ESMTP sink');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) {
            // A message that starts with the terminator.
            if (buffer.startsWith('.\r\n') && data === '') {
              buffer = buffer.slice(3);
            } else {
              return;
            }
          } else {
            data += buffer.slice(0, end);
            buffer = buffer.slice(end + 5);
          }
          const raw = data.replace(/^\.\./gm, '.');
          this.messages.push({ from, to, raw, text: decodeMessage(raw) });
          inData = false;
          data = '';
          reply('250 OK queued');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const command = line.slice(0, 4).toUpperCase();
        if (command === 'EHLO') {
          reply('250-cityos-e2e');
          reply('250-8BITMIME');
          reply('250 SMTPUTF8');
        } else if (command === 'HELO') reply('250 cityos-e2e');
        else if (command === 'MAIL') {
          from = /<([^>]*)>/.exec(line)?.[1] ?? '';
          to = [];
          reply('250 OK');
        } else if (command === 'RCPT') {
          to.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
          reply('250 OK');
        } else if (command === 'DATA') {
          inData = true;
          data = '';
          reply('354 End data with <CR><LF>.<CR><LF>');
        } else if (command === 'RSET') {
          from = '';
          to = [];
          reply('250 OK');
        } else if (command === 'NOOP') reply('250 OK');
        else if (command === 'QUIT') {
          reply('221 Bye');
          socket.end();
          return;
        } else reply('502 Command not implemented');
      }
    });
  }
}
