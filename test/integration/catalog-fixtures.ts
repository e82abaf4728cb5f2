/** Bodies and services for catalog tests (valid by the model; each test varies what it needs). */
export const testBody = (ipaCode: string, domain: string) => ({
  ipaCode,
  name: { it: `Ente ${ipaCode}`, en: `Body ${ipaCode}` },
  kind: 'municipality' as const,
  territory: 'Prato',
  contacts: { email: `urp@${domain}`, website: `https://${domain}` },
  domains: [domain],
});

export const testService = (domain: string, title = 'Servizio di prova') => ({
  title: { it: title, en: 'Test service' },
  description: { it: 'Descrizione del servizio di prova.', en: 'Description of the test service.' },
  topics: ['civil-registry'],
  lifeEvents: ['birth'],
  audience: ['citizens'],
  channels: ['online'],
  requiredLevel: 'L2',
  deepLink: { url: `https://${domain}/servizio` },
  integration: 'link',
  infoSheet: {
    whoCanApply: { it: 'Tutti.', en: 'Everyone.' },
    documents: { it: 'Nessuno.', en: 'None.' },
    costs: { it: 'Gratuito.', en: 'Free.' },
    times: { it: 'Subito.', en: 'At once.' },
  },
});
