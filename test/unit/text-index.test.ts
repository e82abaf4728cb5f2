import { expect } from 'chai';
import { boundedDistance, createTextIndex } from '../../src/catalog/text-index.ts';

describe('text index (inverted index with BM25 weights, prefixes and typos)', () => {
  const make = () => {
    const index = createTextIndex<{ level: number }>({ title: 3, description: 1 });
    index.addAll([
      {
        id: 'cie',
        texts: { title: "Carta d'identità elettronica", description: 'Documento' },
        meta: { level: 0 },
      },
      {
        id: 'nascita',
        texts: { title: 'Certificato di nascita', description: 'Anagrafe' },
        meta: { level: 2 },
      },
      { id: 'morte', texts: { title: 'Certificato di morte', description: 'Anagrafe' }, meta: { level: 2 } },
      {
        id: 'carta-bib',
        texts: { title: 'Tessera della biblioteca', description: 'Carta servizi' },
        meta: { level: 0 },
      },
    ]);
    return index;
  };
  const ids = (r: { hits: Array<{ id: string }> }) => r.hits.map((h) => h.id);
  const page = { offset: 0, limit: 10, maxTerms: 12 };

  it('computes bounded edit distances', () => {
    expect(boundedDistance('certificat', 'cerificat', 2)).to.equal(1);
    expect(boundedDistance('residenz', 'residnz', 1)).to.equal(1);
    expect(boundedDistance('abc', 'xyz', 1)).to.equal(2);
    expect(boundedDistance('a', 'abcdef', 2)).to.equal(3);
  });

  it('ranks documents matching every term first, a title above a description', () => {
    const index = make();
    // "morte" matches "certificato" only: left out while a document matches both words.
    expect(ids(index.search('certificato nascita', page))).to.deep.equal(['nascita']);
    expect(index.search('certificato nascita', page).total).to.equal(1);
    expect(ids(index.search('carta', page))).to.deep.equal(['cie', 'carta-bib']);
    expect(index.search('il di la', page)).to.deep.equal({ total: 0, hits: [] });
  });

  it('matches the word being typed as a prefix, and unknown words with typos', () => {
    const index = make();
    expect(ids(index.search('certif', page))).to.have.members(['nascita', 'morte']);
    expect(ids(index.search('cerificato nascita', page))[0]).to.equal('nascita');
    expect(ids(index.search('biblioteca', page))).to.deep.equal(['carta-bib']);
    expect(index.search('zzzzzz', page).total).to.equal(0);
  });

  it('filters on the kept metadata, counts every accepted match, pages deep results the same way', () => {
    const index = make();
    const filtered = index.search('carta certificato', { ...page, accept: (m) => m.level === 2 });
    expect(filtered.total).to.equal(2);
    expect(ids(filtered)).to.have.members(['nascita', 'morte']);
    const first = ids(index.search('carta certificato', { ...page, limit: 2 }));
    const all = ids(index.search('carta certificato', { ...page, limit: 300 }));
    expect(all.slice(0, 2)).to.deep.equal(first);
    expect(ids(index.search('carta certificato', { ...page, offset: 2, limit: 2 }))).to.deep.equal(
      all.slice(2, 4),
    );
  });

  it('puts a title typed whole first, then a run of its words, each language on its own', () => {
    const index = createTextIndex<null>({ title: 6, tags: 2.5, description: 1 }, { phraseField: 'title' });
    const doc = (id: string, title: string, tags: string, description = '') => ({
      id,
      texts: { title, tags, description },
      meta: null,
    });
    index.addAll([
      // Keywords stuffed with the query outweigh a plain title by BM25 alone.
      ...['a', 'b', 'c', 'd'].map((n) =>
        doc(`nascita-${n}`, 'Certificato di nascita | Birth certificate', 'certificati anagrafici anagrafe'),
      ),
      doc('anagrafici-online', 'Certificati anagrafici online | Civil registry certificates online', ''),
      doc('anagrafici', 'Certificati anagrafici | Civil registry certificates', ''),
      doc('nascita-anagrafici', 'Nascita | Anagrafici certificati', ''),
      doc('confine', 'Servizi anagrafici | Certificati online', ''),
    ]);
    const found = ids(index.search('certificati anagrafici', page));
    expect(found.slice(0, 2)).to.deep.equal(['anagrafici', 'anagrafici-online']);
    // The end of the Italian title and the start of the English one make no phrase.
    expect(found.indexOf('confine')).to.be.greaterThan(found.indexOf('anagrafici-online'));
    expect(ids(index.search('birth certificate', page))[0]).to.match(/^nascita-/);
    expect(ids(index.search('Certificati | anagrafici', page)).slice(0, 2)).to.deep.equal([
      'anagrafici',
      'anagrafici-online',
    ]);
  });

  it('leaves out weak matches only while full ones exist, counting unknown words out', () => {
    const index = make();
    // "xqzwv" is no word of the index: "carta" alone decides, so both cards are found.
    expect(ids(index.search('carta xqzwv', page))).to.have.members(['cie', 'carta-bib']);
    // With the full match filtered away, the weak ones are what there is.
    const filtered = index.search('carta identita', { ...page, accept: (m) => m.level === 0 });
    expect(ids(filtered)).to.deep.equal(['cie']);
    const weakOnly = index.search('carta identita', { ...page, accept: (m) => m.level === 0 && m !== null });
    expect(weakOnly.total).to.equal(1);
    const onlyWeak = index.search('carta certificato', page);
    expect(onlyWeak.total).to.equal(4);
  });

  it('replaces and removes documents', () => {
    const index = make();
    index.add('nascita', { title: 'Iscrizione al nido', description: '' }, { level: 1 });
    expect(ids(index.search('nascita', page))).to.deep.equal([]);
    expect(ids(index.search('nido', page))).to.deep.equal(['nascita']);
    index.remove('cie');
    expect(ids(index.search('carta', page))).to.deep.equal(['carta-bib']);
    expect(index.size).to.equal(3);
    expect(index.has('cie')).to.equal(false);
  });
});
