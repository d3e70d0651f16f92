// One mocha run over every workspace's compiled tests (`tsc -b` builds them; see `npm test`).
module.exports = {

  reporter: './scripts/mocha-reporter.cjs',
  timeout: 20000,
  slow: 1000,
  exit: true,
  'enable-source-maps': true,
};
