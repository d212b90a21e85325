// Checks credentials issued by `pcf` with tools nobody on the project wrote: Digital Bazaar's
// VC stack (`@digitalbazaar/vc` verifyCredential with an eddsa-jcs-2022 DataIntegrityProof suite),
// JSON-LD expansion in safe mode (`jsonld`), and a JOSE check (`jose`) for enveloped vc+jwt
// credentials. Everything is offline: the document loader serves only the contexts bundled in the
// npm packages, the pcf context file given with --context, and did:key documents (computed, not
// fetched); it throws on any other URL.
//
// Usage: node check.mjs --dir DIR [--context FILE] [--context-url URL] [--generation FILE]
//   DIR holds the credentials in subfolders named by kind: declaration/, approval/, revocation/,
//   passport/, bundle/ (any *.json below them). FILE (--generation) is a tab-separated list of
//   "STATUS<TAB>NAME<TAB>REASON" lines written by scripts/interop while producing the credentials;
//   they are counted in the summary.
// Exit status: 0 when every check that should pass passes and every tampered copy fails; 1 else.

import fs from 'node:fs';
import path from 'node:path';

import * as vc from '@digitalbazaar/vc';
import jsigs from 'jsonld-signatures';
import jsonld from 'jsonld';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {driver as didKeyDriverFactory} from '@digitalbazaar/did-method-key';
import {contexts as credentialsContexts} from '@digitalbazaar/credentials-context';
import dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import multikeyContext from '@digitalbazaar/multikey-context';
import didContext from 'did-context';
import * as jose from 'jose';

const PCF_CONTEXT_URL_DEFAULT = 'https://pcf-engine.github.io/pcf/contexts/v1.jsonld';
const UNDEFINED_TERMS_URL = 'https://www.w3.org/ns/credentials/undefined-terms/v2';

// ---------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const args = {dir: null, context: null, contextUrl: PCF_CONTEXT_URL_DEFAULT, generation: null};
  for(let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if(i + 1 >= argv.length) {
        throw new Error(`${a} needs a value`);
      }
      return argv[++i];
    };
    if(a === '--dir') {
      args.dir = next();
    } else if(a === '--context') {
      args.context = next();
    } else if(a === '--context-url') {
      args.contextUrl = next();
    } else if(a === '--generation') {
      args.generation = next();
    } else {
      throw new Error(`unknown argument ${a}`);
    }
  }
  if(!args.dir) {
    throw new Error('--dir is required');
  }
  return args;
}

// ---------------------------------------------------------------------------------------------
// Offline document loader

const didKeyDriver = didKeyDriverFactory();
didKeyDriver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});

const localDocuments = new Map();
for(const [url, doc] of credentialsContexts) {
  localDocuments.set(url, doc);
}
for(const [url, doc] of dataIntegrityContext.contexts) {
  localDocuments.set(url, doc);
}
for(const [url, doc] of multikeyContext.contexts) {
  localDocuments.set(url, doc);
}
for(const [url, doc] of didContext.contexts) {
  localDocuments.set(url, doc);
}

// Every URL the loader refused, so that the report can name them.
const refusedUrls = new Set();

async function documentLoader(url) {
  if(localDocuments.has(url)) {
    return {contextUrl: null, documentUrl: url, document: structuredClone(localDocuments.get(url))};
  }
  if(url.startsWith('did:key:')) {
    // Computed from the DID itself: nothing is fetched.
    const document = await didKeyDriver.get({url});
    return {contextUrl: null, documentUrl: url, document};
  }
  refusedUrls.add(url);
  throw new Error(`offline document loader: no local document for "${url}" (refused)`);
}

// ---------------------------------------------------------------------------------------------
// Reporting

const results = []; // {status: 'PASS'|'FAIL'|'SKIP'|'INFO', subject, check, reason, details}
const reasonIndex = new Map(); // distinct failure reason -> Set of subjects

function report(status, subject, check, reason = '', details = []) {
  results.push({status, subject, check, reason, details});
  const line = `${status.padEnd(4)}  ${subject}  ${check}${reason ? ': ' + reason : ''}`;
  console.log(line);
  for(const d of details) {
    console.log(`        ${d}`);
  }
  if(status === 'FAIL') {
    const keys = details.length > 0 ? details.map(d => `${check}: ${d}`) : [`${check}: ${reason}`];
    for(const k of keys) {
      const generic = genericReason(k);
      if(!reasonIndex.has(generic)) {
        reasonIndex.set(generic, new Set());
      }
      reasonIndex.get(generic).add(subject);
    }
  }
}

