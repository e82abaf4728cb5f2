import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import {
  anomalyOf,
  IDP_ANOMALIES,
  REJECTIONS,
  SpidResponseError,
  type RejectionCode,
} from '../../src/identity/spid/spid-errors.ts';

const locale = (lang: string) =>
  JSON.parse(readFileSync(`locales/${lang}.json`, 'utf8')) as { spid: { errors: Record<string, string> } };

describe('SPID rejections', () => {
  it('reads the SPID anomaly code of a StatusMessage', () => {
    expect(anomalyOf('ErrorCode nr19')).to.equal('nr19');
    expect(anomalyOf('ErrorCode nr25 - Autenticazione annullata')).to.equal('nr25');
    expect(anomalyOf('errorcode NR22')).to.equal('nr22');
    expect(anomalyOf('ErrorCode nr99')).to.equal(undefined);
    expect(anomalyOf(undefined)).to.equal(undefined);
  });

  it('is always a 4xx with a message in Italian and English for every code and anomaly', () => {
    const messages = [locale('it').spid.errors, locale('en').spid.errors];
    for (const code of Object.keys(REJECTIONS) as RejectionCode[]) {
      const error = new SpidResponseError(code);
      expect(error.status, code).to.be.within(400, 499);
      for (const m of messages)
        expect(m[error.messageKey], `${code} → ${error.messageKey}`).to.be.a('string');
    }
    for (const anomaly of IDP_ANOMALIES) {
      const error = new SpidResponseError('spid_idp_error', anomaly);
      expect(error.code).to.equal(`spid_idp_${anomaly}`);
      expect(error.status).to.equal(401);
      for (const m of messages) expect(m[anomaly], anomaly).to.be.a('string').and.not.equal('');
    }
  });
});
