import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import ejs from 'ejs';
import { viewOptions } from '../../src/platform/views.ts';

const VIEWS = 'views';

function templates(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return templates(full);
    return entry.name.endsWith('.ejs') ? [full] : [];
  });
}

describe('views', () => {
  it('compiles every template as the app does (strict, its own locals named once)', () => {
    const files = templates(VIEWS);
    expect(files.length).to.be.greaterThan(40);
    for (const file of files) {
      const options = { ...viewOptions({ viewsDir: VIEWS, cache: false }), filename: path.resolve(file) };
      expect(() => ejs.compile(readFileSync(file, 'utf8'), options), file).not.to.throw();
    }
  });

  it('refuses a template that declares a page local again, or reads a name strict mode forbids', () => {
    const options = viewOptions({ viewsDir: VIEWS, cache: false });
    expect(() => ejs.compile('<% const { t } = locals; %><%= t("x") %>', options)).to.throw(SyntaxError);
    expect(() => ejs.compile('<% with (locals) { %><%= title %><% } %>', options)).to.throw(SyntaxError);
  });

  it('gives a template the page locals as variables and its own through locals', () => {
    const options = viewOptions({ viewsDir: VIEWS, cache: false });
    const render = ejs.compile('<% const { title } = locals; -%>\n<%= lang %>: <%= title %>', options);
    expect(render({ lang: 'it', title: '<Servizi>' })).to.equal('it: &lt;Servizi&gt;');
    expect(() => ejs.compile('<%= title %>', options)({ title: 'x' })).to.throw(ReferenceError);
  });
});
