import { expect } from 'chai';
import request from 'supertest';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';

const TOKEN = 'test-only-metrics-token-0123456789abcdef';

describe('GET /metrics', () => {
  describe('with a token configured', () => {
    let gw: TestGateway;
    before(async () => {
      gw = await createTestGateway({ stats: { metricsToken: TOKEN } });
    });
    after(() => gw.close());

    it('refuses a scrape without the token, or with a wrong one (401), and changes nothing', async () => {
      for (const header of [
        undefined,
        'Bearer wrong',
        `Basic ${TOKEN}`,
        `Bearer ${TOKEN}x`,
        `bearer  ${TOKEN}`,
      ]) {
        const req = request(gw.app).get('/metrics');
        const res = await (header ? req.set('Authorization', header) : req).expect(401);
        expect(res.headers['www-authenticate']).to.match(/^Bearer/);
        expect(res.text).not.to.include('varco_');
      }
    });

    it('answers the Prometheus text format: requests by route pattern and status, logins, queues, process', async () => {
      await request(gw.app).get('/services/museo-tessuto-biglietti').expect(200);
      await request(gw.app).get('/services/RSSMRA80A01H501U').expect(404);
      await request(gw.app).get('/__test/login?fiscalCode=RSSMRA80A01H501U').expect(200);
      const res = await request(gw.app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
      expect(res.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
      expect(res.headers['cache-control']).to.equal('no-store');
      const text = res.text;
      expect(text).to.match(
        /varco_http_request_duration_seconds_count\{method="GET",route="\/services\/:serviceId",status="200"\} 1/,
      );
      expect(text).to.match(/route="\/services\/:serviceId",status="404"\} 1/);
      // The raw URL never becomes a label (a fiscal code in a path stays out of the metrics).
      expect(text).not.to.include('RSSMRA80A01H501U');
      expect(text).not.to.include('museo-tessuto-biglietti');
      expect(text).to.match(/varco_logins_total\{provider="spid",level="2",outcome="success"\} 1/);
      expect(text).to.match(/varco_delivery_jobs\{body="[^"]+",endpoint="[^"]+",state="failed"\} 0/);
      expect(text).to.match(/varco_redis_up 1/);
      expect(text).to.match(/varco_mail_jobs\{state="wait"\} \d+/);
      expect(text).to.include('varco_redis_errors_total 0');
      expect(text).to.include('process_cpu_user_seconds_total');
      expect(text).to.include('nodejs_eventloop_lag_seconds');
    });
  });

  describe('without a token configured', () => {
    let gw: TestGateway;
    before(async () => {
      gw = await createTestGateway();
    });
    after(() => gw.close());

    it('does not exist (404), with or without a token', async () => {
      await request(gw.app).get('/metrics').expect(404);
      await request(gw.app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(404);
    });
  });

  it('refuses to start with a token shorter than 32 characters', async () => {
    let failed: unknown;
    try {
      await createTestGateway({ stats: { metricsToken: 'short' } });
    } catch (error) {
      failed = error;
    }
    expect(String(failed)).to.include('metrics token needs at least 32 characters');
  });
});