// Replaces values that differ between credentials (UUIDs, digests, DIDs, times) so that the same
// failure in several credentials is counted once in the list of distinct reasons.
function genericReason(text) {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/sha256:[0-9a-f]{64}/g, 'sha256:<digest>')
    .replace(/did:key:z[1-9A-HJ-NP-Za-km-z]+(#z[1-9A-HJ-NP-Za-km-z]+)?/g, 'did:key:<key>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>');
}

function errorText(e) {
  if(!e) {
    return 'unknown error';
  }
  if(Array.isArray(e)) {
    return e.map(errorText).join('; ');
  }
  let text = e.message || String(e);
  if(e.details && e.details.event) {
    text += ` (${e.details.event.code})`;
  }
  if(e.cause && e.cause.message && !text.includes(e.cause.message)) {
    text += ` (cause: ${e.cause.message})`;
  }
  return text.replace(/\s+/g, ' ');
}

// The reason a vc.verifyCredential / jsigs.verify result is not verified.
function verifyResultReason(result) {
  const reasons = [];
  if(result.error) {
    const errs = result.error.errors || [result.error];
    for(const e of errs) {
      reasons.push(errorText(e));
    }
  }
  for(const r of result.results || []) {
    if(!r.verified && r.error) {
      const t = errorText(r.error);
      if(!reasons.includes(t)) {
        reasons.push(t);
      }
    }
    if(r.purposeResult && !r.purposeResult.valid && r.purposeResult.error) {
      const t = 'proof purpose: ' + errorText(r.purposeResult.error);
      if(!reasons.includes(t)) {
        reasons.push(t);
      }
    }
  }
  if(result.statusResult && !result.statusResult.verified) {
    reasons.push('status check: ' + errorText(result.statusResult.error));
  }
  return reasons.length > 0 ? reasons.join('; ') : 'not verified (no error given)';
}

// ---------------------------------------------------------------------------------------------
// JSON paths, to say where a term or IRI sits in the document

function listPaths(paths, max = 4) {
  const unique = [...new Set(paths)];
  if(unique.length === 0) {
    return '(path not found)';
  }
  const shown = unique.slice(0, max).join(', ');
  return unique.length > max ? `${shown}, ... (${unique.length} places)` : shown;
}

// ---------------------------------------------------------------------------------------------
// JSON-LD expansion in safe mode

// Expansion events (warnings the processor raises; safe mode turns each into an error).
async function expansionEvents(doc) {
  const events = [];
  let error = null;
  try {
    await jsonld.expand(structuredClone(doc), {
      documentLoader,
      eventHandler: ({event, next}) => {
        events.push(event);
        next();
      }
    });
  } catch(e) {
    error = e;
  }
  return {events, error};
}

function deleteAt(doc, pathParts) {
  const copy = structuredClone(doc);
  let o = copy;
  for(const p of pathParts.slice(0, -1)) {
    o = o[p];
  }
  const last = pathParts[pathParts.length - 1];
  if(Array.isArray(o)) {
    o.splice(last, 1);
  } else {
    delete o[last];
  }
  return copy;
}

function eventKey(ev) {
  const d = ev.details || {};
  return `${ev.code}|${d.property ?? d.id ?? d.type ?? JSON.stringify(d)}`;
}

// The places in the document that raise an event: of the candidate paths (every place with the
// same key or value), those whose removal makes the processor raise that event fewer times.
async function eventPaths(doc, ev, baseline, candidates) {
  const key = eventKey(ev);
  const count = evs => evs.filter(e => eventKey(e) === key).length;
  const before = count(baseline);
  const real = [];
  for(const parts of candidates) {
    const {events} = await expansionEvents(deleteAt(doc, parts));
    if(count(events) < before) {
      real.push(pathText(parts));
    }
  }
  return real.length > 0 ? real : candidates.map(pathText);
}

// Candidate paths as arrays of keys/indexes.
function findPathParts(doc, predicate, base = [], out = []) {
  if(Array.isArray(doc)) {
    doc.forEach((v, i) => {
      if(predicate(i, v)) {
        out.push([...base, i]);
      }
      findPathParts(v, predicate, [...base, i], out);
    });
  } else if(doc && typeof doc === 'object') {
    for(const [k, v] of Object.entries(doc)) {
      if(k === '@context') {
        continue;
      }
      if(predicate(k, v)) {
        out.push([...base, k]);
      }
      findPathParts(v, predicate, [...base, k], out);
    }
  }
  return out;
}

// Expands twice: once collecting every event the processor raises (so that all undefined terms
// and relative IRIs are named, not only the first, each with where it is), once with
// `safe: true` (the verdict).
async function checkExpansion(subject, doc, check = 'expand-safe') {
  const {events, error: collectError} = await expansionEvents(doc);
  let safeError = null;
  try {
    await jsonld.expand(structuredClone(doc), {documentLoader, safe: true});
  } catch(e) {
    safeError = e;
  }
  if(!safeError && events.length === 0 && !collectError) {
    report('PASS', subject, check);
    return true;
  }
  const details = [];
  const counts = {};
  const seen = new Set();
  for(const ev of events) {
    const d = ev.details || {};
    let line;
    if(ev.code === 'invalid property') {
      const paths = await eventPaths(doc, ev, events,
        findPathParts(doc, k => k === d.property));
      line = `undefined term "${d.property}" at ${listPaths(paths)}` +
        (d.expandedProperty && d.expandedProperty !== d.property ?
          ` (expands to relative "${d.expandedProperty}")` : '');
      counts['undefined term'] = (counts['undefined term'] || 0) + 1;
    } else if(ev.code === 'relative @id reference') {
      const paths = await eventPaths(doc, ev, events, findPathParts(doc, (k, v) =>
        typeof v === 'string' && v === d.id));
      line = `relative @id "${d.id}" at ${listPaths(paths)}`;
      counts['relative @id'] = (counts['relative @id'] || 0) + 1;
    } else if(ev.code === 'relative @type reference') {
      const paths = await eventPaths(doc, ev, events, findPathParts(doc, (k, v) =>
        typeof v === 'string' && v === d.type));
      line = `relative @type "${d.type}" at ${listPaths(paths)}`;
      counts['relative @type'] = (counts['relative @type'] || 0) + 1;
    } else {
      line = `${ev.code}: ${ev.message} ${JSON.stringify(d)}`;
      counts[ev.code] = (counts[ev.code] || 0) + 1;
    }
    if(!seen.has(line)) {
      seen.add(line);
      details.push(line);
    }
  }
  // What hides behind the undefined terms: the processor drops an undefined term's value without
  // looking into it, so expand once more with every undefined term mapped to a vocabulary
  // (Digital Bazaar's undefined-terms context) to name the relative IRIs nested in them now,
  // not one round of fixes later.
  if(events.some(ev => ev.code === 'invalid property')) {
    const deep = structuredClone(doc);
    deep['@context'] = [].concat(deep['@context'] || [], UNDEFINED_TERMS_URL);
    const {events: deepEvents} = await expansionEvents(deep);
    const known = new Set(events.map(eventKey));
    for(const ev of deepEvents) {
      if(known.has(eventKey(ev))) {
        continue;
      }
      known.add(eventKey(ev));
      const d = ev.details || {};
      let what;
      let value;
      if(ev.code === 'relative @id reference') {
        what = 'relative @id';
        value = d.id;
      } else if(ev.code === 'relative @type reference') {
        what = 'relative @type';
        value = d.type;
      } else {
        continue;
      }
      const paths = await eventPaths(deep, ev, deepEvents, findPathParts(deep, (k, v) =>
        typeof v === 'string' && v === value));
      details.push(`behind an undefined term: ${what} "${value}" at ${listPaths(paths)}`);
    }
  }
  if(collectError) {
    details.push(`expansion error: ${errorText(collectError)}`);
  }
  if(safeError && events.length === 0 && !collectError) {
    details.push(`safe mode: ${errorText(safeError)}`);
  }
  const summary = Object.entries(counts).map(([k, n]) => `${n} ${k}${n > 1 ? 's' : ''}`);
  if(collectError) {
    summary.push('expansion error');
  }
  if(summary.length === 0) {
    summary.push('safe mode rejected the document');
  }
  if(!safeError && (events.length > 0 || collectError)) {
    summary.push('(jsonld did not throw in safe mode; events raised without it)');
  }
  report('FAIL', subject, check, summary.join(', '), details);
  return false;
}

// ---------------------------------------------------------------------------------------------
// Data Integrity credentials (eddsa-jcs-2022)

function verifySuite() {
  return new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()});
}

