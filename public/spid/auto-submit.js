// Submits the SAML HTTP-POST form as soon as the page loads; without JavaScript the visible
// "Continue" button does the same. Loaded from a file (no inline script) to fit the nonce CSP.
document.querySelectorAll('form[data-auto-submit]').forEach((form) => form.submit());
