// The page's behaviour. It follows wasm-bindgen's glue in one inline module script
// (scripts/page/build.mjs), so `initSync`, `verify_files` and `version` are in scope.
// Every judgement comes from the WebAssembly module; this script only reads files, keeps the
// trust list in localStorage and draws the answer.

const STORE = "pcf-trust-list";
const $ = (id) => document.getElementById(id);

function loadWasm() {
  const b64 = $("pcf-wasm").textContent.trim();
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  initSync({ module: bytes });
  $("version").textContent = `pcf ${version()}`;
}

// ---- trust list (the CLI's pcf-trust-list/1 format) ---------------------------------------

function emptyList() {
  return { format: "pcf-trust-list/1", issuers: [], witnesses: [] };
}

function readList() {
  try {
    const l = JSON.parse(localStorage.getItem(STORE) || "null");
    return l && l.format === "pcf-trust-list/1" ? { ...emptyList(), ...l } : emptyList();
  } catch {
    return emptyList();
  }
}

function listBytes(list) {
  return new TextEncoder().encode(JSON.stringify(list));
}

// A list is saved only if the verifier accepts it (verifying nothing with it).
function saveList(list) {
  const probe = JSON.parse(verify_files("(none)", new TextEncoder().encode("{}"), undefined, undefined, listBytes(list), new Date().toISOString()));
  if (probe.error && probe.error.includes("trust list")) {
    $("trust-error").textContent = probe.error;
    return false;
  }
  $("trust-error").textContent = "";
  localStorage.setItem(STORE, JSON.stringify(list, null, 2));
  drawList();
  return true;
}

function cell(tr, text, cls) {
  const td = tr.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function drawList() {
  const list = readList();
  $("trust-count").textContent = list.issuers.length + list.witnesses.length;
  for (const [kind, key, body] of [["issuers", "did", "issuers"], ["witnesses", "key", "witnesses"]]) {
    const tbody = $(body);
    tbody.replaceChildren();
    list[kind].forEach((entry, i) => {
      const tr = tbody.insertRow();
      cell(tr, entry.name);
      cell(tr, entry[key], "mono");
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = "Remove";
      b.onclick = () => {
        const l = readList();
        l[kind].splice(i, 1);
        saveList(l);
      };
      tr.insertCell().append(b);
    });
  }
}

function addTo(kind, entry) {
  const list = readList();
  list[kind].push(entry);
  return saveList(list);
}

// ---- verification ---------------------------------------------------------------------------

async function bytesOf(input) {
  const f = input.files && input.files[0];
  return f ? { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) } : null;
}

function atInstant() {
  const v = $("at").value;
  return (v ? new Date(v) : new Date()).toISOString().replace(/\.\d{3}Z$/, "Z");
}

async function run() {
  const file = await bytesOf($("file"));
  if (!file) {
    $("error").textContent = "Choose or drop a declaration, a bundle or a PACT footprint first.";
    return;
  }
  const bundle = await bytesOf($("bundle"));
  const started = performance.now();
  const answer = JSON.parse(
    verify_files(file.name, file.bytes, bundle?.name, bundle?.bytes, listBytes(readList()), atInstant()),
  );
  const ms = performance.now() - started;
  document.body.dataset.verifyMs = ms.toFixed(1);
  if (answer.error) {
    $("result").hidden = true;
    $("error").textContent = answer.error;
    return;
  }
  $("error").textContent = "";
  draw(answer, file.name, ms);
}

const VERDICTS = {
  valid: ["VALID", "Genuine and current: every check passed."],
  invalid: ["INVALID", "A check failed: do not rely on this declaration."],
  "not-current": ["NOT CURRENT", "Genuine, but superseded, deprecated, expired or not yet valid."],
  "status-unknown": ["STATUS UNKNOWN", "Genuine and within its validity period, but nothing shows it is still current: ask for a bundle."],
  unsigned: ["UNSIGNED PACT FOOTPRINT", "A PACT footprint without a signature: its figures are the supplier's word."],
};

function verdictWords(v) {
  return VERDICTS[v] || [String(v).toUpperCase(), ""];
}