async function checkStatus() {
  // pcf's credentials carry no credentialStatus today; a status list would have to be served
  // locally. Report it instead of guessing.
  return {verified: false, error: new Error('credentialStatus present: no offline status check')};
}

// The signature and proof purpose alone (jsonld-signatures), without the VC data model checks
// that vc.verifyCredential runs first: tells a bad signature from a data model rejection.
async function signatureOnly(credential) {
  return jsigs.verify(structuredClone(credential), {
    suite: verifySuite(),
    purpose: new vc.CredentialIssuancePurpose(),
    documentLoader
  });
}

async function verifyCredentialFull(credential) {
  return vc.verifyCredential({
    credential: structuredClone(credential),
    suite: verifySuite(),
    documentLoader,
    checkStatus
  });
}

// The deepest leaf value in credentialSubject (first such leaf, in document order).
function deepestLeaf(obj, pathParts = []) {
  let best = null;
  const visit = (v, parts) => {
    if(v !== null && typeof v === 'object') {
      const entries = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
      for(const [k, x] of entries) {
        visit(x, [...parts, k]);
      }
      return;
    }
    if(parts.length > 0 && parts[parts.length - 1] === 'id') {
      return; // ids are checked by other means; tamper with a claim
    }
    if(!best || parts.length > best.parts.length) {
      best = {parts, value: v};
    }
  };
  visit(obj, pathParts);
  return best;
}

