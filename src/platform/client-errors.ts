import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

/** llhttp's codes for requests too malformed to reach Express, and the status each deserves. */
const STATUS_BY_CODE: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
};

/**
 * Requests Node's HTTP parser rejects (headers too large, malformed request lines, bad chunking) never
 * reach the app: answer them with a plain, correct status and close the connection (RFC 6585 section 5
 * for 431), instead of Node's bare status line.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = STATUS_BY_CODE[error.code ?? ''] ?? 400;
    const reason = STATUS_CODES[status] ?? 'Bad Request';
    const body = `${status} ${reason}\n`;
    socket.end(
      [
        `HTTP/1.1 ${status} ${reason}`,
        'Content-Type: text/plain; charset=utf-8',
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Cache-Control: no-store',
        'X-Content-Type-Options: nosniff',
        'Connection: close',
        '',
        body,
      ].join('\r\n'),
    );
  });
}