function draw(a, fileName, ms) {
  const r = a.report;
  const [label, why] = verdictWords(r.verdict);
  const v = $("verdict");
  v.textContent = `${label}: ${r.product || a.summary.product || "(no product name)"}`;
  v.className = `verdict ${r.verdict}`;
  v.dataset.verdict = r.verdict;
  v.dataset.kind = a.kind;
  const kinds = { bundle: "bundle", declaration: "declaration", passport: "UNTP passport", "pact-footprint": "unsigned PACT footprint" };
  const reasons = r.verdict === "invalid" ? failed(r) : r.status.reasons.join("; ");
  $("verdict-why").textContent = `${kinds[a.kind] || a.kind} · ${why}${reasons ? " " + reasons : ""}`;
  $("stamp").textContent = `Verified with pcf ${version()} on ${new Date().toISOString()}, judged at ${r.status.at}; file ${fileName}${r.digest ? `, digest ${r.digest}` : ""}.`;
  const trusted = r.checks.some((c) => c.name === "issuer" && c.status === "pass");
  const tb = $("trust-issuer");
  tb.hidden = !r.issuer || trusted;
  tb.onclick = () => {
    $("trust").open = true;
    $("issuer-did").value = r.issuer;
    $("issuer-name").value = a.summary.company || "";
    $("issuer-name").focus();
  };
  $("claimed").hidden = r.verdict !== "invalid";
  drawSummary(a);
  $("chart").innerHTML = a.chart || "";
  drawChain(a);
  drawChecks(r);
  $("text").textContent = a.text;
  $("result").hidden = false;
  $("result").dataset.verifyMs = ms.toFixed(1);
}

function failed(r) {
  return r.checks.filter((c) => c.status === "fail").map((c) => `${c.name}: ${c.detail}`).join("; ");
}

function drawSummary(a) {
  const s = a.summary;
  const r = a.report;
  const t = $("summary");
  t.replaceChildren();
  const row = (k, v) => {
    if (v === undefined || v === null || v === "") return;
    const tr = t.insertRow();
    const th = document.createElement("th");
    th.textContent = k;
    tr.append(th);
    cell(tr, v);
  };
  const period = (p) => (p ? `${p.start || "?"} to ${p.end || "?"}${p.note ? ` (${p.note})` : ""}` : null);
  const pct = (x) => (x == null ? null : `${x} %`);
  row("Product", s.product);
  row("Product ids", s.productIds.join(", "));
  row("Company", s.company);
  row("Issuer", r.issuer ? `${r.issuer}${issuerName(r.issuer)}` : "unsigned");
  row("Declared unit", s.declaredUnit);
  row("Mass per declared unit", s.massPerDeclaredUnitKg && `${s.massPerDeclaredUnitKg} kg`);
  for (const f of s.figures) row(f.name, `${f.value} kg CO2e`);
  row("Primary data share", pct(s.primaryDataSharePercent));
  if (s.dqr) {
    const cover = s.dqr.ratedSharePercent ? `rating ${s.dqr.ratedSharePercent} % of the footprint` : "share of the footprint rated not stated";
    row("Data quality (DQR)", `${s.dqr.technological} technological, ${s.dqr.temporal} temporal, ${s.dqr.geographical} geographical (1 best, 3 worst); ${cover}`);
  }
  row("Data the footprint rests on", s.dataSources.map((d) => `${d.class} ${d.sharePercent} %`).join(", "));
  row("Exempted (cut-off)", pct(s.exemptedEmissionsPercent));
  row("Boundary", s.boundary);
  row("Geography", s.geography);
  row("Reference period", period(s.referencePeriod));
  row("Validity period", period(s.validityPeriod));
  row("PACT status", s.pactStatus);
  row("Standards and rules", s.standards.join("; "));
  if (s.methodology) {
    const m = r.checks.find((c) => c.name === "methodology");
    const ap = r.checks.find((c) => c.name === "approval");
    // The methodology check names the version and digest and says how it is known.
    row("Methodology", `${m ? m.detail : `${s.methodology.id} ${s.methodology.version}`}${ap ? `; approval: ${ap.detail}` : ""}`);
  }
  if (s.cbam) {
    const c = s.cbam;
    const u = c.unit || "";
    row("CBAM good", `CN ${c.cnCode || "?"} (${c.category || "category not stated"}), route ${c.route || "not stated"}`);
    row("CBAM specific embedded emissions", `${c.direct || "?"} direct + ${c.indirect || "?"} indirect ${u}${c.indirectNotCounted ? ` (${c.indirectNotCounted} indirect not counted)` : ""}`);
    row("CBAM share on default values", pct(c.defaultValueSharePercent));
  }
}

function issuerName(did) {
  const e = readList().issuers.find((i) => i.did === did);
  return e ? ` (${e.name}, trusted)` : " (not in your trust list)";
}

