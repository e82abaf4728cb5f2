import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import Negotiator from 'negotiator';

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** Text files worth compressing; fonts (woff2) and images are compressed already. */
const TEXT = new Set(['.css', '.js', '.svg', '.json', '.txt']);
/** Files kept, and their largest size: bounds memory and the work a stranger can ask for. */
const MAX_FILES = 256;
const MAX_BYTES = 4 * 1024 * 1024;

interface Copies {
  br: Buffer;
  gzip: Buffer;
  etag: string;
  lastModified: string;
}

/**
 * The copies, by file: shared by every app of the process (a file is compressed once, not once per app:
 * the kit's script alone takes about a second of CPU at the highest quality).
 */
const copies = new Map<string, Promise<Copies | undefined>>();

async function make(file: string): Promise<Copies | undefined> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile() || info.size > MAX_BYTES) return undefined;
  const content = await readFile(file);
  const [br, gz] = await Promise.all([
    brotli(content, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
        [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: content.length,
      },
    }),
    gzip(content, { level: zlib.constants.Z_BEST_COMPRESSION }),
  ]);
  const version = `${info.size.toString(16)}-${info.mtimeMs.toString(16)}`;
  return { br, gzip: gz, etag: version, lastModified: info.mtime.toUTCString() };
}

/**
 * Brotli and gzip copies of a folder's text files, each made once per process (whichever app asks first), the first time it is
 * asked for, at the highest quality, and kept in memory (the UI kit's CSS, script and icons come to
 * about 350 kB). Requests it does not answer (no compression accepted, a Range or a validator the copy
 * does not match, any other file) go on to express.static below it.
 *
 * Written here rather than with express-static-gzip: that serves copies already on disk beside the
 * files, found when it starts, and the UI kit's files live in node_modules, written by npm.
 */
export function precompressed(dir: string, cacheControl: string): RequestHandler {
  const root = path.resolve(dir);

  return (req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.headers.range) return next();
    if (!TEXT.has(path.extname(req.path))) return next();
    // Brotli where the browser takes both at the same quality (it is smaller); the browser's order otherwise.
    const encoding = new Negotiator(req).encoding(['br', 'gzip', 'identity'], { preferred: ['br', 'gzip'] });
    if (encoding !== 'br' && encoding !== 'gzip') return next();
    let relative: string;
    try {
      relative = decodeURIComponent(req.path);
    } catch {
      return next();
    }
    const file = path.join(root, relative);
    // Only files inside the folder, named plainly; anything else is express.static's to refuse.
    if (relative.includes('\0') || !file.startsWith(root + path.sep)) return next();
    let pending = copies.get(file);
    if (!pending) {
      if (copies.size >= MAX_FILES) return next();
      pending = make(file);
      copies.set(file, pending);
      // A name that is no file keeps no place: requests for missing files cannot use up the bound.
      void pending.then(
        (found) => found ?? copies.delete(file),
        () => copies.delete(file),
      );
    }
    pending.then((found) => {
      if (!found) return next();
      const etag = `W/"${found.etag}-${encoding}"`;
      res.vary('Accept-Encoding');
      res.set({ 'Cache-Control': cacheControl, ETag: etag, 'Last-Modified': found.lastModified });
      if (req.headers['if-none-match'] === etag) return void res.status(304).end();
      const body = found[encoding];
      res.type(path.extname(file));
      res.set({ 'Content-Encoding': encoding, 'Content-Length': String(body.length) });
      res.end(req.method === 'HEAD' ? undefined : body);
    }, next);
  };
}
