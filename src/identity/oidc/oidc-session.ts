import 'express-session';

// What logout and step-up need of an OpenID Connect login: which provider it was. Never tokens
// (STYLE.md, habit 8): RP-initiated logout names the client instead of sending an id_token_hint.
declare module 'express-session' {
  interface SessionData {
    oidc: { provider: string };
  }
}

export {};
