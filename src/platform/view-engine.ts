import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'acorn';
import ejs from 'ejs';
import { analyze } from 'eslint-scope';

type Locals = Record<string, unknown>;
type Include = (view: string, extra?: Locals) => string;
type Rethrow = (error: unknown, line: number) => never;
type TemplateFunction = (
  locals: Locals,
  escapeFn: (value: unknown) => string,
  include: Include,
  rethrow: Rethrow,
) => string;

interface CompiledView {
  file: string;
  run: TemplateFunction;
  /** Raises an error of this template, naming it and the line. */
  rethrow: Rethrow;
  /** The views this one includes, by the name it gives them (filled as they are first included). */
  includes: Map<string, CompiledView>;
}

/** What ejs's generated code names itself: never a page's locals. */
const PARAMETERS = ['locals', 'escapeFn', 'include', 'rethrow'];

/**
 * The names a template's code reads without declaring them: `locals`, the page's locals, and `globals`,
 * names of globals (encodeURIComponent, JSON…), which stay globals, so a local of the same name is not
 * seen. The code is analysed by eslint-scope, ESLint's own scope analyser, so every way JavaScript
 * declares a name (loops, destructuring, functions, catch) is seen.
 */
export function freeNames(body: string): { locals: string[]; globals: string[] } {
  const program = parse(`(function (${PARAMETERS.join(', ')}) {\nlet __line = 1;\n${body}\n})`, {
    ecmaVersion: 2023,
    sourceType: 'script',
    ranges: true, // eslint-scope reads node ranges
  });
  const scopes = analyze(program as never, { ecmaVersion: 2023, sourceType: 'script' });
  const through = scopes.globalScope?.through ?? [];
  const names = [...new Set(through.map((reference) => reference.identifier.name))].sort();
  return {
    locals: names.filter((name) => !(name in globalThis)),
    globals: names.filter((name) => name in globalThis),
  };
}

/** ejs's code for a template, without `with`: the body of a function of PARAMETERS and `__line`. */
export function templateSource(text: string, file: string): string {
  const template = new ejs.Template(text, { filename: file, _with: false, compileDebug: true });
  template.compile();
  // The function's body as ejs wrote it: output buffer, the template's code, `return __output`.
  return (template as unknown as { source: string }).source;
}

/**
 * ejs templates, compiled once into plain functions that read the page's locals as ordinary variables.
 *
 * ejs's own runtime wraps every template in `with (locals)`, which makes each name a template reads —
 * its locals and ejs's own helpers alike — a dynamic lookup, and copies every local into a new object
 * for each include: rendering a page cost more than all the rest of serving it (bench/http-pages.ts).
 * Here ejs's compiler (ejs.Template, without `with`) writes the code, the names it reads but does not
 * declare are found once (`freeNames`) and bound at the top of the function from the locals, and an
 * include sees its parent's locals through the prototype chain, with its own arguments on top. The
 * locals object has no prototype, so no name resolves to Object.prototype's members.
 *
 * What a template sees is what it saw under `with`, with two differences: a name that is neither a local
 * nor a global reads as undefined (ejs prints nothing for it) instead of failing the page, and a local
 * named like a global (`escape`, `crypto`…) is not seen, the global is (the views read only standard
 * built-ins as globals: test/unit/view-engine.test.ts keeps it so).
 *
 * Includes name views by paths from the views root (`include('/layout/top')`) or relative to the
 * including file; errors say which template and line failed.
 */
export function createViewEngine(options: { root: string; cache: boolean }) {
  const compiled = new Map<string, CompiledView>();

  function compile(file: string): CompiledView {
    const body = templateSource(readFileSync(file, 'utf8'), file);
    const { locals } = freeNames(body);
    const bind = locals.length > 0 ? `const { ${locals.join(', ')} } = locals;\n` : '';
    const source = `let __line = 1;\ntry {\n${bind}${body}\n} catch (error) {\n  rethrow(error, __line);\n}`;
    const name = path.relative(options.root, file);
    const rethrow: Rethrow = (error, line) => {
      throw withTemplateLine(error, name, line);
    };
    return {
      file,
      run: new Function(...PARAMETERS, source) as TemplateFunction,
      rethrow,
      includes: new Map(),
    };
  }

  function load(file: string): CompiledView {
    const cached = compiled.get(file);
    if (cached) return cached;
    const view = compile(file);
    if (options.cache) compiled.set(file, view);
    return view;
  }

  function includePath(view: string, from: string): string {
    const name = view.endsWith('.ejs') ? view : `${view}.ejs`;
    return name.startsWith('/') ? path.join(options.root, name) : path.resolve(path.dirname(from), name);
  }

  /** The view `name` included from `view`; remembered once it loaded (only existing files are). */
  function included(view: CompiledView, name: string): CompiledView {
    const known = view.includes.get(name);
    if (known) return known;
    const child = load(includePath(name, view.file));
    if (options.cache) view.includes.set(name, child);
    return child;
  }

  function run(view: CompiledView, locals: Locals): string {
    const include: Include = (name, extra) =>
      run(included(view, name), extra ? Object.assign(Object.create(locals) as Locals, extra) : locals);
    return view.run(locals, escapeHtml, include, view.rethrow);
  }

  /** Renders a view file with the given locals (copied into an object without prototype). */
  return function render(file: string, data: object): string {
    return run(load(file), Object.assign(Object.create(null) as Locals, data));
  };
}

const HTML_SPECIAL = /[&<>'"]/;
const HTML_SPECIALS = /[&<>'"]/g;
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&#34;',
  "'": '&#39;',
};

/**
 * What `<%= value %>` writes: ejs.escapeXML's entities, for nothing (null, undefined) an empty string.
 * Most of what a page prints needs no escaping; such text is returned as it is after one test, where
 * ejs runs a replacement over every value (almost twice the time).
 */
export function escapeHtml(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  return HTML_SPECIAL.test(text) ? text.replace(HTML_SPECIALS, (char) => ENTITIES[char] ?? char) : text;
}

/**
 * The error, its message prefixed once with the innermost template (by its path in the views: several
 * are called error.ejs) and line that raised it.
 */
function withTemplateLine(error: unknown, name: string, line: number): unknown {
  if (!(error instanceof Error) || TEMPLATE_LINE in error) return error;
  error.message = `${name}:${line}: ${error.message}`;
  Object.defineProperty(error, TEMPLATE_LINE, { value: true });
  return error;
}

const TEMPLATE_LINE = Symbol('varco.templateLine');
