import type { UrpDesk } from '../participation/urp/urp.service.ts';

/** The demo URP operator: Giuseppe Verdi of the demo SPID IdP (spid-idp/identities.ts). */
export const DEMO_URP_OPERATOR = 'VRDGPP70T10G999S';
/** The demo answerer of the Comune di Prato: Laura Bianchi of the demo SPID IdP. */
export const DEMO_URP_ANSWERER = 'BNCLRA85M41G999K';
export const DEMO_URP_BODY = 'c_g999';
/** Who wrote the demo requests: Mario Rossi of the demo SPID IdP. */
export const DEMO_URP_REQUESTER = 'RSSMRA80A01G999F';

/**
 * Names the demo URP operator and the Comune di Prato's demo answerer, and files a few requests of
 * Mario Rossi's — one waiting for the URP, one passed on to the Comune and answered, one closed, a
 * suggestion to the library published with its answer — once
 * (a requester who already has requests is left alone), so the desk can be tried with `npm start`.
 */
export async function seedDemoUrp(desk: UrpDesk): Promise<number> {
  await desk.people.operators.add(DEMO_URP_OPERATOR);
  await desk.people.answerers.add(DEMO_URP_BODY, DEMO_URP_ANSWERER);
  if ((await desk.people.citizenRequests.list(DEMO_URP_REQUESTER)).length > 0) return 0;
  const operator = { role: 'urp' as const, fiscalCode: DEMO_URP_OPERATOR };
  const answerer = { role: 'body' as const, fiscalCode: DEMO_URP_ANSWERER, body: DEMO_URP_BODY };

  await desk.fileForCitizen(
    DEMO_URP_REQUESTER,
    {
      kind: 'report',
      topic: 'roads',
      body: 'unknown',
      text: "Il lampione all'angolo tra via Roma e via Cairoli è spento da una settimana: la sera l'incrocio è buio.",
      address: 'Via Roma angolo via Cairoli, Prato',
      lat: 43.8777,
      lon: 11.1022,
    },
    'it',
  );
  const complaint = await desk.fileForCitizen(
    DEMO_URP_REQUESTER,
    {
      kind: 'complaint',
      topic: 'waste',
      body: 'unknown',
      text: 'Il ritiro del porta a porta in via Pistoiese è saltato due volte questo mese.',
    },
    'it',
  );
  const routed = await desk.route(complaint, operator, DEMO_URP_BODY);
  await desk.note(routed, operator, 'Sentire il gestore del servizio rifiuti prima di rispondere.');
  await desk.answer(
    routed,
    answerer,
    'Abbiamo segnalato i due mancati ritiri al gestore, che ha recuperato il servizio. Ci scusiamo per il disagio.',
  );
  const question = await desk.fileForCitizen(
    DEMO_URP_REQUESTER,
    {
      kind: 'information',
      topic: 'registry',
      body: DEMO_URP_BODY,
      text: "Per rinnovare la carta d'identità serve l'appuntamento anche se è scaduta?",
    },
    'it',
  );
  const answered = await desk.answer(
    question,
    operator,
    "Sì: la carta d'identità elettronica si rinnova su appuntamento, anche quando è scaduta. Trova le date libere nella scheda del servizio.",
  );
  await desk.close(answered, operator);
  const suggestion = await desk.fileForCitizen(
    DEMO_URP_REQUESTER,
    {
      kind: 'suggestion',
      topic: 'culture',
      body: 'demo_lazzerini',
      text: 'Sarebbe utile tenere aperta la biblioteca anche la domenica pomeriggio, almeno in inverno.',
      publish: 'yes',
    },
    'it',
  );
  await desk.publish(suggestion, operator, {
    text: 'Aprire la biblioteca anche la domenica pomeriggio, almeno nei mesi invernali.',
    answer: "La biblioteca proverà l'apertura domenicale dalle 15 alle 19 da gennaio a marzo.",
  });
  return 4;
}
