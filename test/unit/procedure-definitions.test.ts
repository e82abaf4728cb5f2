import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { stringify } from 'yaml';
import { ancestors, topologicalOrder } from '../../src/procedures/dag.ts';
import { checkDefinition, DefinitionError, loadDefinitions } from '../../src/procedures/definitions.ts';

// Definitions are untyped YAML until checked: the tests poke at them freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Raw = Record<string, any>;

const both = (text: string) => ({ it: text, en: text });

/** A small valid definition; each test breaks one thing. */
function definition(): Raw {
  return {
    id: 'sample',
    version: 1,
    title: both('Sample'),
    description: both('A sample procedure'),
    loginLevel: 2,
    declaration: both('I declare'),
    form: {
      pages: [
        {
          id: 'one',
          title: both('One'),
          fields: [
            { id: 'name', type: 'text', label: both('Name'), required: true },
            { id: 'when', type: 'date', label: both('When'), min: 'today-10d', max: 'today' },
          ],
        },
      ],
    },
    steps: [
      {
        id: 'first',
        title: both('First'),
        body: 'c_g999',
        endpoint: 'ep-one',
        fields: ['name'],
        outputs: { code: { type: 'text', label: both('Code') } },
      },
      {
        id: 'second',
        title: both('Second'),
        body: 'inps',
        endpoint: 'ep-two',
        after: ['first'],
        fields: ['when'],
        inputs: ['first.code'],
      },
    ],
  };
}

const problemsOf = (raw: unknown, file = 'config/procedures/sample.yaml') => {
  const result = checkDefinition(raw, file);
  return 'problems' in result ? result.problems : [];
};

