import { checkCharacter } from '../../identity/citizen.ts';

/** Month letters of the fiscal code (DM 23/12/1976): January A … December T. */
const MONTHS = 'ABCDEHLMPRST';

/** Upper-case A–Z only: accents dropped (È → E), apostrophes, spaces and dashes removed. */
const letters = (text: string) =>
  text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[^A-Z]/g, '');

const consonantsOf = (text: string) => text.replace(/[AEIOU]/g, '');
const vowelsOf = (text: string) => text.replace(/[^AEIOU]/g, '');

/** Three letters: consonants first, then vowels, then X (family name; given name with < 4 consonants). */
const threeLetters = (text: string) => `${consonantsOf(text)}${vowelsOf(text)}XXX`.slice(0, 3);

/** The given name takes the 1st, 3rd and 4th consonant when it has four or more. */
function givenNameLetters(text: string): string {
  const consonants = consonantsOf(text);
  return consonants.length >= 4 ? `${consonants[0]}${consonants[2]}${consonants[3]}` : threeLetters(text);
}

/**
 * The fiscal code the registry office assigns at birth registration (DPR 605/1973, DM 23/12/1976):
 * 3 letters of the family name, 3 of the given name, year, month letter, day (+40 for females), the
 * cadastral (Belfiore) code of the municipality of birth and the check character. The demo ignores
 * omocodia (two people with the same code), which the real registry resolves.
 */
export function childFiscalCode(child: {
  givenName: string;
  familyName: string;
  sex: 'F' | 'M';
  birthDate: string;
  municipalityCode: string;
}): string {
  const [year = '', month = '', day = ''] = child.birthDate.split('-');
  const dayNumber = Number(day) + (child.sex === 'F' ? 40 : 0);
  const first15 = [
    threeLetters(letters(child.familyName)),
    givenNameLetters(letters(child.givenName)),
    year.slice(2),
    MONTHS[Number(month) - 1] ?? '',
    String(dayNumber).padStart(2, '0'),
    child.municipalityCode.toUpperCase(),
  ].join('');
  return `${first15}${checkCharacter(first15)}`;
}
