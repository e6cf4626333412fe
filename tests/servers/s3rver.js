// tests/servers/s3rver.js - start @20minutes/s3rver 4.0.4 for the tests.
//
//   node --openssl-legacy-provider s3rver.js PORT DIR BUCKET AK SK [KEY CERT]
//
// Path-style only (vhostBuckets: false), signatures verified
// (allowMismatchedSignatures: false), one extra key pair AK/SK, the bucket
// created up front, extra pairs from S3_EXTRA_KEYS; HTTPS when KEY and
// CERT are given.  Prints "ready" once listening.  SIGTERM stops it.
'use strict';
const path = require('path');
const fs = require('fs');
const mods = path.join(__dirname, '..', 'node', 'node_modules');
// s3rver 4.0.4 escapes element text itself (he.escape) and lets
// fast-xml-parser escape it again, so a key holding '&' or '\'' comes out
// as "&amp;amp;" / "&amp;#x27;" in listings, which real S3 never sends.
// Turn the builder's own pass off before s3rver loads it.
const fxpPath = require.resolve('fast-xml-parser',
    { paths: [path.join(mods, '@20minutes/s3rver')] });
const fxp = require(fxpPath);
const Builder = fxp.XMLBuilder;
require.cache[fxpPath].exports = {
  ...fxp,
  XMLBuilder: class extends Builder {
    constructor(o) { super({ ...o, processEntities: false }); }
  },
};
const S3rver = require(path.join(mods, '@20minutes/s3rver'));
const account = require(path.join(mods,
    '@20minutes/s3rver/lib/models/account'));

const [port, dir, bucket, ak, sk, key, cert] = process.argv.slice(2);
account.DUMMY_ACCOUNT.createKeyPair(ak, sk);
// More pairs from the environment (never argv): S3_EXTRA_KEYS="AK:SK,...",
// what the instance-metadata stand-in hands out.  s3rver verifies the
// signature with the pair and ignores x-amz-security-token's value.
for (const kv of (process.env.S3_EXTRA_KEYS || '').split(',')) {
  const i = kv.indexOf(':');
  if (i > 0) account.DUMMY_ACCOUNT.createKeyPair(kv.slice(0, i), kv.slice(i + 1));
}
const opts = {
  address: '127.0.0.1', port: Number(port), directory: dir, silent: true,
  vhostBuckets: false, allowMismatchedSignatures: false,
  configureBuckets: [{ name: bucket }],
};
if (key && cert) {
  opts.key = fs.readFileSync(key);
  opts.cert = fs.readFileSync(cert);
}
const server = new S3rver(opts);
server.run().then(() => console.log('ready'), (e) => {
  console.error(e);
  process.exit(1);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
