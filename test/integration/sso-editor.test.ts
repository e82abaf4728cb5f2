import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { createTestGateway, csrfTokenFrom, type TestGateway } from '../helpers/gateway.ts';
import { testBody } from './catalog-fixtures.ts';

const EDITOR = 'RSSMRA80A01H501U';

describe('editor pages: a body editor registers a single-sign-on client', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
    await gw.deps.catalog.writer.putBody(
      { kind: 'system', id: 'test' },
      testBody('demo_sso_editor', 'sso.example.it'),
      { status: 'approved', editors: [EDITOR] },
    );
  });
  after(() => gw.close());

  const jwks = {
    keys: [
      {
        kty: 'EC',
        crv: 'P-256',
        x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
        y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
        kid: 'k1',
      },
    ],
  };
  const form = {
    id: 'sso-anagrafe',
    title_it: 'Anagrafe online',
    title_en: 'Registry online',
    description_it: 'Certificati.',
    description_en: 'Certificates.',
    whoCanApply_it: 'Tutti.',
    whoCanApply_en: 'Everyone.',
    documents_it: 'Nessuno.',
    documents_en: 'None.',
    costs_it: 'Gratuito.',
    costs_en: 'Free.',
    times_it: 'Subito.',
    times_en: 'At once.',
    topics: 'civil-registry',
    audience: 'citizens',
    channels: 'online',
    requiredLevel: 'L2',
    integration: 'sso',
    link: 'https://sso.example.it/anagrafe',
    ssoRedirectUris: 'https://sso.example.it/oidc/callback\r\nhttps://sso.example.it/oidc/callback2',
    ssoPostLogoutRedirectUris: 'https://sso.example.it/bye',
    ssoBackchannelLogoutUri: 'https://sso.example.it/oidc/bcl',
    ssoInitiateLoginUri: 'https://sso.example.it/oidc/login',
    ssoAuthMethod: 'private_key_jwt',
    ssoJwksUri: '',
    ssoJwks: JSON.stringify(jwks),
    ssoClaims: ['fiscal_number', 'birthdate'],
    ssoPurpose_fiscal_number_it: 'Per trovarti in anagrafe.',
    ssoPurpose_fiscal_number_en: 'To find you in the registry.',
    ssoPurpose_birthdate_it: 'Per distinguere gli omonimi.',
    ssoPurpose_birthdate_en: 'To tell namesakes apart.',
  };

  async function editor() {
    const agent = request.agent(gw.app);
    await agent.get(`/__test/login?fiscalCode=${EDITOR}&level=2`).expect(200);
    const page = await agent.get('/editor/bodies/demo_sso_editor/services/new').expect(200);
    return { agent, csrf: csrfTokenFrom(page.text) };
  }

  it('saves the client fields, shows them again, and keeps them when the form is saved unchanged', async () => {
    const { agent, csrf } = await editor();
    await agent
      .post('/editor/bodies/demo_sso_editor/services')
      .type('form')
      .send({ ...form, _csrf: csrf })
      .expect(303);
    const stored = await gw.deps.catalog.repository.getService('sso-anagrafe');
    expect(stored?.sso).to.deep.equal({
      redirectUris: ['https://sso.example.it/oidc/callback', 'https://sso.example.it/oidc/callback2'],
      postLogoutRedirectUris: ['https://sso.example.it/bye'],
      backchannelLogoutUri: 'https://sso.example.it/oidc/bcl',
      initiateLoginUri: 'https://sso.example.it/oidc/login',
      clientAuthentication: { method: 'private_key_jwt', jwks },
      claims: [
        {
          claim: 'fiscal_number',
          purpose: { it: 'Per trovarti in anagrafe.', en: 'To find you in the registry.' },
        },
        {
          claim: 'birthdate',
          purpose: { it: 'Per distinguere gli omonimi.', en: 'To tell namesakes apart.' },
        },
      ],
    });

    const edit = await agent.get('/editor/bodies/demo_sso_editor/services/sso-anagrafe/edit').expect(200);
    const $ = cheerio.load(edit.text);
    const posted: Record<string, string | string[]> = {};
    for (const el of $('form[action="/editor/bodies/demo_sso_editor/services"]')
      .find('input, textarea')
      .toArray()) {
      const field = $(el);
      const name = field.attr('name');
      const type = field.attr('type');
      if (!name || ((type === 'checkbox' || type === 'radio') && field.attr('checked') === undefined))
        continue;
      const value = el.tagName === 'textarea' ? field.text() : String(field.val() ?? '');
      const before = posted[name];
      posted[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
    }
    expect(posted.ssoClaims).to.deep.equal(['fiscal_number', 'birthdate']);
    await agent.post('/editor/bodies/demo_sso_editor/services').type('form').send(posted).expect(303);
    const again = await gw.deps.catalog.repository.getService('sso-anagrafe');
    expect(again?.sso).to.deep.equal(stored?.sso);
  });

  it('issues a client secret from the form page, once, to editors of the body only', async () => {
    const { agent, csrf } = await editor();
    const secretForm = { ...form, id: 'sso-segreto', ssoAuthMethod: 'client_secret_basic', ssoJwks: '' };
    await agent
      .post('/editor/bodies/demo_sso_editor/services')
      .type('form')
      .send({ ...secretForm, _csrf: csrf })
      .expect(303);
    await gw.deps.catalog.writer.setServiceStatus(
      { kind: 'system', id: 'test' },
      'demo_sso_editor',
      'sso-segreto',
      'published',
    );
    const edit = await agent.get('/editor/bodies/demo_sso_editor/services/sso-segreto/edit').expect(200);
    const action = '/editor/bodies/demo_sso_editor/services/sso-segreto/sso/secret';
    expect(cheerio.load(edit.text)(`form[action="${action}"]`).length).to.equal(1);

    await agent.post(action).type('form').send({}).expect(403);
    const issued = await agent.post(action).type('form').send({ _csrf: csrf }).expect(201);
    expect(issued.headers['cache-control']).to.equal('no-store');
    const secret = String(cheerio.load(issued.text)('#sso-client-secret').val());
    expect(secret).to.match(/^[A-Za-z0-9_-]{43}$/);
    const token = await request(gw.app).post('/op/token').auth('sso-segreto', secret).type('form').send({
      grant_type: 'authorization_code',
      code: 'made-up',
      redirect_uri: 'https://sso.example.it/oidc/callback',
    });
    expect(token.body.error).to.equal('invalid_grant');

    // A key-based client has no secret; a stranger is no editor of the body.
    await agent
      .post('/editor/bodies/demo_sso_editor/services/sso-anagrafe/sso/secret')
      .type('form')
      .send({ _csrf: csrf })
      .expect(409);
    const stranger = request.agent(gw.app);
    await stranger.get('/__test/login?fiscalCode=VRDLGU70M01H501T&level=2').expect(200);
    const strangerCsrf = csrfTokenFrom((await stranger.get('/me').expect(200)).text);
    await stranger.post(action).type('form').send({ _csrf: strangerCsrf }).expect(403);
    expect(await gw.deps.sso.secrets.get('sso-segreto')).to.equal(secret);
  });

  it('refuses "no new login" without a client: 422 pointing at the choice, nothing stored', async () => {
    const { agent, csrf } = await editor();
    const empty = Object.fromEntries(Object.entries(form).filter(([key]) => !key.startsWith('sso')));
    const response = await agent
      .post('/editor/bodies/demo_sso_editor/services')
      .type('form')
      .send({ ...empty, id: 'sso-in-arrivo', ssoRedirectUris: '', ssoJwks: '', _csrf: csrf })
      .expect(422);
    expect(cheerio.load(response.text)('.alert-danger a[href="#service-integration"]').length).to.equal(1);
    expect(await gw.deps.catalog.repository.getService('sso-in-arrivo')).to.equal(undefined);
  });

  it('refuses hostile client fields with 422, pointing at the field, and changes nothing', async () => {
    const { agent, csrf } = await editor();
    const before = await gw.deps.catalog.repository.getService('sso-anagrafe');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ssoRedirectUris: 'https://evil.example/callback' }, 'ssoRedirectUris'],
      [{ ssoRedirectUris: 'javascript:alert(1)' }, 'ssoRedirectUris'],
      [{ ssoRedirectUris: 'https://sso.example.it/cb#frag' }, 'ssoRedirectUris'],
      [{ ssoBackchannelLogoutUri: 'https://other.example.it/bcl' }, 'ssoRedirectUris'],
      [{ ssoJwks: '' }, 'ssoAuth'],
      [{ ssoJwks: JSON.stringify({ keys: [{ ...jwks.keys[0], d: 'secret' }] }) }, 'ssoAuth'],
      [{ ssoJwks: 'not json' }, 'ssoAuth'],
      [{ ssoAuthMethod: 'none' }, 'ssoAuth'],
      [{ ssoClaims: ['fiscal_number', 'password'] }, 'ssoClaims'],
      [{ ssoPurpose_fiscal_number_it: '' }, 'ssoClaims'],
    ];
    for (const [change, field] of cases) {
      const response = await agent
        .post('/editor/bodies/demo_sso_editor/services')
        .type('form')
        .send({ ...form, ...change, _csrf: csrf });
      expect(response.status, JSON.stringify(change)).to.equal(422);
      expect(
        cheerio.load(response.text)(`.alert-danger a[href="#service-${field}"]`).length,
        JSON.stringify(change),
      ).to.equal(1);
    }
    expect(await gw.deps.catalog.repository.getService('sso-anagrafe')).to.deep.equal(before);
  });
});
