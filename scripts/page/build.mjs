// Assembles the buyer's verifier page into one self-contained HTML file: the page's HTML,
// its style, wasm-bindgen's glue and the page's script inline, and the WebAssembly module as
// base64. One file works opened from disk (file://) and from any static host, and its
// Content-Security-Policy forbids every connection (connect-src 'none'): nothing dropped on
// the page can leave the machine. The one script is allowed by its SHA-256 hash.
//
//   node scripts/page/build.mjs PKG_DIR PAGE_DIR OUT.html
// PKG_DIR: wasm-bindgen --target web output (pcf_web.js, pcf_web_bg.wasm); PAGE_DIR:
// crates/web/page (index.html, app.js, style.css).
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";

const [pkg, page, out] = process.argv.slice(2);
if (!out) {
  console.error("usage: node build.mjs PKG_DIR PAGE_DIR OUT.html");
  process.exit(2);
}
const read = (p) => readFileSync(p, "utf8");
const glue = read(join(pkg, "pcf_web.js"));
const wasm = readFileSync(join(pkg, "pcf_web_bg.wasm"));
const script = `${glue}\n${read(join(page, "app.js"))}`;
if (/<\/script/i.test(script)) {
  console.error("build.mjs: the script contains </script and cannot be inlined");
  process.exit(1);
}
const hash = createHash("sha256").update(script, "utf8").digest("base64");
const csp = [
  "default-src 'none'",
  `script-src 'sha256-${hash}' 'wasm-unsafe-eval'`,
  "style-src 'unsafe-inline'",
  "img-src data:",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");
const slots = {
  "<!--CSP-->": `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
  "/*STYLE*/": read(join(page, "style.css")),
  "/*WASM*/": wasm.toString("base64"),
  "/*SCRIPT*/": script,
};
let html = read(join(page, "index.html"));
for (const [slot, text] of Object.entries(slots)) {
  const at = html.indexOf(slot);
  if (at < 0 || html.indexOf(slot, at + 1) >= 0) {
    console.error(`build.mjs: ${join(page, "index.html")} must hold ${slot} exactly once`);
    process.exit(1);
  }
  html = html.slice(0, at) + text + html.slice(at + slot.length);
}
writeFileSync(`${out}.tmp`, html);
renameSync(`${out}.tmp`, out);
console.log(`page: ${out} ${html.length} bytes (WebAssembly ${wasm.length} bytes)`);
