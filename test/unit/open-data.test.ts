import { expect } from 'chai';
import { catalogCsv } from '../../src/catalog/open-data.ts';
import type { Body, Service } from '../../src/catalog/model.ts';

const service = (id: string, title: string): Service =>
  ({
    id,
    bodyId: 'c_g999',
    status: 'published',
    updatedAt: '2026-01-01T00:00:00.000Z',
    title: { it: title, en: 'Plain' },
    description: { it: 'Riga uno\r\nriga "due"', en: 'x' },
    topics: ['taxes'],
    lifeEvents: [],
    audience: ['citizens'],
    channels: ['online'],
    requiredLevel: 'none',
  }) as unknown as Service;

/** Splits RFC 4180 CSV as catalogCsv writes it (a plain header, then every cell quoted) into rows. */
function parseCsv(text: string): string[][] {
  const headerEnd = text.indexOf('\r\n');
  const rows: string[][] = [text.slice(0, headerEnd).split(','), []];
  text = text.slice(headerEnd + 2);
  // A quoted cell (doubled quotes inside), then a comma, a CRLF or the end.
  for (const [, quoted = '', separator] of text.matchAll(/"((?:[^"]|"")*)"(,|\r\n|$)/g)) {
    rows[rows.length - 1]?.push(quoted.replace(/""/g, '"'));
    if (separator === '\r\n') rows.push([]);
  }
  return rows.filter((row) => row.length > 0);
}

describe('open data: catalog CSV', () => {
  const bodies = new Map<string, Body>([
    ['c_g999', { name: { it: '@Comune', en: 'Municipality' } } as unknown as Body],
  ]);

  it('neutralises every cell a spreadsheet would run as a formula (= + - @ tab CR)', () => {
    const titles = ['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\t=1', '\r=1', 'Normale = ok'];
    const csv = catalogCsv(
      titles.map((t, i) => service(`s-${i}`, t)),
      bodies,
      'https://varco.example.it',
    );
    const rows = parseCsv(csv);
    expect(rows[0]?.slice(0, 4)).to.deep.equal(['id', 'body_ipa_code', 'body_name', 'title_it']);
    const titleCells = rows.slice(1).map((r) => r[3]);
    expect(titleCells).to.deep.equal([
      "'=1+1",
      "'+SUM(A1)",
      "'-2+3",
      "'@cmd",
      "'\t=1",
      "'\r=1",
      'Normale = ok',
    ]);
    expect(rows[1]?.[2]).to.equal("'@Comune");
    for (const row of rows.slice(1)) {
      expect(row).to.have.length(14);
      for (const cell of row) expect(cell, cell).not.to.match(/^[=+\-@\t\r]/);
    }
  });

  it('quotes every cell, doubling quotes and keeping line breaks inside cells (RFC 4180)', () => {
    const csv = catalogCsv([service('s-1', 'Titolo "citato"')], bodies, 'https://varco.example.it');
    expect(csv.endsWith('\r\n')).to.equal(true);
    const rows = parseCsv(csv);
    expect(rows).to.have.length(2);
    expect(rows[1]?.[3]).to.equal('Titolo "citato"');
    expect(rows[1]?.[5]).to.equal('Riga uno\r\nriga "due"');
    expect(rows[1]?.[12]).to.equal('https://varco.example.it/services/s-1');
  });
});
