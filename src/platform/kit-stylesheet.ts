import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PurgeCSS } from 'purgecss';

const require = createRequire(import.meta.url);
const purgeCssVersion = (require('purgecss/package.json') as { version: string }).version;

/** How the stylesheet is cut (besides what it is cut against); part of the cut's name with the sources. */
const CUT_OPTIONS = {
  // @keyframes no rule names any more go too; @font-face rules stay (the layout declares the kit's faces).
  keyframes: true,
  // PurgeCSS misjudges selectors with these pseudo-classes (it cut the kit's keyboard focus ring,
  // :focus:not([data-focus-mouse=true])): FullHuman/purgecss issues 978 and 1197. Those rules stay whole.
  safelist: { standard: [/:not/, /:is/, /:where/, /:has/] },
};
const PREFIX = 'bootstrap-italia.';
const SUFFIX = '.min.css';

export interface KitStylesheetSources {
  /** The UI kit's dist folder (css/bootstrap-italia.min.css, js/bootstrap-italia.bundle.min.js). */
  kitDir: string;
  /** Folders whose files name the classes the pages use: the views and the gateway's own scripts. */
  contentDirs: readonly string[];
  /** Where the cut stylesheet is kept between starts (var/assets); a temporary folder when not writable. */
  cacheDir: string;
}

export interface KitStylesheet {
  /** File name, with a hash of everything it was cut from: served immutable beside the kit's own CSS. */
  file: string;
  /** The folder holding it. */
  dir: string;
  /** Size of the whole kit stylesheet and of the cut one, in bytes. */
  fullBytes: number;
  bytes: number;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && /\.(ejs|js)$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/**
 * The UI kit's stylesheet cut to the rules the pages can use (600 kB → about 145 kB; 69 kB → 26 kB in
 * brotli). PurgeCSS keeps every rule whose selectors name only classes, ids and elements found as words
 * in the views, the gateway's scripts and the kit's own script (which adds classes such as "show" or
 * "active" at run time, so those rules stay). A class built from pieces in a template would be cut: a
 * browser test compares every page drawn with the cut and the whole stylesheet
 * (test/browser/kit-stylesheet.test.ts).
 *
 * Cutting takes a second or two, so the result is kept in cacheDir under a name carrying a hash of its
 * sources, and reused by every start until a template, a script or the kit changes.
 */
export async function kitStylesheet(sources: KitStylesheetSources): Promise<KitStylesheet> {
  const fullCss = path.join(sources.kitDir, 'css/bootstrap-italia.min.css');
  const contentFiles = [
    path.join(sources.kitDir, 'js/bootstrap-italia.bundle.min.js'),
    ...(await Promise.all(sources.contentDirs.map(filesUnder))).flat(),
  ];
  const css = await readFile(fullCss);
  const contents = await Promise.all(
    contentFiles.map(async (file) => ({ file, content: await readFile(file) })),
  );
  const how = JSON.stringify([purgeCssVersion, CUT_OPTIONS], (_key, value: unknown) =>
    value instanceof RegExp ? String(value) : value,
  );
  const hash = createHash('sha256').update(`${how}\n`).update(css);
  for (const { file, content } of contents) hash.update(`\n${path.relative('.', file)}\n`).update(content);
  const file = `${PREFIX}${hash.digest('hex').slice(0, 16)}${SUFFIX}`;
  const fullBytes = css.length;

  const kept = await stat(path.join(sources.cacheDir, file)).catch(() => undefined);
  if (kept?.isFile()) return { file, dir: sources.cacheDir, fullBytes, bytes: kept.size };

  const results = await new PurgeCSS().purge({
    css: [{ raw: css.toString('utf8') }],
    content: contents.map(({ file, content }) => ({
      raw: content.toString('utf8'),
      extension: path.extname(file).slice(1),
    })),
    ...CUT_OPTIONS,
    // No rule is cut for its attribute selectors, only for its classes, ids and elements: the kit's script
    // sets attributes as the page is used (its keyboard focus ring is :focus:not([data-focus-mouse=true])),
    // and a selector such as :not([multiple]) holds where the attribute is absent.
    dynamicAttributes: attributeNames(css.toString('utf8')),
  });
  const cut = Buffer.from(results.map((result) => result.css).join('\n'), 'utf8');
  const dir = await store(sources.cacheDir, file, cut);
  return { file, dir, fullBytes, bytes: cut.length };
}

/** The attribute names in a stylesheet's attribute selectors ([type=checkbox], [data-focus-mouse=true]). */
function attributeNames(css: string): string[] {
  return [
    ...new Set(Array.from(css.matchAll(/\[\s*([a-zA-Z][\w-]*)\s*[\]~|^$*=]/g), (match) => match[1] ?? '')),
  ];
}

/** Writes the file whole (a temporary name, then a rename: parallel starts never see half a file). */
async function store(cacheDir: string, file: string, content: Buffer): Promise<string> {
  const write = async (dir: string) => {
    await mkdir(dir, { recursive: true });
    const partial = path.join(dir, `.${file}.${process.pid}`);
    await writeFile(partial, content);
    await rename(partial, path.join(dir, file));
  };
  try {
    await write(cacheDir);
  } catch {
    // A read-only installation: this process keeps its own copy.
    const dir = await mkdtemp(path.join(tmpdir(), 'varco-assets-'));
    await write(dir);
    return dir;
  }
  await removeOlderCuts(cacheDir, file);
  return cacheDir;
}

/** Cuts made from earlier sources, once a day old: the folder does not grow with every edit of a template. */
async function removeOlderCuts(cacheDir: string, current: string) {
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  for (const name of await readdir(cacheDir)) {
    if (name === current || !name.startsWith(PREFIX) || !name.endsWith(SUFFIX)) continue;
    const info = await stat(path.join(cacheDir, name)).catch(() => undefined);
    if (info && info.mtimeMs < dayAgo) await rm(path.join(cacheDir, name), { force: true });
  }
}
