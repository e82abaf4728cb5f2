/**
 * What the registry tells people, given by the composition root (the mail module sends it): new requests
 * to the network admins, the decision to the body's contact, and the one-time link to a new API
 * credential (never the credential) to the body's contact.
 */
export interface RegistryNotices {
  membershipSubmitted(m: { id: string; name: string; ipaCode: string }): Promise<void>;
  membershipDecided(m: {
    id: string;
    name: string;
    email: string;
    status: 'approved' | 'rejected';
    reason?: string;
  }): Promise<void>;
  credentialIssued(c: {
    clientId: string;
    name: string;
    email: string;
    token: string;
    expiresAt: Date;
  }): Promise<void>;
}
