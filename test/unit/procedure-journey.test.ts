import { expect } from 'chai';
import type { CitizenIdentity } from '../../src/identity/citizen.ts';
import type { CaseRecord, HistoryEntry } from '../../src/procedures/case.repository.ts';
import { checkDefinition, type Procedure } from '../../src/procedures/definitions.ts';
import {
  caseProgress,
  displayValue,
  draftTexts,
  errorMessage,
  previewByBody,
} from '../../src/procedures/journey.presenter.ts';
import {
  emptyDraft,
  isAllowed,
  journeyTable,
  resumeState,
  statePath,
  type Draft,
  type JourneyState,
} from '../../src/procedures/journey.ts';
import { validatePage } from '../../src/procedures/form.ts';

const both = (text: string) => ({ it: `${text} (it)`, en: text });

/** A small procedure: three pages, two bodies, a step that needs another's output. */
function procedure(): Procedure {
  const checked = checkDefinition(
    {
      id: 'sample',
      version: 1,
      title: both('Sample'),
      description: both('A sample'),
      loginLevel: 2,
      declaration: both('I declare'),
      form: {
        pages: [
          {
            id: 'one',
            title: both('One'),
            fields: [{ id: 'name', type: 'text', label: both('Name'), required: true }],
          },
          {
            id: 'two',
            title: both('Two'),
            fields: [
              {
                id: 'colour',
                type: 'radio',
                label: both('Colour'),
                required: true,
                options: [{ value: 'red', label: both('Red') }],
              },
              { id: 'born', type: 'date', label: both('Born'), max: 'today' },
            ],
          },
          {
            id: 'three',
            title: both('Three'),
            fields: [
              { id: 'count', type: 'number', label: both('Count'), required: true },
              { id: 'agree', type: 'checkbox', label: both('Agree'), required: true },
            ],
          },
        ],
      },
      steps: [
        {
          id: 'first',
          title: both('First'),
          body: 'c_a001',
          endpoint: 'e-one',
          citizen: ['fiscalCode', 'dateOfBirth'],
          fields: ['name', 'born'],
          outputs: { code: { type: 'text', label: both('Code') } },
        },
        {
          id: 'second',
          title: both('Second'),
          body: 'c_b002',
          endpoint: 'e-two',
          after: ['first'],
          fields: ['colour', 'count', 'agree'],
          inputs: ['first.code'],
        },
        {
          id: 'third',
          title: both('Third'),
          body: 'c_b002',
          endpoint: 'e-two',
          after: ['second'],
          fields: ['name'],
        },
      ],
    },
    'sample.yaml',
  );
  if ('problems' in checked) throw new Error(checked.problems.join('\n'));
  return checked.procedure;
}

const t = (key: string, options?: Record<string, unknown>) =>
  options ? `${key} ${JSON.stringify(options)}` : key;

describe('journey state machine', () => {
  const { definition } = procedure();
  const STATES: JourneyState[] = ['page:one', 'page:two', 'page:three', 'preview'];
  const draft = (completed: string[]): Draft => ({ values: {}, completed });

  it('has one state per page, then the preview, each leading to the next and back to the previous', () => {
    const table = journeyTable(definition);
    expect([...table.keys()]).to.deep.equal(STATES);
    expect(table.get('page:one')).to.deep.equal({ next: 'page:two' });
    expect(table.get('page:two')).to.deep.equal({ next: 'page:three', back: 'page:one' });
    expect(table.get('page:three')).to.deep.equal({ next: 'preview', back: 'page:two' });
    expect(table.get('preview')).to.deep.equal({ next: 'preview', back: 'page:three' });
  });

  // Every subset of completed pages against every state: allowed exactly when all pages before are done.
  const subsets = [
    [],
    ['one'],
    ['two'],
    ['three'],
    ['one', 'two'],
    ['one', 'three'],
    ['two', 'three'],
    ['one', 'two', 'three'],
  ];
  for (const completed of subsets) {
    it(`with ${JSON.stringify(completed)} complete: allows exactly the states whose pages before are done, resumes at the first missing`, () => {
      const allowed = STATES.filter((state) => isAllowed(definition, draft(completed), state));
      const firstMissing = ['one', 'two', 'three'].find((id) => !completed.includes(id));
      const reachable = firstMissing ? STATES.slice(0, STATES.indexOf(`page:${firstMissing}`) + 1) : STATES;
      expect(allowed).to.deep.equal(reachable);
      expect(resumeState(definition, draft(completed))).to.equal(
        firstMissing ? `page:${firstMissing}` : 'preview',
      );
    });
  }

  it('allows no state that is not in the table', () => {
    const all = draft(['one', 'two', 'three']);
    expect(isAllowed(definition, all, 'page:four')).to.equal(false);
    expect(isAllowed(definition, all, 'page:' as JourneyState)).to.equal(false);
  });

  it('starts an empty draft at the first page and names each state by its path', () => {
    expect(resumeState(definition, emptyDraft())).to.equal('page:one');
    expect(statePath('sample', 'page:two')).to.equal('/procedures/sample/pages/two');
    expect(statePath('sample', 'preview')).to.equal('/procedures/sample/preview');
  });
});

