import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import ejs from 'ejs';
import { createViewEngine, escapeHtml, freeNames, templateSource } from '../../src/platform/view-engine.ts';

describe('view engine (ejs compiled without `with`)', () => {
  let root: string;
  const file = (name: string) => path.join(root, name);
  const write = (name: string, text: string) => {
    mkdirSync(path.dirname(file(name)), { recursive: true });
    writeFileSync(file(name), text);
  };

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'varco-views-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('renders locals as variables, escapes <%= %>, leaves <%- %> raw, and globals stay globals', () => {
    write(
      'page.ejs',
      '<h1><%= title %></h1><%- html %>\n<a href="/q?x=<%= encodeURIComponent(query) %>"><%= JSON.stringify(list) %></a>',
    );
    const render = createViewEngine({ root, cache: true });
    const html = render(file('page.ejs'), {
      title: '<Tom & "Jerry">',
      html: '<em>ok</em>',
      query: 'a b&c',
      list: [1, 2],
    });
    expect(html).to.equal(
      '<h1>&lt;Tom &amp; &#34;Jerry&#34;&gt;</h1><em>ok</em>\n<a href="/q?x=a%20b%26c">[1,2]</a>',
    );
  });

  it('escapes exactly as ejs does', () => {
    const values = [
      'plain text',
      `<script>alert("x" + 'y')</script> & more`,
      '&amp; already',
      '',
      0,
      42,
      false,
      null,
      undefined,
      { toString: () => '<b>' },
      ['a<', 'b>'],
      'àèìòù €',
    ];
    for (const value of values)
      expect(escapeHtml(value), String(value)).to.equal(ejs.escapeXML(value as string));
  });

  it('gives an include its parent locals with its own arguments on top, for that include only', () => {
    write('layout/top.ejs', '[<%= title %>|<%= lang %>]');
    write('parts/item.ejs', '(<%= label %>)');
    write(
      'pages/list.ejs',
      "<%- include('/layout/top', { title: 'Inner' }) %><%= title %><% for (const label of labels) { %><%- include('../parts/item', { label }) %><% } %>",
    );
    const render = createViewEngine({ root, cache: true });
    const html = render(file('pages/list.ejs'), { title: 'Outer', lang: 'it', labels: ['a', 'b'] });
    expect(html).to.equal('[Inner|it]Outer(a)(b)');
  });

  it('renders what ejs renders, for declarations, loops, functions and optional locals', () => {
    const text = [
      '<% const total = items.reduce((sum, item) => sum + item.n, 0); -%>',
      '<% function twice(value) { return value * 2; } -%>',
      '<ul><% for (const { name, n } of items) { %><li><%= name %>: <%= twice(n) %></li><% } %></ul>',
      '<% if (locals.note) { %><p><%= note %></p><% } %><% try { missing.call() } catch (e) { %>!<% } %>',
      '<%= total %> <%= typeof other %>',
    ].join('\n');
    write('mixed.ejs', text);
    const data = {
      items: [
        { name: 'x', n: 1 },
        { name: '<y>', n: 2 },
      ],
      note: 'n',
      missing: undefined,
    };
    const render = createViewEngine({ root, cache: true });
    const expected = ejs.render(text, { ...data, other: undefined });
    expect(render(file('mixed.ejs'), data)).to.equal(expected);
    expect(render(file('mixed.ejs'), { ...data, note: undefined })).to.equal(
      ejs.render(text, { ...data, note: undefined, other: undefined }),
    );
  });

  it('never reads a local from Object.prototype, even once it is polluted, in a page or an include', () => {
    write('part.ejs', '<%= typeof varcoPolluted %>');
    write(
      'page.ejs',
      "<%= typeof varcoPolluted %>|<%- include('part', { x: 1 }) %>|<%= typeof locals.toString %>",
    );
    const render = createViewEngine({ root, cache: true });
    expect(render(file('page.ejs'), { a: 1 })).to.equal('undefined|undefined|undefined');
    const prototype = Object.prototype as Record<string, unknown>;
    prototype.varcoPolluted = '<script>';
    try {
      expect(render(file('page.ejs'), { a: 1 })).to.equal('undefined|undefined|undefined');
    } finally {
      delete prototype.varcoPolluted;
    }
  });

  it('names the template and line that failed, innermost first', () => {
    write('parts/inner.ejs', 'one\n<%= value.missing.deeper %>');
    write('outer.ejs', "start\n\n<%- include('/parts/inner') %>");
    const render = createViewEngine({ root, cache: true });
    expect(() => render(file('outer.ejs'), { value: {} })).to.throw(TypeError, /^parts\/inner\.ejs:2: /);
  });

  it('reads a changed template again only without the cache (development)', () => {
    write('live.ejs', "v1<%- include('part') %>");
    write('part.ejs', 'a');
    const cached = createViewEngine({ root, cache: true });
    const live = createViewEngine({ root, cache: false });
    expect(cached(file('live.ejs'), {})).to.equal('v1a');
    expect(live(file('live.ejs'), {})).to.equal('v1a');
    write('live.ejs', "v2<%- include('part') %>");
    write('part.ejs', 'b');
    expect(cached(file('live.ejs'), {})).to.equal('v1a');
    expect(live(file('live.ejs'), {})).to.equal('v2b');
  });

  it('fails an include of a view that does not exist, and serves it once it does', () => {
    write('page.ejs', "<%- include('later') %>");
    const render = createViewEngine({ root, cache: true });
    expect(() => render(file('page.ejs'), {})).to.throw(/ENOENT/);
    write('later.ejs', 'here');
    expect(render(file('page.ejs'), {})).to.equal('here');
  });

  it('refuses a template that is not valid JavaScript once compiled, naming it', () => {
    write('broken.ejs', '<% if (x) { %>never closed');
    const render = createViewEngine({ root, cache: true });
    expect(() => render(file('broken.ejs'), { x: 1 })).to.throw(SyntaxError, /broken\.ejs/);
  });

  it("the gateway's views read as globals only JavaScript's standard built-ins, never a name a local could have", () => {
    const builtIns = ['undefined', 'Object', 'String', 'Number', 'Boolean', 'Array', 'Date', 'JSON', 'Math'];
    const web = ['encodeURIComponent', 'URLSearchParams'];
    const views = readdirSync('views', { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.ejs'),
    );
    expect(views.length).to.be.greaterThan(40);
    const unexpected = views.flatMap((view) => {
      const file = path.join('views', view);
      const { globals } = freeNames(templateSource(readFileSync(file, 'utf8'), file));
      return globals
        .filter((name) => !builtIns.includes(name) && !web.includes(name))
        .map((name) => `${view}: ${name}`);
    });
    expect(unexpected).to.deep.equal([]);
  });

  it('tells the locals a template reads from the globals it reads', () => {
    const body = templateSource(
      '<% const x = 1; %><%= x + y %><%= escape(z) %><%= JSON.stringify(list) %>',
      'a.ejs',
    );
    expect(freeNames(body)).to.deep.equal({
      locals: ['list', 'y', 'z'],
      globals: ['JSON', 'escape', 'undefined'],
    });
  });
});
