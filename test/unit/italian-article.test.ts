import { expect } from 'chai';
import { italianArticle, italianForms } from '../../src/catalog/italian-article.ts';

describe('Italian articles of bodies’ names', () => {
  const derived: Array<[string, string]> = [
    ['Comune di Prato', 'il'],
    ['INPS - Istituto Nazionale della Previdenza Sociale', "l'"],
    ['Azienda USL Toscana Centro', "l'"],
    ['Agenzia delle Entrate', "l'"],
    ['Provincia di Prato', 'la'],
    ['Prefettura di Prato', 'la'],
    ['Camera di Commercio di Pistoia-Prato', 'la'],
    ['Museo del Tessuto', 'il'],
    ['Scuola primaria Mazzoni', 'la'],
    ['Studio associato', 'lo'],
    ['Zecca dello Stato', 'la'],
    ['Ufficio scolastico', "l'"],
    ['Èrgon', "l'"],
  ];
  for (const [name, article] of derived)
    it(`derives "${article}" for "${name}"`, () => expect(italianArticle(name)).to.equal(article));

  it('keeps the article a body declares over the derived one', () => {
    expect(italianArticle('Carabinieri', 'i')).to.equal('i');
    expect(italianForms('Carabinieri', 'i').to).to.equal('ai Carabinieri');
  });

  it('merges the article with "a", "da" and "di", and capitalises it at the start of a sentence', () => {
    expect(italianForms('INPS')).to.deep.equal({
      name: 'INPS',
      subject: "L'INPS",
      to: "all'INPS",
      from: "dall'INPS",
      of: "dell'INPS",
    });
    expect(italianForms('Comune di Prato').to).to.equal('al Comune di Prato');
    expect(italianForms('Comune di Prato').subject).to.equal('Il Comune di Prato');
    expect(italianForms('Azienda USL Toscana Centro').to).to.equal("all'Azienda USL Toscana Centro");
    expect(italianForms('Provincia di Prato').from).to.equal('dalla Provincia di Prato');
    expect(italianForms('Studio associato').to).to.equal('allo Studio associato');
  });
});