function setAt(obj, parts, value) {
  let o = obj;
  for(const p of parts.slice(0, -1)) {
    o = o[p];
  }
  o[parts[parts.length - 1]] = value;
}

function tamperedValue(v) {
  if(typeof v === 'string') {
    // Change one character, keeping the kind of value (a digit stays a digit).
    // The last digit, if any (a figure or a digest changes; a prefix such as sha256 does not).
    const i = v.search(/[0-9][^0-9]*$/);
    if(i >= 0) {
      return v.slice(0, i) + String((Number(v[i]) + 1) % 10) + v.slice(i + 1);
    }
    return v + 'x';
  }
  if(typeof v === 'number') {
    return v + 1;
  }
  if(typeof v === 'boolean') {
    return !v;
  }
  return 'tampered';
}

function short(v) {
  const t = JSON.stringify(v);
  return t.length > 40 ? t.slice(0, 18) + '...' + t.slice(-18) : t;
}

function pathText(parts) {
  return parts.map((p, i) => typeof p === 'number' ? `[${p}]` : (i ? '.' : '') + p).join('');
}

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

async function otherDidKey() {
  const key = await Ed25519Multikey.generate();
  return `did:key:${key.publicKeyMultibase}`;
}

async function tamperings(credential) {
  const list = [];
  // 1. A value deep in credentialSubject.
  {
    const copy = structuredClone(credential);
    const subj = copy.credentialSubject;
    const leaf = deepestLeaf(subj, ['credentialSubject']);
    if(leaf) {
      const parts = leaf.parts.slice(1);
      const nv = tamperedValue(leaf.value);
      setAt(subj, parts, nv);
      list.push({name: 'tamper-subject', copy,
        what: `${pathText(leaf.parts)} ${short(leaf.value)} -> ${short(nv)}`});
    } else {
      list.push({name: 'tamper-subject', copy: null, what: 'credentialSubject has no leaf value'});
    }
  }
  // 2. The issuer.
  {
    const copy = structuredClone(credential);
    const other = await otherDidKey();
    if(typeof copy.issuer === 'string') {
      copy.issuer = other;
    } else if(copy.issuer && typeof copy.issuer === 'object') {
      copy.issuer.id = other;
    } else {
      copy.issuer = other;
    }
    list.push({name: 'tamper-issuer', copy, what: `issuer -> ${other}`});
  }
  // 3. The proofValue.
  {
    const copy = structuredClone(credential);
    const proofs = Array.isArray(copy.proof) ? copy.proof : [copy.proof];
    const p = proofs[0];
    if(p && typeof p.proofValue === 'string' && p.proofValue.length > 2) {
      const pv = p.proofValue;
      const i = Math.floor(pv.length / 2);
      const c = pv[i];
      const nc = B58[(B58.indexOf(c) + 1) % B58.length];
      p.proofValue = pv.slice(0, i) + nc + pv.slice(i + 1);
      list.push({name: 'tamper-proofValue', copy, what: `proofValue char ${i} ${c} -> ${nc}`});
    } else {
      list.push({name: 'tamper-proofValue', copy: null, what: 'no proof.proofValue'});
    }
  }
  return list;
}

