// Outgoing mail over SMTP (nodemailer), built from the current mail settings on every send so
// an admin's change applies without a restart. secure=false upgrades with STARTTLS when offered.
import { createTransport } from 'nodemailer';
import type { Settings } from '../settings/schema.js';

export type MailSettings = Settings['mail'];

const CONNECT_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 20_000;

/** SMTP counts as configured once a host is set. */
export function mailConfigured(mail: MailSettings): boolean {
  return mail.host.trim() !== '';
}

export async function sendMail(mail: MailSettings, to: string, subject: string, text: string): Promise<void> {
  const transport = createTransport({
    host: mail.host.trim(),
    port: mail.port,
    secure: mail.secure,
    auth: mail.username ? { user: mail.username, pass: mail.password } : undefined,
    connectionTimeout: CONNECT_TIMEOUT_MS,
    greetingTimeout: CONNECT_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
  });
  try {
    await transport.sendMail({ from: mail.from || mail.username, to, subject, text });
  } finally {
    transport.close();
  }
}