describe('journey presenter', () => {
  const sample = procedure();
  const citizen: CitizenIdentity = {
    fiscalCode: 'RSSMRA80A01H501U',
    name: 'Mario',
    familyName: 'Rossi',
    level: 2,
    provider: 'spid',
    issuer: 'https://idp.test.invalid',
    loginAt: 0,
  };
  const names = new Map([
    ['c_a001', 'Body A'],
    ['c_b002', 'Body B'],
  ]);

  it('previews per body, in order, only what each step is sent: attributes the identity has, fields filled in, inputs named with their source', () => {
    const values = { name: 'Anna', colour: 'red', count: 1200, agree: true };
    const preview = previewByBody(sample, values, citizen, names, 'en', t);
    expect(preview.map((b) => [b.name, b.steps.map((s) => s.id)])).to.deep.equal([
      ['Body A', ['first']],
      ['Body B', ['second', 'third']],
    ]);
    const [first, second, third] = preview.flatMap((b) => b.steps);
    // No date of birth in this identity, and "born" (optional) left empty: neither is sent.
    expect(first?.applicant).to.deep.equal([
      { label: 'procedures.applicant.fiscalCode', value: 'RSSMRA80A01H501U' },
    ]);
    expect(first?.fields).to.deep.equal([{ label: 'Name', value: 'Anna' }]);
    expect(second?.fields).to.deep.equal([
      { label: 'Colour', value: 'Red' },
      { label: 'Count', value: '1,200' },
      { label: 'Agree', value: 'procedures.yes' },
    ]);
    expect(second?.inputs).to.deep.equal([
      { label: 'Code', from: 'procedures.preview.inputFrom {"step":"First","body":"Body A"}' },
    ]);
    expect(third?.fields).to.deep.equal([{ label: 'Name', value: 'Anna' }]);
  });

  it('shows stored values again as the form posts them, so a draft re-validates to the same values', () => {
    const page = sample.definition.form.pages[2];
    if (!page) throw new Error('page');
    const values = { count: 7, agree: true };
    const texts = draftTexts(page, values);
    expect(texts).to.deep.equal({ count: '7', agree: 'yes' });
    expect(validatePage(page, texts, '2026-03-15')).to.deep.equal({ values, errors: [] });
  });

  it("writes dates and bounds as people read them, and uses a field's own pattern message", () => {
    const born = sample.fields.get('born');
    if (!born) throw new Error('born');
    expect(displayValue(born, '2026-03-05', 'it', t)).to.equal('5 marzo 2026');
    expect(errorMessage(born, { field: 'born', code: 'tooLate', limit: '2026-03-15' }, 'en', t)).to.equal(
      'procedures.fieldErrors.tooLate {"limit":"15 March 2026"}',
    );
    const patterned = {
      id: 'x',
      type: 'text' as const,
      label: both('X'),
      required: false,
      maxLength: 5,
      pattern: 'a+',
      patternMessage: both('Only a'),
    };
    expect(errorMessage(patterned, { field: 'x', code: 'pattern' }, 'en', t)).to.equal('Only a');
  });

  it('explains each step of a case: what it waits for, its outputs, a rejection that stopped it, a delivery in trouble', () => {
    const at = '2026-03-15T10:00:00.000Z';
    const record: CaseRecord = {
      id: 'ABCDEFGHJKMNPQRS',
      procedureId: 'sample',
      version: 1,
      owner: citizen.fiscalCode,
      createdAt: at,
      updatedAt: at,
      status: 'open',
      rev: 3,
      steps: {
        first: { status: 'completed', at },
        second: { status: 'waiting', at },
        third: { status: 'waiting', at },
      },
    };
    const history: HistoryEntry[] = [{ at, step: 'first', status: 'completed' }];
    const [first, second] = caseProgress(sample, record, { first: { code: 'C-1' } }, history, names, 'en');
    expect(first?.outputs).to.deep.equal([{ label: 'Code', value: 'C-1' }]);
    expect(second?.waitingFor).to.deep.equal([]);
    const waiting = caseProgress(
      sample,
      { ...record, steps: { ...record.steps, first: { status: 'queued', at } } },
      {},
      [{ at, step: 'first', status: 'dead-lettered' }],
      names,
      'en',
    );
    expect(waiting[0]?.deliveryTrouble).to.equal(true);
    expect(waiting[1]?.waitingFor).to.deep.equal(['First']);
    const rejected = caseProgress(
      sample,
      {
        ...record,
        status: 'closed',
        steps: {
          first: { status: 'rejected', at, reason: 'No' },
          second: { status: 'cancelled', at },
          third: { status: 'cancelled', at },
        },
      },
      {},
      [],
      names,
      'en',
    );
    expect(rejected.map((s) => [s.status, s.reason, s.stoppedBy])).to.deep.equal([
      ['rejected', 'No', undefined],
      ['cancelled', undefined, 'First'],
      ['cancelled', undefined, 'First'],
    ]);
  });
});
