import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { normaliseFiscalCode } from '../../src/identity/citizen.ts';
import { caseIdForSubmission } from '../../src/procedures/case.service.ts';
import type { FieldDefinition } from '../../src/procedures/definition.schema.ts';
import type { Procedure } from '../../src/procedures/definitions.ts';
import { italianToday, resolveDateBound, type FormValues } from '../../src/procedures/form.ts';
import type { SingleClient } from '../../src/platform/redis.ts';
import { createTestGateway, csrfTokenFrom, testCitizen, type TestGateway } from '../helpers/gateway.ts';
import { eventually, newbornForm, startDeliveringGateway } from '../helpers/procedures.ts';

/**
 * The citizen's journey through the newborn bundle's pages (issue 7, item 3), on the real app and the
 * real engine with its delivery workers off: cases stay where the test puts them with the case
 * service's `report`, as a body's report through the API would.
 */

type Agent = ReturnType<typeof request.agent>;
const BASE = '/procedures/newborn';
const CHILD_CODE = fiscalCode(0, 'BNCGLI26S60G999');

/** A valid, fictitious fiscal code per test citizen (the check character computed by trying each). */
function fiscalCode(n: number, first15 = `RSSMRA80A${String(n).padStart(2, '0')}H501`): string {
  for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') {
    const code = normaliseFiscalCode(first15 + c);
    if (code) return code;
  }
  throw new Error('no check character');
}

/** A stored value as the browser posts it. */
const posted = (field: FieldDefinition, value: FormValues[string] | undefined): string =>
  value === undefined ? '' : field.type === 'checkbox' ? (value === true ? 'yes' : '') : String(value);

