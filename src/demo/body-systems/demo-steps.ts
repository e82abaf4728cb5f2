import { createHash } from 'node:crypto';
import { childFiscalCode } from './child-fiscal-code.ts';

/** What a demo body system receives: the signed delivery's claims the step handlers read. */
export interface DemoDelivery {
  case: string;
  step: string;
  data: Record<string, unknown>;
  inputs: Record<string, string>;
}

/** A demo body's answer to a delivery: the report the gateway records (report.schema.ts). */
export type DemoAnswer =
  { status: 'completed'; outputs: Record<string, string> } | { status: 'rejected'; reason: string };

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/** A number derived from the delivery, so a repeated delivery gets the same answer. */
const serial = (delivery: DemoDelivery, digits: number) =>
  String(
    parseInt(createHash('sha256').update(`${delivery.case}.${delivery.step}`).digest('hex').slice(0, 12), 16),
  )
    .padStart(digits, '0')
    .slice(-digits);

const year = (delivery: DemoDelivery) => text(delivery.data.birthDate).slice(0, 4) || '2026';

/** Names of the demo paediatricians by the codes of the newborn form. */
const PAEDIATRICIANS: Record<string, string> = {
  'ped-po-nord-01': 'Dott.ssa Anna Bellini',
  'ped-po-sud-02': 'Dott. Marco Ciampi',
  'ped-po-est-03': 'Dott.ssa Laura Nesi',
  'ped-vb-01': 'Dott. Paolo Gori',
  'ped-mc-01': 'Dott.ssa Giulia Lastrucci',
};

/**
 * Steps whose body acknowledges the delivery ("accepted") and reports the result later through the
 * gateway's API, as INPS's back office would: the demo shows both ways of reporting.
 */
export const REPORTED_LATER: ReadonlySet<string> = new Set(['newborn.assegno-unico', 'newborn.birth-bonus']);

/** Steps that need the child's fiscal code refuse a delivery without it (a body checks its inputs). */
function needsChildFiscalCode(delivery: DemoDelivery): DemoAnswer | undefined {
  return delivery.inputs['birth-registration.childFiscalCode']
    ? undefined
    : {
        status: 'rejected',
        reason: "Manca il codice fiscale del bambino / the child's fiscal code is missing",
      };
}

/**
 * The newborn bundle's steps as the demo body systems handle them: the Comune registers the birth and
 * issues the child's fiscal code; the health authority enrols the child with the chosen paediatrician;
 * INPS files the Assegno Unico and the birth bonus; the Comune files the nursery application.
 */
export const DEMO_STEPS: Record<string, (delivery: DemoDelivery) => DemoAnswer> = {
  'newborn.birth-registration': (delivery) => {
    const sex = text(delivery.data.childSex);
    const birthDate = text(delivery.data.birthDate);
    if (
      !text(delivery.data.childGivenName) ||
      !text(delivery.data.childFamilyName) ||
      !/^\d{4}-\d{2}-\d{2}$/.test(birthDate)
    )
      return { status: 'rejected', reason: 'Dati del bambino incompleti / incomplete data about the child' };
    return {
      status: 'completed',
      outputs: {
        childFiscalCode: childFiscalCode({
          givenName: text(delivery.data.childGivenName),
          familyName: text(delivery.data.childFamilyName),
          sex: sex === 'F' ? 'F' : 'M',
          birthDate: text(delivery.data.birthDate),
          municipalityCode: text(delivery.data.birthMunicipality) || 'G999',
        }),
        birthRecord: `Atto n. ${Number(serial(delivery, 3))}, parte I, serie A, anno ${year(delivery)}`,
      },
    };
  },
  'newborn.health-enrolment': (delivery) =>
    needsChildFiscalCode(delivery) ?? {
      status: 'completed',
      outputs: { paediatrician: PAEDIATRICIANS[text(delivery.data.paediatrician)] ?? 'Pediatra di turno' },
    },
  'newborn.assegno-unico': (delivery) =>
    needsChildFiscalCode(delivery) ?? {
      status: 'completed',
      outputs: { applicationNumber: `INPS-AUU-${year(delivery)}-${serial(delivery, 9)}` },
    },
  'newborn.birth-bonus': (delivery) =>
    needsChildFiscalCode(delivery) ?? {
      status: 'completed',
      outputs: { applicationNumber: `INPS-BNN-${year(delivery)}-${serial(delivery, 9)}` },
    },
  'newborn.nursery-enrolment': (delivery) =>
    needsChildFiscalCode(delivery) ?? {
      status: 'completed',
      outputs: { applicationNumber: `NIDO-${year(delivery)}-${serial(delivery, 6)}` },
    },
};
