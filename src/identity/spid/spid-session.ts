import 'express-session';

// What Single Logout needs of a SPID login (SPID technical rules, LogoutRequest: NameID with its
// NameQualifier, and SessionIndex). Identifiers only, never the assertion.
declare module 'express-session' {
  interface SessionData {
    spid: { idp: string; nameId: string; nameQualifier: string; sessionIndex: string };
  }
}

export {};
