/**
 * oidc-provider writes its notices with console.warn and console.info and offers no switch for them
 * (its maintainer's answer: https://github.com/panva/node-oidc-provider/issues/305). In the test
 * process, drop the ones that are expected here so they do not bury mocha's report: the Node.js 20
 * runtime (package.json's engines), and the in-memory adapter the demo and test providers use on
 * purpose (src/demo/oidc-op/demo-op.ts). Every other notice still shows.
 */
const EXPECTED = [
  'oidc-provider WARNING: Unsupported runtime.',
  'oidc-provider WARNING: a quick start development-only in-memory adapter is used',
];

for (const level of ['warn', 'info'] as const) {
  // eslint-disable-next-line no-console -- the library's only output channel is the console
  const write = console[level].bind(console);
  // eslint-disable-next-line no-console -- the same: filtered here, for the test process only
  console[level] = (...args: unknown[]) => {
    const text = typeof args[0] === 'string' ? args[0] : '';
    if (!EXPECTED.some((notice) => text.includes(notice))) write(...args);
  };
}