async function checkAppendedContext(subject, credential) {
  const subj = credential.credentialSubject || {};
  const term = Object.keys(subj).find(k => k !== 'id' && k !== 'type' && !k.startsWith('@'));
  if(!term) {
    return;
  }
  const copy = structuredClone(credential);
  copy['@context'] = [].concat(copy['@context'] || [],
    {[term]: `https://attacker.example/vocab#${term}`});
  let sig;
  try {
    sig = await signatureOnly(copy);
  } catch(e) {
    sig = {verified: false, error: e};
  }
  const sigText = sig.verified ? 'the signature still verifies' :
    `the signature does not verify (${verifyResultReason(sig)})`;
  try {
    // Not in safe mode: the question is only whether the appended definition takes effect.
    const expanded = await jsonld.expand(structuredClone(copy), {documentLoader});
    if(JSON.stringify(expanded).includes('https://attacker.example/vocab#')) {
      report('WARN', subject, 'appended-context',
        `a @context appended after signing redefines credentialSubject.${term} as ` +
        `https://attacker.example/vocab#${term} and ${sigText}; define every pcf term in a ` +
        `@protected context so that this fails`);
    } else {
      report('PASS', subject, 'appended-context',
        `an appended definition of credentialSubject.${term} does not take effect; ${sigText}`);
    }
  } catch(e) {
    report('PASS', subject, 'appended-context',
      `expansion rejects a @context appended to redefine credentialSubject.${term}: ` +
      `${errorText(e)}; ${sigText}`);
  }
}