describe('procedure journey: the newborn bundle through its pages', function () {
  this.timeout(60_000);
  let gateway: TestGateway;
  let procedure: Procedure;
  let citizens = 0;
  const today = italianToday(new Date());

  before(async () => {
    gateway = await createTestGateway({ rateLimit: { forms: { windowSeconds: 60, max: 100_000 } } });
    procedure = gateway.deps.procedures.procedures.get('newborn') as Procedure;
  });
  after(() => gateway?.close());

  const pages = () => procedure.definition.form.pages;

  async function loggedIn(level = 2, code = fiscalCode(++citizens)) {
    const agent = request.agent(gateway.app);
    await agent.get(`/__test/login?level=${level}&fiscalCode=${code}`).expect(200);
    return { agent, code };
  }

  /** The page's form, as the browser would post it with these values. */
  async function pageForm(agent: Agent, pageId: string, values: FormValues) {
    const page = pages().find((p) => p.id === pageId);
    if (!page) throw new Error(pageId);
    const html = (await agent.get(`${BASE}/pages/${pageId}`).expect(200)).text;
    const form: Record<string, string> = { _csrf: csrfTokenFrom(html) };
    for (const field of page.fields) form[field.id] = posted(field, values[field.id]);
    return form;
  }

  /** Fills the form's pages up to (not including) `until`, with valid values. */
  async function fillPages(agent: Agent, values = newbornForm(), until?: string) {
    for (const page of pages()) {
      if (page.id === until) return;
      await agent
        .post(`${BASE}/pages/${page.id}`)
        .type('form')
        .send(await pageForm(agent, page.id, values))
        .expect(303);
    }
  }

  const draftOf = (code: string) => gateway.deps.procedures.drafts.get(code, 'newborn');

  async function confirmForm(agent: Agent) {
    const html = (await agent.get(`${BASE}/preview`).expect(200)).text;
    const $ = cheerio.load(html);
    return {
      _csrf: csrfTokenFrom(html),
      submission: String($('input[name="submission"]').val()),
      confirmed: 'yes',
    };
  }

  async function fileCase(agent: Agent): Promise<string> {
    await fillPages(agent);
    const response = await agent
      .post(`${BASE}/preview`)
      .type('form')
      .send(await confirmForm(agent))
      .expect(303);
    const match = /^\/cases\/([0-9A-Z]{16})\/receipt$/.exec(response.headers.location ?? '');
    if (!match?.[1]) throw new Error(`no receipt: ${response.headers.location}`);
    return match[1];
  }

  describe('login level', () => {
    it('shows the start page to anyone: what it does, which bodies, what is needed', async () => {
      const $ = cheerio.load((await request(gateway.app).get(BASE).expect(200)).text);
      expect($('h1').text()).to.equal('Nascita di un figlio');
      const bodies = $('#bodies-heading').parent().text();
      for (const name of ['Comune di Prato', 'Azienda USL Toscana Centro', 'INPS'])
        expect(bodies).to.include(name);
      expect($('#needs-heading').parent().text()).to.include('livello 2');
      // Through the login, then to where a draft saved earlier stands (the first page without one).
      expect($(`a[href="${BASE}/resume"]`).text()).to.equal('Accedi e inizia');
    });

    it('resumes a draft from a level-1 session where it was: start page, personal area, after the step-up', async () => {
      const { agent, code } = await loggedIn(2);
      await fillPages(agent, newbornForm(), 'health');
      // The same citizen, back later with a level-1 session.
      await agent.get(`/__test/login?level=1&fiscalCode=${code}`).expect(200);
      const $ = cheerio.load((await agent.get(BASE).expect(200)).text);
      expect($('#draft-heading').text()).to.equal('Hai un modulo da completare');
      expect($('#draft-heading').parent().text()).to.include('Arrivato al passo 3 di');
      expect($(`#draft-heading ~ div a[href="${BASE}/resume"]`).text()).to.equal(
        'Accedi con livello 2 e riprendi',
      );
      // Discarding needs the procedure's level: not offered below it.
      expect($('button[value="discard"]').length).to.equal(0);
      const me = cheerio.load((await agent.get('/me').expect(200)).text);
      expect(me(`a[href="${BASE}/resume"]`).length).to.equal(1);

      const stepUp = await agent.get(`${BASE}/resume`).expect(303);
      const target = new URL(stepUp.headers.location ?? '', 'http://x.invalid');
      expect(target.pathname).to.equal('/spid/login');
      expect(target.searchParams.get('level')).to.equal('2');
      expect(target.searchParams.get('next')).to.equal(`${BASE}/resume`);
      // The IdP's answer at level 2 brings the citizen back to `next`: the page where they were.
      await agent.get(`/__test/login?level=2&fiscalCode=${code}`).expect(200);
      await agent.get(`${BASE}/resume`).expect(303).expect('location', `${BASE}/pages/health`);
    });

    it('sends a resume link without a draft to the first page, and an anonymous visitor to log in first', async () => {
      await request(gateway.app)
        .get(`${BASE}/resume`)
        .expect(303)
        .expect('location', `/login?next=${encodeURIComponent(`${BASE}/resume`)}`);
      const { agent } = await loggedIn(2);
      await agent.get(`${BASE}/resume`).expect(303).expect('location', `${BASE}/pages/child`);
      await agent.get('/procedures/no-such-thing/resume').expect(404);
    });

    it('offers the procedures on the home page, each linking to its start page', async () => {
      const $ = cheerio.load((await request(gateway.app).get('/').expect(200)).text);
      const section = $('#procedures-heading').parent();
      expect(section.find(`a[href="${BASE}"]`).text()).to.equal('Nascita di un figlio');
    });

    it('answers 404 for a procedure that is not defined', async () => {
      await request(gateway.app).get('/procedures/no-such-thing').expect(404);
      await request(gateway.app).get(`${BASE}/pages/no-such-page`).expect(303); // login first
      const { agent } = await loggedIn();
      await agent.get(`${BASE}/pages/no-such-page`).expect(404);
    });

    it('sends an anonymous visitor to log in, and back to the page afterwards', async () => {
      const agent = request.agent(gateway.app);
      await agent
        .get(`${BASE}/pages/child`)
        .expect(303)
        .expect('location', `/login?next=${encodeURIComponent(`${BASE}/pages/child`)}`);
    });

    it('sends a level-1 SPID session to step up at its IdP, and saves nothing it posts', async () => {
      const { agent, code } = await loggedIn(1);
      const response = await agent.get(`${BASE}/pages/child`).expect(303);
      const target = new URL(response.headers.location ?? '', 'http://x.invalid');
      expect(target.pathname).to.equal('/spid/login');
      expect(target.searchParams.get('level')).to.equal('2');
      expect(target.searchParams.get('idp')).to.equal(testCitizen().issuer);
      expect(target.searchParams.get('next')).to.equal(`${BASE}/pages/child`);
      const token = csrfTokenFrom((await agent.get('/me').expect(200)).text);
      await agent
        .post(`${BASE}/pages/child`)
        .type('form')
        .send({ _csrf: token, childGivenName: 'Giulia' })
        .expect(303);
      expect(await draftOf(code)).to.equal(undefined);
      await agent.get(`${BASE}/preview`).expect(303);
    });
  });

  describe('form pages', () => {
    it('shows progress, labels tied to hints, and the three buttons on every page', async () => {
      const { agent } = await loggedIn();
      await fillPages(agent);
      const total = pages().length + 1;
      for (const [index, page] of pages().entries()) {
        const $ = cheerio.load((await agent.get(`${BASE}/pages/${page.id}`).expect(200)).text);
        expect($('#journey-progress').text()).to.equal(`Passo ${index + 1} di ${total}`);
        expect($('h1').text()).to.equal(page.title.it);
        for (const field of page.fields) {
          const id = field.type === 'radio' ? `field-${field.id}-0` : `field-${field.id}`;
          expect($(`label[for="${id}"]`).length, field.id).to.equal(1);
          if (field.hint)
            expect($(`#${id}`).attr('aria-describedby'), field.id).to.include(`field-${field.id}-hint`);
        }
        expect(
          $('button[name="action"]')
            .map((_, b) => $(b).val())
            .get(),
        ).to.deep.equal(['next', 'back', 'save']);
      }
    });

    /** For each field: values it must refuse, with the reason shown. */
    const invalidValues = (field: FieldDefinition): string[] => {
      const values: string[] = [];
      if (field.required && field.type !== 'checkbox') values.push('');
      switch (field.type) {
        case 'text':
        case 'textarea':
          values.push('x'.repeat(field.maxLength + 1));
          if (field.pattern) values.push('123');
          if (field.minLength) values.push('x'.repeat(field.minLength - 1));
          break;
        case 'email':
          values.push('not-an-email', 'a@b');
          break;
        case 'tel':
          values.push('call me', '12');
          break;
        case 'fiscalCode':
          values.push('RSSMRA80A01H501X', 'nope');
          break;
        case 'number':
          values.push('12.5', 'dieci');
          if (field.min !== undefined) values.push(String(field.min - 1));
          if (field.max !== undefined) values.push(String(field.max + 1));
          break;
        case 'date':
          values.push('2026-02-30', '20/11/2026');
          if (field.min)
            values.push(
              resolveDateBound(`${field.min}`, today).replace(/^(\d{4})/, (y) => String(Number(y) - 1)),
            );
          if (field.max)
            values.push(
              resolveDateBound(`${field.max}`, today).replace(/^(\d{4})/, (y) => String(Number(y) + 1)),
            );
          break;
        case 'select':
        case 'radio':
          values.push('not-an-option');
          break;
        case 'checkbox':
          values.push('no', '');
          break;
      }
      return values;
    };

    it('refuses invalid input in every field with a 400 page, an error summary linking the field, and changes nothing', async () => {
      const { agent, code } = await loggedIn();
      const values = newbornForm();
      await fillPages(agent, values);
      const before = await draftOf(code);
      let checked = 0;
      for (const page of pages()) {
        const valid = await pageForm(agent, page.id, values);
        for (const field of page.fields) {
          for (const bad of invalidValues(field)) {
            for (const action of ['next', 'back', 'save']) {
              // Back and save let a required field wait; a wrong value stops them too.
              if (action !== 'next' && bad === '') continue;
              const response = await agent
                .post(`${BASE}/pages/${page.id}`)
                .type('form')
                .send({ ...valid, [field.id]: bad, action });
              expect(response.status, `${field.id}=${JSON.stringify(bad)} (${action})`).to.equal(400);
              const $ = cheerio.load(response.text);
              const id = field.type === 'radio' ? `field-${field.id}-0` : `field-${field.id}`;
              const links = $('#error-summary a')
                .map((_, a) => $(a).attr('href'))
                .get();
              expect(links, field.id).to.deep.equal([`#${id}`]);
              expect($(`#${id}`).attr('aria-invalid'), field.id).to.equal('true');
              expect($(`#${id}`).attr('aria-describedby'), field.id).to.include(`field-${field.id}-error`);
              expect($(`#field-${field.id}-error`).text().trim(), field.id).to.not.equal('');
              expect($('title').text()).to.match(/^Errore:/);
              checked += 1;
            }
          }
        }
      }
      expect(checked).to.be.greaterThan(100);
      expect(await draftOf(code)).to.deep.equal(before);
    });

    it('refuses a field posted twice, an unknown action, and a post without its CSRF token', async () => {
      const { agent, code } = await loggedIn();
      const form = await pageForm(agent, 'child', newbornForm());
      const twice = `${new URLSearchParams(form).toString()}&childGivenName=Anna`;
      await agent.post(`${BASE}/pages/child`).type('form').send(twice).expect(400);
      await agent
        .post(`${BASE}/pages/child`)
        .type('form')
        .send({ ...form, action: 'jump' })
        .expect(400);
      const withoutToken: Record<string, string> = { ...form, _csrf: '' };
      await agent.post(`${BASE}/pages/child`).type('form').send(withoutToken).expect(403);
      expect(await draftOf(code)).to.equal(undefined);
    });

    it('keeps the citizen on the pages they may reach, whatever URL they type', async () => {
      const { agent } = await loggedIn();
      await agent.get(`${BASE}/pages/nursery`).expect(303).expect('location', `${BASE}/pages/child`);
      await agent.get(`${BASE}/preview`).expect(303).expect('location', `${BASE}/pages/child`);
      await fillPages(agent, newbornForm(), 'health');
      await agent.get(`${BASE}/pages/support`).expect(303).expect('location', `${BASE}/pages/health`);
      const form = await pageForm(agent, 'health', newbornForm());
      // A page further on cannot be posted either.
      await agent
        .post(`${BASE}/pages/nursery`)
        .type('form')
        .send({ ...form, nurseryPreference: 'nido-girotondo' })
        .expect(303)
        .expect('location', `${BASE}/pages/health`);
    });

    it('goes back keeping what was typed on both pages', async () => {
      const { agent, code } = await loggedIn();
      await fillPages(agent, newbornForm(), 'parents');
      const form = await pageForm(agent, 'parents', { declarantRole: 'father', email: 'padre@example.org' });
      await agent
        .post(`${BASE}/pages/parents`)
        .type('form')
        .send({ ...form, action: 'back' })
        .expect(303)
        .expect('location', `${BASE}/pages/child`);
      const child = cheerio.load((await agent.get(`${BASE}/pages/child`).expect(200)).text);
      expect(child('#field-childGivenName').val()).to.equal('Giulia');
      expect(child('#field-birthMunicipality option[selected]').val()).to.equal('G999');
      const parents = cheerio.load((await agent.get(`${BASE}/pages/parents`).expect(200)).text);
      expect(parents('input[name="declarantRole"][checked]').val()).to.equal('father');
      expect(parents('#field-email').val()).to.equal('padre@example.org');
      // The parents page is not complete yet: the preview stays out of reach.
      expect((await draftOf(code))?.completed).to.deep.equal(['child']);
      await agent.get(`${BASE}/preview`).expect(303).expect('location', `${BASE}/pages/parents`);
      // Back from the first page is the start page.
      const first = await pageForm(agent, 'child', newbornForm());
      await agent
        .post(`${BASE}/pages/child`)
        .type('form')
        .send({ ...first, action: 'back' })
        .expect(303)
        .expect('location', BASE);
    });

    it('saves and resumes later, in another session, from the start page and the personal area', async () => {
      const { agent, code } = await loggedIn();
      await fillPages(agent, newbornForm(), 'health');
      const form = await pageForm(agent, 'health', {});
      await agent
        .post(`${BASE}/pages/health`)
        .type('form')
        .send({ ...form, action: 'save' })
        .expect(303)
        .expect('location', `${BASE}?notice=saved`);
      const saved = cheerio.load((await agent.get(`${BASE}?notice=saved`).expect(200)).text);
      expect(saved('[role="status"]').text()).to.include('30 giorni');

      const { agent: later } = await loggedIn(2, code);
      const $ = cheerio.load((await later.get(BASE).expect(200)).text);
      expect($('#draft-heading').parent().text()).to.include('passo 3 di 6');
      expect($(`a[href="${BASE}/pages/health"]`).text()).to.equal('Riprendi il modulo');
      const me = cheerio.load((await later.get('/me').expect(200)).text);
      expect(me('#cases').text()).to.include('Nascita di un figlio');
      // The personal area's link goes where the draft stands, through a step-up if need be.
      expect(me(`#cases a[href="${BASE}/resume"]`).length).to.equal(1);
      await later.get(`${BASE}/resume`).expect(303).expect('location', `${BASE}/pages/health`);

      // Start again: the draft goes.
      await later
        .post(BASE)
        .type('form')
        .send({ _csrf: csrfTokenFrom($.html()), action: 'discard' })
        .expect(303)
        .expect('location', `${BASE}?notice=discarded`);
      expect(await draftOf(code)).to.equal(undefined);
    });

    it('sends a draft whose dates no longer hold back to the page, with the errors shown', async () => {
      const { agent, code } = await loggedIn();
      await fillPages(agent);
      const draft = await draftOf(code);
      if (!draft) throw new Error('no draft');
      await gateway.deps.procedures.drafts.save(code, 'newborn', {
        ...draft,
        values: { ...draft.values, birthDate: resolveDateBound('today-30d', today) },
      });
      await agent.get(`${BASE}/preview`).expect(303).expect('location', `${BASE}/pages/child?check=1`);
      const $ = cheerio.load((await agent.get(`${BASE}/pages/child?check=1`).expect(200)).text);
      expect($('#error-summary a').attr('href')).to.equal('#field-birthDate');
    });
  });

  describe('preview and confirmation', () => {
    it('shows per body exactly what each step will receive: what the engine then sends', async () => {
      const { agent } = await loggedIn();
      const values = newbornForm({ phone: '' }); // an optional field left empty is not sent
      await fillPages(agent, values);
      const $ = cheerio.load((await agent.get(`${BASE}/preview`).expect(200)).text);
      expect($('#journey-progress').text()).to.equal('Passo 6 di 6');
      expect(
        $('h2[id^="body-"]')
          .map((_, h) => $(h).text())
          .get(),
      ).to.have.members([
        'Comune di Prato',
        'Azienda USL Toscana Centro',
        'INPS - Istituto Nazionale della Previdenza Sociale',
      ]);
      const shown = (stepId: string) =>
        $(`#step-data-${stepId} dt`)
          .map((_, dt) => $(dt).text())
          .get();
      for (const step of procedure.order) {
        const expected = [
          ...step.citizen
            .filter((a) => a !== 'dateOfBirth' && a !== 'email') // the test identity has neither
            .map(
              (a) =>
                ({ fiscalCode: 'Il tuo codice fiscale', name: 'Il tuo nome', familyName: 'Il tuo cognome' })[
                  a
                ],
            ),
          ...step.fields.filter((id) => id !== 'phone').map((id) => procedure.fields.get(id)?.label.it),
          ...step.inputs.map(() => 'Codice fiscale del bambino'),
        ];
        expect(shown(step.id), step.id).to.deep.equal(expected);
      }
      expect($('#step-data-health-enrolment').text()).to.include('Dott.ssa Anna Bellini — Prato Nord');
      expect($('#step-data-assegno-unico').text()).to.include('IT60X0542811101000000123456');
      expect($('#step-data-assegno-unico').text()).to.not.include('Anna Bellini');
      expect($('#step-data-birth-bonus').text()).to.include('18.000');

      // What the engine then sends each body: the same items, in the same order, and nothing more.
      const applicantLabels: Record<string, string> = {
        fiscalCode: 'Il tuo codice fiscale',
        name: 'Il tuo nome',
        familyName: 'Il tuo cognome',
      };
      const { _csrf, submission } = await confirmForm(agent);
      const filed = await agent
        .post(`${BASE}/preview`)
        .type('form')
        .send({ _csrf, submission, confirmed: 'yes' })
        .expect(303);
      const caseId = /\/cases\/([0-9A-Z]{16})\//.exec(filed.headers.location ?? '')?.[1] as string;
      const cases = gateway.deps.procedures.cases;
      const sent = async (stepId: string) => {
        const payload = await cases.payloadFor(caseId, stepId);
        if (!payload) throw new Error(`${stepId} not queued`);
        return [
          ...Object.keys(payload.applicant).map((a) => applicantLabels[a]),
          ...Object.keys(payload.data).map((id) => procedure.fields.get(id)?.label.it),
          ...Object.keys(payload.inputs).map(() => 'Codice fiscale del bambino'),
        ];
      };
      expect(await sent('birth-registration')).to.deep.equal(shown('birth-registration'));
      await cases.report(caseId, 'birth-registration', {
        status: 'completed',
        outputs: { childFiscalCode: CHILD_CODE, birthRecord: 'Atto n. 1' },
      });
      for (const step of procedure.order.slice(1))
        expect(await sent(step.id), step.id).to.deep.equal(shown(step.id));
    });

    it('refuses a confirmation without the tick (400, nothing filed) or without the CSRF token (403)', async () => {
      const { agent, code } = await loggedIn();
      await fillPages(agent);
      const form = await confirmForm(agent);
      const response = await agent
        .post(`${BASE}/preview`)
        .type('form')
        .send({ ...form, confirmed: undefined })
        .expect(400);
      expect(cheerio.load(response.text)('#error-summary a').attr('href')).to.equal('#confirmed');
      const withoutToken: Record<string, string> = { ...form, _csrf: '' };
      await agent.post(`${BASE}/preview`).type('form').send(withoutToken).expect(403);
      await agent
        .post(`${BASE}/preview`)
        .type('form')
        .send({ ...form, submission: 'x' })
        .expect(400);
      expect(await gateway.deps.procedures.repository.listByCitizen(code)).to.deep.equal([]);
      expect(await draftOf(code)).to.not.equal(undefined);
    });

    it('asks for the declaration once, at the confirmation, and the case records it for every body', async () => {
      // No form page asks for it: its only place is the preview, beside what each body receives.
      for (const page of pages())
        for (const field of page.fields)
          expect(
            field.type === 'checkbox' || /DPR 445/.test(field.label.it),
            `${page.id}.${field.id}`,
          ).to.equal(false);
      const { agent } = await loggedIn();
      await agent.get(`/lang/en?next=${BASE}`).expect(303);
      await fillPages(agent);
      const $ = cheerio.load((await agent.get(`${BASE}/preview`).expect(200)).text);
      expect($('input[type="checkbox"]').length).to.equal(1);
      expect($('label[for="confirmed"]').text()).to.equal(procedure.definition.declaration.en);
      const caseId = await fileCase(agent);
      for (const step of procedure.order.filter((s) => s.after.length === 0)) {
        const payload = await gateway.deps.procedures.cases.payloadFor(caseId, step.id);
        expect(payload?.declaration?.text, step.id).to.equal(procedure.definition.declaration.en);
        expect(payload?.declaration?.language).to.equal('en');
        expect(Date.parse(payload?.declaration?.at ?? '')).to.be.closeTo(Date.now(), 60_000);
      }
    });

    it('warns before filing a case that repeats an earlier one of the same parent, and files it only when told to', async () => {
      const { agent, code } = await loggedIn();
      const first = await fileCase(agent);
      const filed = () => gateway.deps.procedures.repository.listByCitizen(code);
      // The same child, typed a little differently.
      await fillPages(agent, newbornForm({ childGivenName: ' giulia', childFamilyName: 'BIANCHI ' }));
      const $ = cheerio.load((await agent.get(`${BASE}/preview`).expect(200)).text);
      expect($('#earlier-case a').attr('href')).to.equal(`/cases/${first}`);
      expect($('#repeat-of').attr('value')).to.equal(first);
      const form = await confirmForm(agent);
      // Without the tick, with a made-up or another case's id: refused, nothing filed.
      for (const repeatOf of [undefined, '', 'AAAAAAAAAAAAAAAA', `${first}x`, [first, first]]) {
        const refused = await agent
          .post(`${BASE}/preview`)
          .type('form')
          .send({ ...form, ...(repeatOf === undefined ? {} : { repeatOf }) })
          .expect(400);
        expect(cheerio.load(refused.text)('#error-summary a').first().attr('href')).to.equal('#repeat-of');
      }
      expect(await filed()).to.have.length(1);
      const second = await agent
        .post(`${BASE}/preview`)
        .type('form')
        .send({ ...form, repeatOf: first })
        .expect(303);
      expect(second.headers.location).to.match(/^\/cases\/[0-9A-Z]{16}\/receipt$/);
      expect(await filed()).to.have.length(2);

      // Another child of the same parent: no warning.
      await fillPages(agent, newbornForm({ childGivenName: 'Marco', childSex: 'M' }));
      const other = cheerio.load((await agent.get(`${BASE}/preview`).expect(200)).text);
      expect(other('#earlier-case').length).to.equal(0);
      // The same child filed by someone else: not theirs to see, no warning.
      const { agent: stranger } = await loggedIn();
      await fillPages(stranger);
      const theirs = cheerio.load((await stranger.get(`${BASE}/preview`).expect(200)).text);
      expect(theirs('#earlier-case').length).to.equal(0);
      expect(theirs.html()).to.not.include(first);
    });

    it('files exactly one case however often the confirmation is posted, and shows its receipt', async () => {
      const { agent, code } = await loggedIn();
      await fillPages(agent);
      const form = await confirmForm(agent);
      const post = () => agent.post(`${BASE}/preview`).type('form').send(form);
      const answers = await Promise.all([post(), post(), post()]);
      const locations = new Set(answers.map((r) => `${r.status} ${r.headers.location}`));
      expect(locations.size).to.equal(1);
      const [location] = [...locations];
      expect(location).to.match(/^303 \/cases\/[0-9A-Z]{16}\/receipt$/);
      const late = await post().expect(303);
      expect(`303 ${late.headers.location}`).to.equal(location);
      const ids = await gateway.deps.procedures.repository.listByCitizen(code);
      expect(ids).to.have.length(1);
      expect(await draftOf(code)).to.equal(undefined);

      const caseId = ids[0] as string;
      const $ = cheerio.load((await agent.get(`/cases/${caseId}/receipt`).expect(200)).text);
      const reference = `VRC-${caseId.slice(0, 4)}-${caseId.slice(4, 8)}-${caseId.slice(8, 12)}-${caseId.slice(12)}`;
      expect($('#reference').text()).to.equal(reference);
      expect($('link[href="/assets/css/procedures.css"]').length).to.equal(1);
      expect($('.varco-no-print a[href="/cases/' + caseId + '"]').length).to.equal(1);
      expect($('main').text()).to.include('INPS - Istituto Nazionale della Previdenza Sociale');
      expect($('main').text()).to.not.include('IT60X0542811101000000123456'); // no personal data on paper
      const css = (await request(gateway.app).get('/assets/css/procedures.css').expect(200)).text;
      expect(css).to.include('@media print');
    });

    it("leaves the citizen's fiscal code in no key or value of the procedures: draft, confirmation, case, queue", async () => {
      const client = gateway.redis.client as SingleClient;
      const stored = async () => {
        let all = '';
        for (const space of ['proc:', 'bull:']) {
          const match = `${gateway.redis.prefix}${space}*`;
          for await (const keys of client.scanIterator({ MATCH: match, COUNT: 500 })) {
            for (const key of keys) {
              const type = await client.type(key);
              all += `${key}\n`;
              if (type === 'string') all += `${await client.get(key)}\n`;
              if (type === 'hash') all += `${JSON.stringify(await client.hGetAll(key))}\n`;
              if (type === 'list') all += `${(await client.lRange(key, 0, -1)).join('\n')}\n`;
              if (type === 'zset') all += `${(await client.zRange(key, 0, -1)).join('\n')}\n`;
              if (type === 'stream') all += `${JSON.stringify(await client.xRange(key, '-', '+'))}\n`;
            }
          }
        }
        return all;
      };
      const { agent, code } = await loggedIn();
      await fillPages(agent);
      const drafted = await stored();
      expect(drafted).to.include('proc:draft:').and.not.include(code);
      await agent
        .post(`${BASE}/preview`)
        .type('form')
        .send(await confirmForm(agent))
        .expect(303);
      const [caseId] = await gateway.deps.procedures.repository.listByCitizen(code);
      const filed = await stored();
      expect(filed).to.include('proc:confirm:').and.include(`proc:case:{${caseId}}`).and.include('bull:');
      expect(filed).to.not.include(code);
      expect((await agent.get('/me').expect(200)).text).to.include(`/cases/${caseId}`);
    });

    it('files no second case when a confirmation is repeated after a crash that came between filing and recording it', async () => {
      const { agent, code } = await loggedIn();
      await fillPages(agent);
      const form = await confirmForm(agent);
      // The first confirmation filed the case, then the process died: its claim expired, the draft stayed.
      const draft = await draftOf(code);
      const filed = await gateway.deps.procedures.cases.confirm(
        procedure,
        testCitizen({ fiscalCode: code, level: 2 }),
        draft?.values ?? {},
        { id: caseIdForSubmission(code, form.submission) },
      );
      const response = await agent.post(`${BASE}/preview`).type('form').send(form).expect(303);
      expect(response.headers.location).to.equal(`/cases/${filed.id}/receipt`);
      expect(await gateway.deps.procedures.repository.listByCitizen(code)).to.deep.equal([filed.id]);
      expect(await draftOf(code)).to.equal(undefined);
    });

    it('files nothing while a body cannot receive, says so with a 503 page, and keeps the draft to confirm later', async () => {
      const { agent, code } = await loggedIn();
      await fillPages(agent);
      const form = await confirmForm(agent);
      const writer = gateway.deps.catalog.writer;
      const system = { kind: 'system' as const, id: 'test' };
      await writer.setEndpointStatus(system, 'inps', 'prestazioni-famiglia', 'disabled');
      try {
        const refused = await agent.post(`${BASE}/preview`).type('form').send(form).expect(503);
        const $ = cheerio.load(refused.text);
        expect($('h1').text()).to.equal('Invio non possibile in questo momento');
        expect($(`a[href="${BASE}/preview"]`).length).to.equal(1);
      } finally {
        await writer.setEndpointStatus(system, 'inps', 'prestazioni-famiglia', 'active');
      }
      expect(await gateway.deps.procedures.repository.listByCitizen(code)).to.deep.equal([]);
      expect((await draftOf(code))?.submission).to.equal(form.submission);
      await agent.post(`${BASE}/preview`).type('form').send(form).expect(303);
      expect(await gateway.deps.procedures.repository.listByCitizen(code)).to.have.length(1);
    });
  });

  describe('following a case', () => {
    const stepText = ($: cheerio.CheerioAPI, id: string) => $(`#step-${id}`).text().replace(/\s+/g, ' ');

    it('shows each step as bodies report it: waiting, delivered, accepted, completed with outputs, rejected with reason', async () => {
      const { agent, code } = await loggedIn();
      const caseId = await fileCase(agent);
      const cases = gateway.deps.procedures.cases;
      const page = async () => cheerio.load((await agent.get(`/cases/${caseId}`).expect(200)).text);

      let $ = await page();
      expect($('#case-status').text()).to.equal('In corso');
      expect($(`a#case-refresh[href="/cases/${caseId}"]`).length).to.equal(1);
      expect(stepText($, 'birth-registration')).to.include('In invio');
      // Each body's name with the article and preposition it takes (the catalog's `article`).
      expect(stepText($, 'birth-registration')).to.include('La stiamo inviando al Comune di Prato.');
      expect(stepText($, 'health-enrolment')).to.include('In attesa');
      expect(stepText($, 'health-enrolment')).to.include(
        'Parte quando è completato: Dichiarazione di nascita',
      );

      await cases.report(caseId, 'birth-registration', { status: 'delivered' });
      expect(stepText(await page(), 'birth-registration')).to.include('Consegnata');
      expect(stepText(await page(), 'birth-registration')).to.include("Il Comune di Prato l'ha ricevuta.");
      await cases.report(caseId, 'birth-registration', { status: 'accepted' });
      expect(stepText(await page(), 'birth-registration')).to.include('Presa in carico');
      await cases.report(caseId, 'birth-registration', {
        status: 'completed',
        outputs: { childFiscalCode: CHILD_CODE, birthRecord: 'Atto n. 123, parte I, serie A' },
      });
      expect(stepText(await page(), 'assegno-unico')).to.include("La stiamo inviando all'INPS - Istituto");
      $ = await page();
      expect(stepText($, 'birth-registration')).to.include('Completata');
      expect(stepText($, 'birth-registration')).to.include('Codice fiscale del bambino');
      expect(stepText($, 'birth-registration')).to.include('Atto n. 123, parte I, serie A');
      expect(stepText($, 'nursery-enrolment')).to.include('In invio');

      await cases.report(caseId, 'nursery-enrolment', { status: 'rejected', reason: 'Graduatoria chiusa' });
      $ = await page();
      expect(stepText($, 'nursery-enrolment')).to.include('Respinta');
      expect(stepText($, 'nursery-enrolment')).to.include('Motivo: Graduatoria chiusa');

      const json = await agent.get(`/cases/${caseId}`).set('Accept', 'application/json').expect(200);
      expect(json.body.status).to.equal('open');
      expect(json.body.steps.find((s: { id: string }) => s.id === 'nursery-enrolment').label).to.equal(
        'Respinta',
      );
      expect(JSON.stringify(json.body)).to.not.include(CHILD_CODE);

      for (const step of ['health-enrolment', 'assegno-unico', 'birth-bonus'])
        await cases.report(caseId, step, {
          status: 'completed',
          outputs:
            step === 'health-enrolment'
              ? { paediatrician: 'Dott.ssa Anna Bellini' }
              : { applicationNumber: `N-${step}` },
        });
      $ = await page();
      expect($('#case-status').text()).to.equal('Chiusa, con una o più parti respinte');
      expect($('script[src="/assets/js/case-status.js"]').length).to.equal(0);

      const me = cheerio.load((await agent.get('/me').expect(200)).text);
      const row = me(`#cases a[href="/cases/${caseId}"]`).closest('tr').text().replace(/\s+/g, ' ');
      expect(row).to.include('VRC-');
      expect(row).to.include('Nascita di un figlio');
      expect(row).to.include('Chiusa');
      expect(await gateway.deps.procedures.repository.listByCitizen(code)).to.deep.equal([caseId]);
    });

    it('a cancelled step says which rejection stopped it', async () => {
      const { agent } = await loggedIn();
      const caseId = await fileCase(agent);
      await gateway.deps.procedures.cases.report(caseId, 'birth-registration', {
        status: 'rejected',
        reason: 'Dichiarazione oltre i termini',
      });
      const $ = cheerio.load((await agent.get(`/cases/${caseId}`).expect(200)).text);
      expect(stepText($, 'assegno-unico')).to.include('Non inviata');
      expect(stepText($, 'assegno-unico')).to.include('«Dichiarazione di nascita» è stata respinta');
    });

    it('another citizen can neither see nor act on the case: 404, and their posts file nothing', async () => {
      const { agent: owner, code } = await loggedIn();
      await fillPages(owner);
      const form = await confirmForm(owner);
      const { agent: other, code: otherCode } = await loggedIn();
      // The owner's confirmation form, replayed by someone else with their own CSRF token.
      const token = csrfTokenFrom((await other.get('/me').expect(200)).text);
      await other
        .post(`${BASE}/preview`)
        .type('form')
        .send({ ...form, _csrf: token })
        .expect(303)
        .expect('location', BASE);
      expect(await gateway.deps.procedures.repository.listByCitizen(otherCode)).to.deep.equal([]);
      expect(await gateway.deps.procedures.repository.listByCitizen(code)).to.deep.equal([]);

      const caseId = (/\/cases\/([0-9A-Z]{16})\//.exec(
        (await owner.post(`${BASE}/preview`).type('form').send(form).expect(303)).headers.location ?? '',
      ) ?? [])[1];
      for (const path of [`/cases/${caseId}`, `/cases/${caseId}/receipt`]) {
        await other.get(path).expect(404);
        await other.get(path).set('Accept', 'application/json').expect(404);
      }
      const me = cheerio.load((await other.get('/me').expect(200)).text);
      expect(me(`a[href="/cases/${caseId}"]`).length).to.equal(0);
      expect(me('#cases').text()).to.include('Non hai ancora inviato pratiche.');
      await request(gateway.app)
        .get(`/cases/${caseId}`)
        .expect(303)
        .expect('location', `/login?next=%2Fcases%2F${caseId}`);
      await other.get('/cases/not-a-case-id').expect(404);
    });

    it('asks the owner to step up when their session is below the procedure level', async () => {
      const { agent, code } = await loggedIn();
      const caseId = await fileCase(agent);
      const { agent: weak } = await loggedIn(1, code);
      const response = await weak.get(`/cases/${caseId}`).expect(303);
      expect(response.headers.location).to.match(/^\/spid\/login\?.*level=2/);
    });

    it('asks a visitor not logged in for one login, at the level the case needs, then shows the case', async () => {
      const { agent, code } = await loggedIn();
      const caseId = await fileCase(agent);
      for (const path of [`/cases/${caseId}`, `/cases/${caseId}/receipt`]) {
        const visitor = request.agent(gateway.app);
        await visitor
          .get(path)
          .expect(303)
          .expect('location', `/login?next=${encodeURIComponent(path)}`);
        // The login page offers each provider at level 2 straight away: no level-1 login, then a step-up.
        const login = (await visitor.get(`/login?next=${encodeURIComponent(path)}`).expect(200)).text;
        expect(login).to.match(/\/spid\/login\?idp=[^"]+&amp;level=2&amp;next=/);
        expect(login).to.not.match(/\/spid\/login\?idp=[^"]+&amp;level=1/);
        await visitor.get(`/__test/login?level=2&fiscalCode=${code}`).expect(200);
        await visitor.get(path).expect(200);
      }
      // Someone else's login reaches no case: still 404.
      const { agent: other } = await loggedIn();
      await other.get(`/cases/${caseId}`).expect(404);
    });
  });
});

describe('procedure journey: a newborn case end to end through the pages', function () {
  this.timeout(60_000);
  let gateway: Awaited<ReturnType<typeof startDeliveringGateway>>;

  before(async () => {
    gateway = await startDeliveringGateway({ rateLimit: { forms: { windowSeconds: 60, max: 100_000 } } });
  });
  after(() => gateway?.stop());

  it('fills the form, confirms once, and follows every body to completion with its outputs', async () => {
    const agent = request.agent(gateway.url);
    await agent.get(`/__test/login?level=2&fiscalCode=${fiscalCode(90)}`).expect(200);
    const procedure = gateway.deps.procedures.procedures.get('newborn') as Procedure;
    const values = newbornForm();
    for (const page of procedure.definition.form.pages) {
      const html = (await agent.get(`${BASE}/pages/${page.id}`).expect(200)).text;
      const form: Record<string, string> = { _csrf: csrfTokenFrom(html) };
      for (const field of page.fields) form[field.id] = posted(field, values[field.id]);
      await agent.post(`${BASE}/pages/${page.id}`).type('form').send(form).expect(303);
    }
    const preview = (await agent.get(`${BASE}/preview`).expect(200)).text;
    const filed = await agent
      .post(`${BASE}/preview`)
      .type('form')
      .send({
        _csrf: csrfTokenFrom(preview),
        submission: String(cheerio.load(preview)('input[name="submission"]').val()),
        confirmed: 'yes',
      })
      .expect(303);
    const caseId = /\/cases\/([0-9A-Z]{16})\//.exec(filed.headers.location ?? '')?.[1] as string;
    await agent.get(`/cases/${caseId}/receipt`).expect(200);

    // The page follows the bodies' answers (the demo body systems), as a citizen reloading it would.
    const $ = await eventually(async () => {
      const page = cheerio.load((await agent.get(`/cases/${caseId}`).expect(200)).text);
      return page('#case-status').text() === 'Completata' ? page : undefined;
    }, 30_000);
    for (const step of procedure.order)
      expect($(`#step-${step.id}`).text(), step.id).to.include('Completata');
    const childCode = $('#step-birth-registration dd').first().text();
    expect(normaliseFiscalCode(childCode), 'the child fiscal code shown').to.equal(childCode);
    expect($('#step-health-enrolment').text()).to.include('Pediatra assegnato');
    const me = cheerio.load((await agent.get('/me').expect(200)).text);
    expect(me(`#cases a[href="/cases/${caseId}"]`).closest('tr').text()).to.include('Completata');
  });
});
