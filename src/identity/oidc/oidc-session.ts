import 'express-session';

// What logout and step-up need of an OpenID Connect login: which provider it was. Never tokens
// (a session is small and holds no credential): RP-initiated logout names the client instead of sending an id_token_hint.
declare module 'express-session' {
  interface SessionData {
    oidc: { provider: string };
  }
}

export {};
