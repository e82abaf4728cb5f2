import { expect } from 'chai';
import {
  deskCalendar,
  hoursOn,
  localMoment,
  maintenanceAt,
  openState,
  opensOn,
  dayOf,
  romeInstant,
  type DeskCalendar,
} from '../../src/catalog/desk-calendar.ts';
import {
  bodyOfficeSchema,
  maintenanceWindowSchema,
  serviceInputSchema,
  specialDaySchema,
} from '../../src/catalog/model.ts';

const weekdays: DeskCalendar = { weekly: ['Mo-Fr 08:30-12:30', 'Tu,Th 15:00-17:30'], specialDays: [] };
const at = (iso: string) => localMoment(new Date(iso));

describe('desk calendar (open now, on the network clock)', () => {
  it('reads the wall clock in Rome on both sides of the daylight-saving changes', () => {
    // 29 March 2026: 02:00 CET becomes 03:00 CEST.
    expect(at('2026-03-29T00:59:00Z')).to.include({ date: '2026-03-29', minutes: 1 * 60 + 59 });
    expect(at('2026-03-29T01:00:00Z')).to.include({ date: '2026-03-29', minutes: 3 * 60 });
    // 25 October 2026: 03:00 CEST becomes 02:00 CET.
    expect(at('2026-10-25T00:30:00Z')).to.include({ minutes: 2 * 60 + 30 });
    expect(at('2026-10-25T01:30:00Z')).to.include({ minutes: 2 * 60 + 30 });
    expect(at('2026-12-31T23:30:00Z')).to.include({ date: '2027-01-01', weekday: 4 });
  });

  it('turns a wall-clock time in Rome into its instant, in winter and summer', () => {
    expect(romeInstant('2026-01-15', '08:30').toISOString()).to.equal('2026-01-15T07:30:00.000Z');
    expect(romeInstant('2026-07-15', '08:30').toISOString()).to.equal('2026-07-15T06:30:00.000Z');
    expect(romeInstant('2026-03-30', '00:00').toISOString()).to.equal('2026-03-29T22:00:00.000Z');
    // 02:30 on the spring night does not exist: it is read as 03:30 CEST, an hour on.
    expect(romeInstant('2026-03-29', '02:30').toISOString()).to.equal('2026-03-29T01:30:00.000Z');
  });

  it('says open until the closing time, and the desk is open at 08:30 whatever the season', () => {
    // Monday 12 January 2026, 09:00 in Rome (08:00 UTC); Monday 6 July, 08:30 in Rome (06:30 UTC).
    expect(openState(weekdays, at('2026-01-12T08:00:00Z'), 'it')).to.deep.equal({
      open: true,
      closesAt: '12:30',
    });
    expect(openState(weekdays, at('2026-07-06T06:30:00Z'), 'it')).to.deep.equal({
      open: true,
      closesAt: '12:30',
    });
    expect(openState(weekdays, at('2026-07-06T06:29:00Z'), 'it')).to.deep.include({ open: false });
    // The Monday after the spring change: 08:45 CEST is 06:45 UTC.
    expect(openState(weekdays, at('2026-03-30T06:45:00Z'), 'it')).to.deep.equal({
      open: true,
      closesAt: '12:30',
    });
  });

  it('gives the next opening: later today, tomorrow, or after the weekend', () => {
    // Tuesday 13 January 2026, 13:00 in Rome: the afternoon desk opens at 15:00.
    expect(openState(weekdays, at('2026-01-13T12:00:00Z'), 'it')).to.deep.equal({
      open: false,
      next: { date: '2026-01-13', daysAhead: 0, weekday: 1, opensAt: '15:00' },
    });
    // Friday 16 January, 13:00: next Monday at 08:30.
    expect(openState(weekdays, at('2026-01-16T12:00:00Z'), 'it')).to.deep.equal({
      open: false,
      next: { date: '2026-01-19', daysAhead: 3, weekday: 0, opensAt: '08:30' },
    });
  });

  it('keeps Italy’s public holidays closed, naming them, with 4 October from 2026 on', () => {
    // Tuesday 8 December 2026 (Immacolata), 10:00 in Rome.
    const state = openState(weekdays, at('2026-12-08T09:00:00Z'), 'it');
    expect(state).to.deep.include({ open: false, today: { kind: 'holiday', name: 'Immacolata Concezione' } });
    expect(openState(weekdays, at('2026-12-08T09:00:00Z'), 'en')).to.deep.include({
      today: { kind: 'holiday', name: 'Immaculate Conception' },
    });
    // Easter Monday moves: 6 April 2026, 21 April 2025; the Tuesday after keeps both its openings.
    expect(hoursOn(weekdays, dayOf('2026-04-06'), 'it').intervals).to.deep.equal([]);
    expect(hoursOn(weekdays, dayOf('2025-04-21'), 'it').intervals).to.deep.equal([]);
    expect(hoursOn(weekdays, dayOf('2026-04-07'), 'it').intervals).to.have.length(2);
    // 4 October 2027 is a Monday and a national holiday.
    expect(opensOn(weekdays, dayOf('2027-10-04'), 'it')).to.equal(false);
    // The next opening after Christmas Eve's evening skips 25 and 26 December and the weekend.
    expect(openState(weekdays, at('2026-12-24T18:00:00Z'), 'it')).to.deep.include({
      next: { date: '2026-12-28', daysAhead: 4, weekday: 0, opensAt: '08:30' },
    });
  });

  it('closes on the town’s patron day and follows the special days the body declares', () => {
    const prato: DeskCalendar = {
      ...weekdays,
      patronDay: '09-08',
      specialDays: [
        { from: '2026-08-10', to: '2026-08-21', hours: [] },
        { from: '2026-12-24', hours: ['09:00-11:00'] },
        { from: '2026-01-17', hours: ['09:00-12:00'] },
      ],
    };
    expect(openState(prato, at('2026-09-08T08:00:00Z'), 'it')).to.deep.include({ today: { kind: 'patron' } });
    expect(openState(prato, at('2026-08-12T08:00:00Z'), 'it')).to.deep.include({
      today: { kind: 'special' },
      next: { date: '2026-08-24', daysAhead: 12, weekday: 0, opensAt: '08:30' },
    });
    expect(openState(prato, at('2026-12-24T09:30:00Z'), 'it')).to.deep.equal({
      open: true,
      closesAt: '11:00',
    });
    // A Saturday opening, declared: open although the week has no Saturday hours.
    expect(openState(prato, at('2026-01-17T10:00:00Z'), 'it')).to.deep.equal({
      open: true,
      closesAt: '12:00',
    });
  });

  it('joins hours that meet into one stretch, and finds nothing for a desk with no hours', () => {
    const split: DeskCalendar = { weekly: ['Mo-Fr 08:00-13:00', 'Mo-Fr 13:00-18:00'], specialDays: [] };
    expect(openState(split, at('2026-01-12T08:00:00Z'), 'it')).to.deep.equal({
      open: true,
      closesAt: '18:00',
    });
    expect(openState({ weekly: [], specialDays: [] }, at('2026-01-12T08:00:00Z'), 'it')).to.deep.equal({
      open: false,
    });
  });

  it('takes the desk of a service from its body when it has no hours of its own', () => {
    expect(deskCalendar([], undefined)).to.deep.equal({ weekly: [], specialDays: [], patronDay: undefined });
  });

  it('finds the maintenance window under way', () => {
    const windows = [{ from: '2026-12-20T21:00:00Z', to: '2026-12-21T05:00:00Z' }];
    expect(maintenanceAt(windows, new Date('2026-12-20T22:00:00Z'))).to.equal(windows[0]);
    expect(maintenanceAt(windows, new Date('2026-12-21T05:00:00Z'))).to.equal(undefined);
    expect(maintenanceAt(windows, new Date('2026-12-20T20:59:59Z'))).to.equal(undefined);
  });

  it('refuses hostile or impossible calendars', () => {
    for (const bad of [
      { from: '2026-02-30' },
      { from: '2026-12-24', to: '2026-12-23' },
      { from: '2026-01-01', to: '2027-06-01' },
      { from: '2026-12-24', hours: ['12:00-09:00'] },
      { from: '2026-12-24', hours: ['25:00-26:00'] },
      {
        from: '2026-12-24',
        hours: ['09:00-10:00', '10:00-11:00', '11:00-12:00', '12:00-13:00', '13:00-14:00'],
      },
      { from: '2026-12-24', note: 'x' },
    ])
      expect(specialDaySchema.safeParse(bad).success, JSON.stringify(bad)).to.equal(false);
    for (const patronDay of ['13-01', '02-30', '12-26 ', '1226', ''])
      expect(
        bodyOfficeSchema.safeParse({ name: { it: 'Ufficio', en: 'Office' }, address: 'Via 1', patronDay })
          .success,
        patronDay,
      ).to.equal(false);
    expect(
      bodyOfficeSchema.safeParse({ name: { it: 'U', en: 'O' }, address: 'Via 1', patronDay: '02-29' })
        .success,
    ).to.equal(true);
    for (const bad of [
      { from: '2026-12-21T05:00:00Z', to: '2026-12-20T21:00:00Z' },
      { from: '2026-12-01T00:00:00Z', to: '2027-02-01T00:00:00Z' },
      { from: '2026-12-20 22:00', to: '2026-12-21 06:00' },
    ])
      expect(maintenanceWindowSchema.safeParse(bad).success, JSON.stringify(bad)).to.equal(false);
    const hours = serviceInputSchema.shape.availability;
    expect(hours.safeParse({ openingHours: ['Mo-Fr 13:00-08:00'] }).success).to.equal(false);
  });
});
