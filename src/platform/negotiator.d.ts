/**
 * The part of negotiator 1.x's documented interface the gateway uses (its README: `encoding(available,
 * { preferred })`, which breaks ties between encodings of the same quality in the server's favour).
 */
declare module 'negotiator' {
  export default class Negotiator {
    constructor(request: { headers: Record<string, string | string[] | undefined> });
    encoding(available: readonly string[], options?: { preferred?: readonly string[] }): string | undefined;
  }
}