describe('procedure definitions', () => {
  it('accepts a valid definition and orders its steps dependencies first', () => {
    const result = checkDefinition(definition(), 'sample.yaml');
    expect(result).to.have.property('procedure');
    if (!('procedure' in result)) return;
    expect(result.procedure.order.map((s) => s.id)).to.deep.equal(['first', 'second']);
    expect(result.procedure.dependents('first').map((s) => s.id)).to.deep.equal(['second']);
    expect(result.procedure.step('second')?.body).to.equal('inps');
  });

  it('loads the newborn bundle shipped in config/procedures', () => {
    const newborn = loadDefinitions('config/procedures').get('newborn');
    expect(newborn?.order[0]?.id).to.equal('birth-registration');
    expect(newborn?.step('health-enrolment')?.inputs).to.deep.equal(['birth-registration.childFiscalCode']);
    expect(newborn?.definition.loginLevel).to.equal(2);
  });

  const cases: Array<[string, (d: Raw) => void, string]> = [
    [
      'an unknown key, named precisely',
      (d) => (d.steps[1].afer = ['first']),
      'steps[1]: Unrecognized key: "afer"',
    ],
    [
      'an unknown step in after',
      (d) => (d.steps[1].after = ['frist']),
      'steps[1] (second).after[0]: unknown step "frist"',
    ],
    [
      'a step after itself',
      (d) => (d.steps[0].after = ['first']),
      'steps[0] (first).after[0]: a step cannot come after itself',
    ],
    [
      'a cycle',
      (d) => (d.steps[0].after = ['second']),
      'the dependencies form a cycle: first → second → first',
    ],
    [
      'an unknown form field in a step',
      (d) => d.steps[0].fields.push('nmae'),
      'steps[0] (first).fields[1]: unknown form field "nmae"',
    ],
    [
      'an input from an unknown step',
      (d) => (d.steps[1].inputs = ['third.code']),
      'steps[1] (second).inputs[0]: unknown step "third"',
    ],
    [
      'an input of an unknown output',
      (d) => (d.steps[1].inputs = ['first.cod']),
      'steps[1] (second).inputs[0]: step "first" has no output "cod"',
    ],
    [
      'an input of a name every object inherits',
      (d) => (d.steps[1].inputs = ['first.constructor']),
      'steps[1] (second).inputs[0]: step "first" has no output "constructor"',
    ],
    [
      'an input from a step that is not before',
      (d) => (d.steps[1].after = []),
      '"first" must be among the steps "second" comes after',
    ],
    ['a duplicate step', (d) => (d.steps[1].id = 'first'), 'steps: step "first" is declared twice'],
    [
      'a duplicate field',
      (d) => d.form.pages[0].fields.push({ id: 'name', type: 'email', label: both('x') }),
      'form: field "name" is declared twice',
    ],
    [
      'a field no step receives',
      (d) => (d.steps[1].fields = []),
      'form: field "when" is not sent to any step',
    ],
    [
      'an invalid pattern',
      (d) => (d.form.pages[0].fields[0].pattern = '(['),
      'form.pages[0].fields[0].pattern: not a valid regular expression',
    ],
    [
      'a bad date bound',
      (d) => (d.form.pages[0].fields[1].min = 'yesterday'),
      'form.pages[0].fields[1].min: a date bound',
    ],
    [
      'min above max',
      (d) => d.form.pages[0].fields.push({ id: 'n', type: 'number', label: both('n'), min: 5, max: 1 }),
      '(n): min is greater than max',
    ],
    ['a missing Italian label', (d) => delete d.title.it, 'title.it:'],
    ['a bad IPA code', (d) => (d.steps[0].body = 'Comune di Prato'), 'steps[0].body: an IPA code'],
    [
      'an unknown field type',
      (d) => (d.form.pages[0].fields[0].type = 'file'),
      'form.pages[0].fields[0].type:',
    ],
    ['an unknown login level', (d) => (d.loginLevel = 4), 'loginLevel:'],
  ];
  for (const [what, breakIt, expected] of cases) {
    it(`refuses ${what}, saying where`, () => {
      const broken = definition();
      breakIt(broken);
      const problems = problemsOf(broken);
      expect(problems.join('\n')).to.include(expected);
      expect(problems.every((p) => p.startsWith('config/procedures/sample.yaml: '))).to.equal(true);
    });
  }

  it('requires the id to match the file name', () => {
    expect(problemsOf(definition(), 'config/procedures/other.yaml').join()).to.include(
      'id: "sample" must match the file name "other"',
    );
  });

  it('stops loading with every problem of every file, naming the file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'varco-defs-'));
    try {
      const bad = definition();
      bad.steps[1].after = ['nowhere'];
      writeFileSync(path.join(dir, 'sample.yaml'), stringify(bad));
      writeFileSync(path.join(dir, 'broken.yaml'), 'id: [unclosed');
      let error: unknown;
      try {
        loadDefinitions(dir);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).to.be.instanceOf(DefinitionError);
      const message = (error as Error).message;
      expect(message).to.include(
        `${path.join(dir, 'sample.yaml')}: steps[1] (second).after[0]: unknown step "nowhere"`,
      );
      expect(message).to.include(`${path.join(dir, 'broken.yaml')}: not valid YAML`);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('step graph', () => {
  const graph = (entries: Record<string, string[]>) => new Map(Object.entries(entries));

  it('orders dependencies first and keeps the given order otherwise', () => {
    expect(topologicalOrder(graph({ c: ['a', 'b'], a: [], b: ['a'], d: [] }))).to.deep.equal({
      order: ['a', 'b', 'c', 'd'],
    });
  });

  it('finds self loops, short and long cycles', () => {
    expect(topologicalOrder(graph({ a: ['a'] }))).to.deep.equal({ cycle: ['a', 'a'] });
    expect(topologicalOrder(graph({ a: ['b'], b: ['c'], c: ['a'] }))).to.deep.equal({
      cycle: ['a', 'b', 'c', 'a'],
    });
    expect(topologicalOrder(graph({ x: [], a: ['x', 'b'], b: ['a'] }))).to.deep.equal({
      cycle: ['a', 'b', 'a'],
    });
  });

  it('accepts a diamond, which is not a cycle', () => {
    expect(topologicalOrder(graph({ d: ['b', 'c'], b: ['a'], c: ['a'], a: [] }))).to.deep.equal({
      order: ['a', 'b', 'c', 'd'],
    });
  });

  it('lists every ancestor of a step', () => {
    const g = graph({ d: ['b', 'c'], b: ['a'], c: ['a'], a: [], e: [] });
    expect([...ancestors(g, 'd')].sort()).to.deep.equal(['a', 'b', 'c']);
    expect([...ancestors(g, 'a')]).to.deep.equal([]);
  });
});
