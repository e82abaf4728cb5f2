import { AppError } from '../../platform/errors.ts';

/**
 * Why a SPID Response was refused, each with its HTTP status and the locale key (spid.errors.*) of the
 * message the citizen reads. Codes are stable: logs and tests use them.
 */
export const REJECTIONS = {
  spid_response_malformed: [400, 'invalid'],
  spid_response_structure: [400, 'invalid'],
  spid_version: [400, 'invalid'],
  spid_issue_instant: [400, 'invalid'],
  spid_destination: [400, 'invalid'],
  spid_unknown_request: [400, 'expired'],
  spid_relay_state: [400, 'invalid'],
  spid_browser: [403, 'otherBrowser'],
  spid_issuer: [403, 'untrusted'],
  spid_signature: [403, 'untrusted'],
  spid_name_id: [400, 'invalid'],
  spid_subject_confirmation: [400, 'invalid'],
  spid_conditions: [400, 'invalid'],
  spid_audience: [400, 'invalid'],
  spid_authn_context: [403, 'level'],
  spid_attributes: [400, 'attributes'],
  spid_fiscal_code: [400, 'attributes'],
  spid_idp_error: [401, 'idpError'],
} as const satisfies Record<string, readonly [number, string]>;

export type RejectionCode = keyof typeof REJECTIONS;

/**
 * The anomaly codes an IdP returns in StatusMessage ("ErrorCode nr19" …) that the citizen must be told
 * about with the messages AgID prescribes (Regole tecniche SPID, "Tabella messaggi di anomalia"; nr30:
 * AgID Avviso SPID n.40 on identities of a type the SP does not accept).
 */
export const IDP_ANOMALIES = ['nr19', 'nr20', 'nr21', 'nr22', 'nr23', 'nr25', 'nr30'] as const;
export type IdpAnomaly = (typeof IDP_ANOMALIES)[number];

/** Anomalies that are the citizen's own choice, headed as such rather than as a failure. */
const CHOICE_TITLES: Partial<Record<IdpAnomaly, string>> = { nr22: 'declinedTitle', nr25: 'cancelledTitle' };

export class SpidResponseError extends AppError {
  readonly messageKey: string;

  constructor(
    code: RejectionCode,
    readonly anomaly?: IdpAnomaly,
  ) {
    const [status, key] = REJECTIONS[code];
    const messageKey = anomaly ?? key;
    super(status, anomaly ? `spid_idp_${anomaly}` : code, undefined, {
      page: {
        titleKey: `spid.errors.${(anomaly && CHOICE_TITLES[anomaly]) ?? 'title'}`,
        messageKey: `spid.errors.${messageKey}`,
        action: { href: '/login?retry=1', labelKey: 'spid.errors.tryAgain' },
      },
    });
    this.messageKey = messageKey;
  }
}

/** The anomaly code in a StatusMessage such as "ErrorCode nr22". */
export function anomalyOf(statusMessage: string | undefined): IdpAnomaly | undefined {
  const found = /ErrorCode\s+(nr\d+)/i.exec(statusMessage ?? '')?.[1]?.toLowerCase();
  return IDP_ANOMALIES.find((code) => code === found);
}
