import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { createTestIdp } from '../helpers/saml.ts';

describe('readiness with SPID', () => {
  let gateway: TestGateway;
  let emptyDir: string;
  before(async () => {
    emptyDir = mkdtempSync(path.join(tmpdir(), 'varco-no-idps-'));
    gateway = await createTestGateway({ demo: false, spid: { metadataDir: emptyDir } });
  });
  after(async () => {
    await gateway.close();
    rmSync(emptyDir, { recursive: true, force: true });
  });

  it('is not ready while no IdP is trusted, and ready once one is', async () => {
    const down = await request(gateway.app).get('/ready').expect(503);
    expect(down.body.checks['spid-idps']).to.equal(false);
    expect(gateway.deps.demo).to.equal(undefined);
    await request(gateway.app).get('/demo/spid-idp/metadata').expect(404);
    gateway.deps.spid.idps.add(createTestIdp().descriptor);
    const up = await request(gateway.app).get('/ready').expect(200);
    expect(up.body.checks['spid-idps']).to.equal(true);
  });
});