async function checkDataIntegrityCredential(subject, credential) {
  // Shape, for the record.
  const proof = Array.isArray(credential.proof) ? credential.proof[0] : credential.proof;
  if(!proof) {
    report('FAIL', subject, 'proof', 'no proof');
    return;
  }
  if(proof.type !== 'DataIntegrityProof' || proof.cryptosuite !== 'eddsa-jcs-2022') {
    report('FAIL', subject, 'proof',
      `proof is ${proof.type}/${proof.cryptosuite}, not DataIntegrityProof/eddsa-jcs-2022`);
  }

  // 1. Signature and proof purpose only.
  let sigOk = false;
  try {
    const r = await signatureOnly(credential);
    sigOk = r.verified;
    report(r.verified ? 'PASS' : 'FAIL', subject, 'signature (jsigs.verify)',
      r.verified ? '' : verifyResultReason(r));
  } catch(e) {
    report('FAIL', subject, 'signature (jsigs.verify)', errorText(e));
  }

  // 2. vc.verifyCredential: data model checks, then the proof.
  try {
    const r = await verifyCredentialFull(credential);
    report(r.verified ? 'PASS' : 'FAIL', subject, 'vc.verifyCredential',
      r.verified ? '' : verifyResultReason(r));
  } catch(e) {
    report('FAIL', subject, 'vc.verifyCredential', errorText(e));
  }

  // 3. JSON-LD expansion in safe mode.
  await checkExpansion(subject, credential);

  // 5. (below) An appended @context: eddsa-jcs-2022 lets a verifier accept a document whose
  // @context only starts with the signed one, so a context appended after signing must not be
  // able to change what a term means; it cannot if the term is defined in a @protected context.
  await checkAppendedContext(subject, credential);

  // 4. Tampered copies must fail, and fail at the signature (not for an unrelated reason).
  for(const t of await tamperings(credential)) {
    if(!t.copy) {
      report('FAIL', subject, t.name, `could not tamper: ${t.what}`);
      continue;
    }
    let full;
    let sig;
    try {
      full = await verifyCredentialFull(t.copy);
    } catch(e) {
      full = {verified: false, error: e};
    }
    try {
      sig = await signatureOnly(t.copy);
    } catch(e) {
      sig = {verified: false, error: e};
    }
    if(full.verified || sig.verified) {
      report('FAIL', subject, t.name,
        `tampered copy ACCEPTED by ${full.verified ? 'vc.verifyCredential' : 'jsigs.verify'}` +
        ` (${t.what})`);
    } else if(!sigOk) {
      report('PASS', subject, t.name, `rejected (${t.what}); the untampered signature did not ` +
        `verify either, so this proves little: ${verifyResultReason(sig)}`);
    } else {
      report('PASS', subject, t.name, `rejected (${t.what}): ${verifyResultReason(sig)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Enveloped credentials (vc+jwt), e.g. UNTP passports

function b64urlJson(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

function jwtFromEnvelope(env) {
  const id = env.id || '';
  const m = id.match(/^data:application\/(vc\+jwt|vc\+sd-jwt|jwt)(;[^,]*)?,(.*)$/);
  if(!m) {
    throw new Error(`EnvelopedVerifiableCredential id is not a data:application/vc+jwt URL: ` +
      `"${id.slice(0, 60)}..."`);
  }
  return {mediaType: m[1], jwt: m[3]};
}

async function publicJwkFor(kidOrDid) {
  const did = kidOrDid.split('#')[0];
  if(!did.startsWith('did:key:')) {
    throw new Error(`key "${kidOrDid}" is not a did:key (only did:key is resolved offline)`);
  }
  const vmId = kidOrDid.includes('#') ? kidOrDid : `${did}#${did.slice('did:key:'.length)}`;
  const vm = await didKeyDriver.get({url: vmId});
  const keyPair = await Ed25519Multikey.from(vm);
  return {did, jwk: await Ed25519Multikey.toJwk({keyPair})};
}

function issuerId(credential) {
  return typeof credential.issuer === 'string' ? credential.issuer : credential.issuer?.id;
}

// Verifies a compact JWS against the did:key named by its kid (or the payload's issuer) and
// checks that the payload's issuer is that DID. Returns {payload, header}.
async function verifyVcJwt(jwt) {
  const parts = jwt.split('.');
  if(parts.length !== 3) {
    throw new Error(`not a compact JWS (${parts.length} parts)`);
  }
  const header = b64urlJson(parts[0]);
  const claimed = b64urlJson(parts[1]);
  const kid = header.kid || issuerId(claimed) || claimed.iss;
  if(!kid) {
    throw new Error('no kid in the protected header and no issuer in the payload');
  }
  const {did, jwk} = await publicJwkFor(kid);
  const key = await jose.importJWK(jwk, 'EdDSA');
  const {payload, protectedHeader} = await jose.compactVerify(jwt, key,
    {algorithms: ['EdDSA', 'Ed25519']});
  const vcPayload = JSON.parse(new TextDecoder().decode(payload));
  const iss = issuerId(vcPayload);
  if(iss !== did) {
    throw new Error(`payload issuer "${iss}" is not the signing key's DID "${did}"`);
  }
  return {payload: vcPayload, header: protectedHeader};
}

function reencodePayload(jwt, mutate) {
  const [h, p, s] = jwt.split('.');
  const payload = b64urlJson(p);
  const what = mutate(payload);
  return {jwt: `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`, what};
}

async function checkEnvelopedCredential(subject, env) {
  let jwt;
  let mediaType;
  try {
    ({jwt, mediaType} = jwtFromEnvelope(env));
    report('PASS', subject, 'envelope', `EnvelopedVerifiableCredential, application/${mediaType}`);
  } catch(e) {
    report('FAIL', subject, 'envelope', errorText(e));
    return;
  }
  let payload = null;
  let header = null;
  try {
    ({payload, header} = await verifyVcJwt(jwt));
    report('PASS', subject, 'jose.compactVerify (did:key)',
      `alg ${header.alg}, typ ${header.typ ?? '(none)'}, cty ${header.cty ?? '(none)'}`);
  } catch(e) {
    report('FAIL', subject, 'jose.compactVerify (did:key)', errorText(e));
    try {
      payload = b64urlJson(jwt.split('.')[1]);
    } catch{
      return;
    }
  }
  if(header && header.typ && !['vc+jwt', 'application/vc+jwt'].includes(header.typ)) {
    report('FAIL', subject, 'jose header', `typ "${header.typ}", VC-JOSE-COSE says "vc+jwt"`);
  }
  // The payload is the credential: the VC 2.0 data model checks of @digitalbazaar/vc.
  try {
    vc._checkCredential({credential: structuredClone(payload)});
    report('PASS', subject, 'vc data model (payload)');
  } catch(e) {
    report('FAIL', subject, 'vc data model (payload)', errorText(e));
  }
  await checkExpansion(subject, payload, 'expand-safe (payload)');
  await checkExpansion(subject, env, 'expand-safe (envelope)');

  // Tampered copies.
  const other = await otherDidKey();
  const leaf = deepestLeaf(payload.credentialSubject, ['credentialSubject']);
  const cases = [
    ['tamper-subject', leaf ? reencodePayload(jwt, p => {
      const nv = tamperedValue(leaf.value);
      setAt(p.credentialSubject, leaf.parts.slice(1), nv);
      return `${pathText(leaf.parts)} ${short(leaf.value)} -> ${short(nv)}`;
    }) : null],
    ['tamper-issuer', reencodePayload(jwt, p => {
      if(p.issuer && typeof p.issuer === 'object') {
        p.issuer.id = other;
      } else {
        p.issuer = other;
      }
      return `issuer -> ${other}`;
    })],
    ['tamper-signature', (() => {
      const [h, p, s] = jwt.split('.');
      const sig = Buffer.from(s, 'base64url');
      sig[Math.floor(sig.length / 2)] ^= 0x01;
      return {jwt: `${h}.${p}.${sig.toString('base64url')}`, what: 'one signature bit flipped'};
    })()]
  ];
  for(const [name, t] of cases) {
    if(!t) {
      report('FAIL', subject, name, 'could not tamper: credentialSubject has no leaf value');
      continue;
    }
    try {
      await verifyVcJwt(t.jwt);
      report('FAIL', subject, name, `tampered copy ACCEPTED (${t.what})`);
    } catch(e) {
      report('PASS', subject, name, `rejected (${t.what}): ${errorText(e)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Bundles (expected to become Verifiable Presentations)

async function checkCredential(subject, credential) {
  const types = [].concat(credential.type || []);
  if(types.includes('EnvelopedVerifiableCredential')) {
    await checkEnvelopedCredential(subject, credential);
  } else {
    await checkDataIntegrityCredential(subject, credential);
  }
}

async function checkBundle(subject, doc) {
  const types = [].concat(doc.type || []);
  if(!types.includes('VerifiablePresentation')) {
    const keys = Object.keys(doc).slice(0, 8).join(', ');
    report('SKIP', subject, 'presentation',
      `not a W3C VerifiablePresentation yet (no type VerifiablePresentation; top-level keys: ` +
      `${keys}${Object.keys(doc).length > 8 ? ', ...' : ''})`);
    return;
  }
  report('PASS', subject, 'presentation', 'type VerifiablePresentation');
  // The presentation as a whole (unsigned is fine): @digitalbazaar/vc's own presentation checks
  // and every embedded credential.
  // @digitalbazaar/vc 7 does not know enveloped credentials inside a presentation (it rejects
  // them for lacking type VerifiableCredential): those are checked one by one below instead.
  const all = [].concat(doc.verifiableCredential || []);
  const enveloped = all.filter(c => [].concat(c?.type || []).includes('EnvelopedVerifiableCredential'));
  const vpForVc = structuredClone(doc);
  if(enveloped.length > 0) {
    vpForVc.verifiableCredential = all.filter(c => !enveloped.includes(c));
  }
  const note = enveloped.length > 0 ?
    ` (without its ${enveloped.length} enveloped credential(s), checked below)` : '';
  try {
    const r = await vc.verify({
      presentation: vpForVc,
      presentationPurpose: new jsigs.purposes.AssertionProofPurpose(),
      unsignedPresentation: !doc.proof,
      suite: verifySuite(),
      documentLoader,
      checkStatus
    });
    report(r.verified ? 'PASS' : 'FAIL', subject,
      `vc.verify (presentation${doc.proof ? '' : ', unsigned'})`,
      ((r.verified ? '' : presentationReason(r)) + note).trim());
  } catch(e) {
    report('FAIL', subject, 'vc.verify (presentation)', errorText(e));
  }
  await checkExpansion(subject, doc, 'expand-safe (presentation)');
  const creds = [].concat(doc.verifiableCredential || []);
  if(creds.length === 0) {
    report('FAIL', subject, 'verifiableCredential', 'the presentation holds no credential');
  }
  for(const [i, c] of creds.entries()) {
    await checkCredential(`${subject}#verifiableCredential[${i}]`, c);
  }
}

function presentationReason(r) {
  const reasons = [];
  if(r.error) {
    reasons.push(errorText(r.error.errors || r.error));
  }
  if(r.presentationResult && !r.presentationResult.verified) {
    reasons.push('presentation: ' + verifyResultReason(r.presentationResult));
  }
  for(const [i, cr] of (r.credentialResults || []).entries()) {
    if(!cr.verified) {
      reasons.push(`credential ${i}: ${verifyResultReason(cr)}`);
    }
  }
  return reasons.length ? reasons.join('; ') : 'not verified';
}

// ---------------------------------------------------------------------------------------------
// Main

function listJson(dir) {
  const out = [];
  if(!fs.existsSync(dir)) {
    return out;
  }
  for(const e of fs.readdirSync(dir, {withFileTypes: true})) {
    const p = path.join(dir, e.name);
    if(e.isDirectory()) {
      out.push(...listJson(p));
    } else if(e.name.endsWith('.json')) {
      out.push(p);
    }
  }
  return out.sort();
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();

  if(args.context) {
    const text = fs.readFileSync(args.context, 'utf8');
    localDocuments.set(args.contextUrl, JSON.parse(text));
    report('INFO', 'loader', 'pcf context', `serving ${args.contextUrl} from ${args.context}`);
  } else {
    report('INFO', 'loader', 'pcf context',
      `none (no \`pcf context\` command, no schemas/context-v1.jsonld): ${args.contextUrl} ` +
      `is not served`);
  }

  // What scripts/interop recorded while producing the documents with pcf.
  if(args.generation && fs.existsSync(args.generation)) {
    console.log('');
    for(const line of fs.readFileSync(args.generation, 'utf8').split('\n')) {
      if(!line.trim()) {
        continue;
      }
      const [status, name, ...rest] = line.split('\t');
      report(status, name, 'produce', rest.join(' '));
    }
  }

  const kinds = ['declaration', 'approval', 'revocation', 'passport', 'bundle'];
  const counted = {};
  for(const kind of kinds) {
    for(const file of listJson(path.join(args.dir, kind))) {
      const subject = path.relative(args.dir, file);
      let doc;
      try {
        doc = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch(e) {
        report('FAIL', subject, 'parse', errorText(e));
        continue;
      }
      counted[kind] = (counted[kind] || 0) + 1;
      console.log('');
      if(kind === 'bundle') {
        await checkBundle(subject, doc);
      } else {
        await checkCredential(subject, doc);
      }
    }
  }

  // Summary.
  const checks = results.filter(r => r.check !== 'produce');
  const produced = results.filter(r => r.check === 'produce');
  const n = (rs, st) => rs.filter(r => r.status === st).length;
  const tamper = results.filter(r => r.check.startsWith('tamper-'));
  console.log('');
  console.log('== summary ==');
  console.log(`documents: ${kinds.map(k => `${counted[k] || 0} ${k}`).join(', ')}`);
  if(!counted.passport) {
    console.log('passports: none (this pcf has no `declare --format untp-dpp`)');
  }
  console.log(`producing with pcf: ${n(produced, 'PASS')} produced, ${n(produced, 'FAIL')} FAIL, ` +
    `${n(produced, 'SKIP')} refused optional (SKIP), ${n(produced, 'INFO')} not declarable (INFO)`);
  console.log(`checks: ${n(checks, 'PASS')} PASS, ${n(checks, 'FAIL')} FAIL, ` +
    `${n(checks, 'WARN')} WARN (not failing the run), ` +
    `${n(checks, 'SKIP')} SKIP (tampered copies: ${n(tamper, 'PASS')} rejected as they should ` +
    `be, ${n(tamper, 'FAIL')} problems)`);
  for(const check of ['signature (jsigs.verify)', 'vc.verifyCredential', 'expand-safe',
    'jose.compactVerify (did:key)', 'expand-safe (payload)', 'expand-safe (presentation)']) {
    const rs = results.filter(r => r.check === check);
    if(rs.length) {
      console.log(`  ${check}: ${rs.filter(r => r.status === 'PASS').length}/${rs.length} pass`);
    }
  }
  if(refusedUrls.size) {
    console.log(`URLs the offline loader refused: ${[...refusedUrls].join(', ')}`);
  }
  if(reasonIndex.size) {
    console.log('distinct failure reasons (how many documents):');
    const sorted = [...reasonIndex.entries()].sort((a, b) => b[1].size - a[1].size ||
      a[0].localeCompare(b[0]));
    for(const [reason, subjects] of sorted) {
      console.log(`  ${String(subjects.size).padStart(3)}  ${reason}`);
    }
  }
  console.log(`checks took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const failed = n(results, 'FAIL') > 0;
  console.log(failed ? 'RESULT: FAIL' : 'RESULT: PASS');
  process.exitCode = failed ? 1 : 0;
}

main().catch(e => {
  console.error(`interop check crashed: ${e.stack || e}`);
  process.exitCode = 2;
});
