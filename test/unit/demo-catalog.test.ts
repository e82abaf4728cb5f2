import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { processTerm, tokenize } from '../../src/catalog/search-text.ts';
import { readSeedCatalog } from '../../src/demo/catalog-seed.ts';

/** A title as search sees it, without a parenthesised acronym: "Prenotazione di visite (CUP)" → prenotazion visit esam. */
const titleTerms = (title: string) =>
  tokenize(title.replace(/\([^)]*\)/g, ''))
    .map(processTerm)
    .filter(Boolean)
    .join(' ');

describe('demo catalog', () => {
  it('offers no service twice within one body under near-identical titles', () => {
    const { services } = readSeedCatalog('config/catalog');
    const seen = new Map<string, string>();
    for (const service of services) {
      const key = `${service.body} ${titleTerms(service.title.it)}`;
      expect(seen.get(key), `${service.id} repeats ${seen.get(key)}`).to.equal(undefined);
      seen.set(key, service.id);
    }
    expect(titleTerms('Prenotazione di visite ed esami (CUP)')).to.equal(
      titleTerms('Prenotazioni di visite ed esami'),
    );
  });

  it('shows addresses and codes without the font’s "//" ligature', () => {
    const css = readFileSync('public/css/varco.css', 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    const rule = /([^{}]+)\{\s*font-variant-ligatures:\s*none;?\s*\}/.exec(css);
    const selectors = (rule?.[1] ?? '').split(',').map((s) => s.trim());
    expect(selectors).to.include.members(["a[href^='http']", 'code', '.varco-url']);
  });
});
