// An independent TUF client for the interoperability test: tuf-js's Updater
// refreshes the metadata of an upkeep repository and downloads one target.
//
// usage: node tuf_js_client.mjs METADATA_DIR METADATA_URL TARGETS_URL TARGET_PATH OUTPUT_DIR
//
// METADATA_DIR must hold the trusted root as root.json (tuf-js's name); the
// refreshed metadata is saved there under plain names. tuf-js itself is found
// through NODE_PATH (scripts/setup.sh installs it under build/interop/).
// Prints one line per fact ("trusted targets version 2", "custom {...}",
// "downloaded PATH to FILE (N bytes)"), exits 0 on success and 1 on any
// failure, with tuf-js's error on stderr.
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';

// tuf-js is CommonJS; require() honours NODE_PATH where an ES import would not.
const require = createRequire(import.meta.url);

// tuf-js takes key ids as given (so does upkeep's client); the spec (4.2) tells a repository to make
// each the SHA-256 of the key's canonical JSON, which is what upkeep's publisher does. Reports which.
function checkKeyIds(rootText) {
  const { canonicalize } = require('@tufjs/canonical-json');
  const keys = Object.entries(JSON.parse(rootText).signed.keys);
  const other = keys.filter(([keyid, key]) => keyid !== crypto.createHash('sha256').update(canonicalize(key)).digest('hex'));
  if (other.length === 0) console.log(`root key ids match their keys (${keys.length} keys)`);
  else console.log(`root key ids not the SHA-256 of their key: ${other.length} of ${keys.length} keys`);
}

async function main(argv) {
  if (argv.length !== 5) {
    throw new Error('usage: tuf_js_client.mjs METADATA_DIR METADATA_URL TARGETS_URL TARGET_PATH OUTPUT_DIR');
  }
  const [metadataDir, metadataBaseUrl, targetBaseUrl, targetPath, targetDir] = argv;
  const { Updater } = require('tuf-js');
  fs.mkdirSync(targetDir, { recursive: true });

  // No retries: a refused file must fail at once, not after back-off delays.
  const updater = new Updater({ metadataDir, metadataBaseUrl, targetDir, targetBaseUrl, config: { fetchRetry: 0 } });
  await updater.refresh();
  // trustedSet is internal to tuf-js (TypeScript-private) but the only place its verified versions are kept.
  const trusted = updater.trustedSet;
  for (const role of ['root', 'timestamp', 'snapshot', 'targets']) {
    console.log(`trusted ${role} version ${trusted[role].signed.version}`);
  }
  checkKeyIds(fs.readFileSync(`${metadataDir}/root.json`, 'utf8'));

  const info = await updater.getTargetInfo(targetPath);
  if (!info) throw new Error(`target ${targetPath} is not listed in the repository's targets metadata`);
  const hashes = Object.entries(info.hashes).map(([alg, hex]) => `${alg} ${hex}`).join(', ');
  console.log(`target ${info.path} length ${info.length} ${hashes}`);
  // The release facts as tuf-js parsed them, so the caller can compare field by field.
  console.log(`custom ${JSON.stringify(info.custom ?? {})}`);

  const cached = await updater.findCachedTarget(info);
  if (cached) {
    console.log(`cached ${info.path} at ${cached}`);
    return;
  }
  const file = await updater.downloadTarget(info);
  console.log(`downloaded ${info.path} to ${file} (${fs.statSync(file).size} bytes)`);
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  console.error(`tuf-js: ${error?.constructor?.name ?? 'Error'}: ${error?.message ?? error}`);
  process.exitCode = 1;
}
