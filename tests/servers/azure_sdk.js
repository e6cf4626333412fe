// tests/servers/azure_sdk.js - Microsoft's @azure/storage-blob SDK as an
// independent client for the tests (AZ_ENDPOINT, AZ_ACCOUNT, AZ_KEY):
//   mk C            create container C
//   ls C [PREFIX]   one "name size" line per blob
//   get C BLOB      blob content to stdout
//   tier C BLOB     the blob's access tier
//   put C BLOB FILE upload FILE as BLOB (over what is there)
'use strict';
const path = require('path');
// The SDK's UUIDs come from globalThis.crypto.randomUUID, a global from
// Node 19 on; Debian 12's Node 18 has the same Web Crypto object only as
// require('crypto').webcrypto.  Provide it before the SDK loads.
if (globalThis.crypto === undefined)
  globalThis.crypto = require('crypto').webcrypto;
const { BlobServiceClient, StorageSharedKeyCredential } = require(
    path.join(__dirname, '..', 'node', 'node_modules', '@azure/storage-blob'));

const cred = new StorageSharedKeyCredential(process.env.AZ_ACCOUNT,
    process.env.AZ_KEY);
const svc = new BlobServiceClient(process.env.AZ_ENDPOINT, cred);
const [cmd, container, arg, file] = process.argv.slice(2);

(async () => {
  const c = svc.getContainerClient(container);
  if (cmd === 'mk') {
    await c.create();
  } else if (cmd === 'ls') {
    for await (const b of c.listBlobsFlat({ prefix: arg || '' }))
      console.log(`${b.name} ${b.properties.contentLength}`);
  } else if (cmd === 'get') {
    const buf = await c.getBlobClient(arg).downloadToBuffer();
    process.stdout.write(buf);
  } else if (cmd === 'put') {
    await c.getBlockBlobClient(arg).uploadFile(file);
  } else if (cmd === 'tier') {
    const p = await c.getBlobClient(arg).getProperties();
    console.log(p.accessTier);
  } else {
    throw new Error('unknown command ' + cmd);
  }
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