const LINKS = { pass: "VERIFIED", warn: "CAUTION", fail: "FAILED", skip: "NOT CHECKED" };

function badge(link) {
  const span = document.createElement("span");
  span.className = `badge ${link.status}`;
  span.textContent = LINKS[link.status] || link.status.toUpperCase();
  return span;
}

function drawChain(a) {
  const root = $("chain");
  root.replaceChildren();
  if (!a.chain.length) {
    root.textContent = a.kind === "pact-footprint"
      ? "A PACT footprint names no suppliers' declarations."
      : "No suppliers' declarations were consumed.";
    return;
  }
  const byDigest = new Map(a.chain.map((s) => [s.digest, s]));
  const drawn = new Set();
  const top = new Set(a.chain.map((s) => s.digest));
  for (const s of a.chain) for (const d of s.suppliers) top.delete(d);
  const list = (digests) => {
    const ul = document.createElement("ul");
    ul.className = "tree";
    for (const d of digests) {
      const s = byDigest.get(d);
      if (!s) continue;
      const li = document.createElement("li");
      li.dataset.digest = d;
      li.append(badge(s.link), " ");
      const name = document.createElement("strong");
      name.textContent = s.product || d;
      li.append(name, ` — ${s.company || "supplier not named"}${s.footprint ? `, ${s.footprint}` : ""}`);
      const detail = document.createElement("div");
      detail.className = "detail";
      detail.textContent = s.link.detail;
      li.append(detail);
      if (drawn.has(d)) {
        li.append(" (its suppliers are shown above)");
      } else {
        drawn.add(d);
        if (s.suppliers.length) li.append(list(s.suppliers));
      }
      ul.append(li);
    }
    return ul;
  };
  root.append(list([...top]));
}

function drawChecks(r) {
  const t = $("checks");
  t.replaceChildren();
  for (const c of r.checks) {
    const tr = t.insertRow();
    tr.className = c.status;
    tr.dataset.check = c.name;
    cell(tr, c.status.toUpperCase(), "mark");
    cell(tr, c.name, "name");
    cell(tr, c.detail);
  }
}

// ---- wiring ---------------------------------------------------------------------------------

function wire() {
  $("verify").onclick = run;
  $("file").onchange = run;
  $("bundle").onchange = () => $("file").files.length && run();
  $("print").onclick = () => window.print();
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const files = e.dataTransfer.files;
    if (!files.length) return;
    const dt = new DataTransfer();
    dt.items.add(files[0]);
    $("file").files = dt.files;
    if (files.length > 1) {
      const db = new DataTransfer();
      db.items.add(files[1]);
      $("bundle").files = db.files;
    }
    run();
  });
  $("add-issuer").onsubmit = (e) => {
    e.preventDefault();
    if (addTo("issuers", { did: $("issuer-did").value.trim(), name: $("issuer-name").value.trim() })) {
      $("add-issuer").reset();
      if ($("file").files.length) run();
    }
  };
  $("add-witness").onsubmit = (e) => {
    e.preventDefault();
    if (addTo("witnesses", { key: $("witness-key").value.trim(), name: $("witness-name").value.trim() })) {
      $("add-witness").reset();
    }
  };
  $("import").onchange = async () => {
    const f = await bytesOf($("import"));
    if (!f) return;
    try {
      const incoming = JSON.parse(new TextDecoder().decode(f.bytes));
      const list = readList();
      for (const i of incoming.issuers || []) if (!list.issuers.some((x) => x.did === i.did)) list.issuers.push(i);
      for (const w of incoming.witnesses || []) if (!list.witnesses.some((x) => x.key === w.key)) list.witnesses.push(w);
      if (incoming.format !== "pcf-trust-list/1") throw new Error(`${f.name}: format is ${JSON.stringify(incoming.format)}, not "pcf-trust-list/1"`);
      saveList(list);
    } catch (err) {
      $("trust-error").textContent = `${f.name}: ${err.message}`;
    }
  };
  $("export").onclick = () => {
    const blob = new Blob([JSON.stringify(readList(), null, 2) + "\n"], { type: "application/json" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "trust-list.json";
    a.click();
    URL.revokeObjectURL(a.href);
  };
}

try {
  loadWasm();
  wire();
  drawList();
  document.body.dataset.ready = "true";
} catch (err) {
  $("error").textContent = `The verifier could not start: ${err.message}`;
}
