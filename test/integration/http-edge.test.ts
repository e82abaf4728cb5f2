import { expect } from 'chai';
import { answerClientErrors } from '../../src/platform/client-errors.ts';
import { createTestGateway, listen, type TestGateway } from '../helpers/gateway.ts';
import { rawExchange } from '../helpers/server-process.ts';

describe('requests too malformed to reach the app', () => {
  let gateway: TestGateway;
  let server: Awaited<ReturnType<typeof listen>>;
  let port: number;
  before(async () => {
    gateway = await createTestGateway();
    server = await listen(gateway.app);
    answerClientErrors(server.server);
    port = Number(new URL(server.url).port);
  });
  after(async () => {
    await server.close();
    await gateway.close();
  });

  it('answers headers too large with 431 and a plain body, then closes', async () => {
    const answer = await rawExchange(
      port,
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: a=${'x'.repeat(20_000)}\r\n\r\n`,
    );
    const [head = '', body] = answer.split('\r\n\r\n');
    expect(head).to.match(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(head).to.contain('Content-Type: text/plain; charset=utf-8').and.contain('Connection: close');
    expect(body).to.equal('431 Request Header Fields Too Large\n');
  });

  it('answers a malformed request line with 400', async () => {
    const answer = await rawExchange(port, 'NOT A REQUEST\r\n\r\n');
    expect(answer).to.match(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer.split('\r\n\r\n')[1]).to.equal('400 Bad Request\n');
  });

  it('answers a header with a forbidden character with 400', async () => {
    const answer = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Bad: a\u0000b\r\n\r\n');
    expect(answer).to.match(/^HTTP\/1\.1 400 Bad Request\r\n/);
  });

  it('still serves well-formed requests on the same server', async () => {
    const answer = await rawExchange(
      port,
      'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    );
    expect(answer).to.match(/^HTTP\/1\.1 200 OK\r\n/);
  });
});
