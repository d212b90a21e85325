// Drives the built verifier page in headless Chromium (Debian's /usr/bin/chromium, through
// playwright-core) and asserts on what it renders: a valid bundle with the trust list imported,
// the same bundle before its issuer is trusted (and trusting it in the page), a tampered bundle,
// a plain PACT footprint, a file that is not JSON, the print view and its PDF, the trust list's
// export, the page opened from disk, and that the page cannot open a connection.
// Writes screenshots, report.pdf and bench.json to OUT and prints the page's size and the time
// to verify the bundle in the browser.
//
//   node check.mjs PAGE.html FIXTURES_DIR OUT_DIR
// FIXTURES_DIR holds bundle.json, tampered.json, footprint.json, junk.json and trust-list.json
// (made by scripts/page/check with pcf).
import { chromium } from "playwright-core";
import { createServer } from "node:http";
import { readFileSync, writeFileSync, mkdirSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { basename, dirname, join, resolve } from "node:path";

const [pagePath, fixtures, out] = process.argv.slice(2).map((p) => resolve(p));
mkdirSync(join(out, "screens"), { recursive: true });
const fx = (n) => join(fixtures, n);
let failures = 0;
const check = (ok, what) => {
  console.log(`${ok ? "pass" : "FAIL"}  ${what}`);
  if (!ok) failures++;
};

const html = readFileSync(pagePath);
const server = createServer((req, res) => {
  if (req.url === "/" || req.url === `/${basename(pagePath)}`) {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(html);
  } else {
    res.writeHead(404);
    res.end("not here");
  }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${server.address().port}/${basename(pagePath)}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

async function open(target = url) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const t0 = Date.now();
  await page.goto(target);
  await page.waitForSelector("body[data-ready=true]", { timeout: 30000 });
  return { context, page, errors, loadMs: Date.now() - t0 };
}

async function verify(page, file, bundle) {
  await page.evaluate(() => { const v = document.getElementById("verdict"); v.dataset.verdict = ""; });
  if (bundle) await page.setInputFiles("#bundle", bundle);
  await page.setInputFiles("#file", file);
  // Choosing the file verifies it; choosing the same file again fires no change event.
  await page.click("#verify");
  await page.waitForFunction(() => document.getElementById("verdict").dataset.verdict || document.getElementById("error").textContent, null, { timeout: 30000 });
  return page.evaluate(() => {
    const v = document.getElementById("verdict");
    return {
      verdict: v.dataset.verdict,
      kind: v.dataset.kind,
      title: v.textContent,
      why: document.getElementById("verdict-why").textContent,
      error: document.getElementById("error").textContent,
      summary: document.getElementById("summary").innerText,
      chain: [...document.querySelectorAll("#chain li")].map((li) => li.innerText),
      checks: Object.fromEntries([...document.querySelectorAll("#checks tr")].map((tr) => [tr.dataset.check, tr.className])),
      checkText: document.getElementById("checks").innerText,
      chart: document.querySelector("#chart svg") !== null,
      ms: Number(document.body.dataset.verifyMs),
    };
  });
}

// 1. The trust list imported from the CLI's file, then the bundle: VALID, with the summary,
//    the chart and the supplier's declaration in the supply chain.
{
  const { context, page, errors, loadMs } = await open();
  await page.setInputFiles("#import", fx("trust-list.json"));
  await page.waitForFunction(() => document.getElementById("trust-count").textContent !== "0");
  const r = await verify(page, fx("bundle.json"));
  check(r.verdict === "valid", `valid bundle: verdict ${r.verdict} (${r.title}; ${r.why})`);
  check(r.kind === "bundle", `valid bundle: recognised as a bundle (${r.kind})`);
  check(/Declared unit/.test(r.summary) && /Primary data share/.test(r.summary) && /Methodology/.test(r.summary),
    "valid bundle: the summary shows declared unit, primary data share and methodology");
  check(/Reference period/.test(r.summary) && /Validity period/.test(r.summary), "valid bundle: the summary shows reference and validity periods");
  check(/trusted\)/.test(r.summary), "valid bundle: the issuer is named from the trust list");
  check(r.chart, "valid bundle: the composition chart is drawn");
  check(r.chain.length >= 1 && /VERIFIED/.test(r.chain[0]), `valid bundle: the supplier's declaration is in the supply chain with its verdict (${r.chain[0]})`);
  check(r.checks.proof === "pass" && r.checks.issuer === "pass", "valid bundle: proof and issuer checks pass");
  check(errors.length === 0, `valid bundle: no script errors (${errors.join("; ")})`);
  check(await page.evaluate(() => document.getElementById("claimed").hidden), "valid bundle: no warning over its figures");
  await page.screenshot({ path: join(out, "screens", "valid-bundle.png"), fullPage: true });

  // The print view: inputs hidden, the stamp shown; and its PDF.
  await page.emulateMedia({ media: "print" });
  const printed = await page.evaluate(() => ({
    inputs: getComputedStyle(document.querySelector(".inputs")).display,
    stamp: getComputedStyle(document.getElementById("stamp")).display,
    stampText: document.getElementById("stamp").textContent,
  }));
  check(printed.inputs === "none" && printed.stamp !== "none" && /Verified with pcf/.test(printed.stampText),
    "print view: the inputs are hidden and the verification stamp is shown");
  await page.screenshot({ path: join(out, "screens", "print-view.png"), fullPage: true });
  await page.pdf({ path: join(out, "report.pdf"), format: "A4", printBackground: true });
  check(statSync(join(out, "report.pdf")).size > 10000, "print view: a PDF report is written");
  await page.emulateMedia({ media: "screen" });

  // Nothing leaves the machine: the page's policy refuses any connection, even to its host.
  const fetched = await page.evaluate((u) => fetch(u).then(() => "connected", () => "refused"), url);
  check(fetched === "refused", `the page cannot open a connection (${fetched})`);

  // The trust list exports in the CLI's format.
  await page.click("#trust > summary");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
  const exported = JSON.parse(readFileSync(await download.path(), "utf8"));
  const imported = JSON.parse(readFileSync(fx("trust-list.json"), "utf8"));
  check(exported.format === "pcf-trust-list/1" && exported.issuers.length === imported.issuers.length,
    `the trust list exports as pcf-trust-list/1 with its ${imported.issuers.length} issuers`);

  // Time to verify the bundle in the browser: the median of 15 runs.
  const times = [];
  for (let i = 0; i < 15; i++) {
    await page.evaluate(() => { document.getElementById("verdict").dataset.verdict = ""; });
    await page.click("#verify");
    await page.waitForFunction(() => document.getElementById("verdict").dataset.verdict);
    times.push(Number(await page.evaluate(() => document.body.dataset.verifyMs)));
  }
  times.sort((a, b) => a - b);
  const bundleBytes = statSync(fx("bundle.json")).size;
  const bench = {
    pageBytes: html.length,
    pageGzipBytes: gzipSync(html).length,
    loadMs,
    bundleBytes,
    verifyMsMedian: times[Math.floor(times.length / 2)],
    verifyMsMin: times[0],
    verifyMsMax: times[times.length - 1],
  };
  writeFileSync(join(out, "bench.json"), JSON.stringify(bench, null, 2) + "\n");
  console.log(`bench: page ${bench.pageBytes} bytes (${bench.pageGzipBytes} gzipped), ready in ${loadMs} ms; ` +
    `a ${bundleBytes}-byte bundle verified in ${bench.verifyMsMedian} ms (median of 15; ${bench.verifyMsMin}-${bench.verifyMsMax})`);
  await context.close();
}

// 2. A fresh browser: the issuer is not trusted (INVALID), then trusted from the page.
{
  const { context, page } = await open();
  let r = await verify(page, fx("bundle.json"));
  check(r.verdict === "invalid" && r.checks.issuer === "fail", `untrusted issuer: INVALID with the issuer check failing (${r.verdict})`);
  await page.click("#trust-issuer");
  await page.fill("#issuer-name", "Bracket maker (added in the page)");
  await page.click("#add-issuer button[type=submit]");
  await page.waitForFunction(() => document.getElementById("verdict").dataset.verdict === "valid", null, { timeout: 30000 });
  r = await verify(page, fx("bundle.json"));
  check(r.verdict === "valid" && /added in the page/.test(r.summary), `trusted from the page, the bundle is VALID (${r.verdict})`);
  await page.screenshot({ path: join(out, "screens", "trusted-in-page.png"), fullPage: true });
  await context.close();
}

// 3. A tampered bundle, 4. a plain PACT footprint, 5. a file that is not JSON.
{
  const { context, page } = await open();
  await page.setInputFiles("#import", fx("trust-list.json"));
  let r = await verify(page, fx("tampered.json"));
  check(r.verdict === "invalid" && r.checks.proof === "fail", `tampered bundle: INVALID, proof fails (${r.verdict}; ${r.why})`);
  const shown = await page.evaluate(() => ({
    claimed: !document.getElementById("claimed").hidden,
    width: Math.max(document.documentElement.scrollWidth,
      ...[...document.querySelectorAll("#result, #result *")].map((e) => e.getBoundingClientRect().right)),
  }));
  check(shown.claimed, "tampered bundle: its figures are marked as claimed, not relied on");
  check(shown.width <= 1100, `tampered bundle: long DIDs wrap within the window (${shown.width} px wide)`);
  await page.screenshot({ path: join(out, "screens", "tampered.png"), fullPage: true });
  r = await verify(page, fx("footprint.json"));
  check(r.kind === "pact-footprint", `plain PACT footprint: recognised (${r.kind})`);
  check(r.verdict !== "valid" && !/unknown product/.test(r.title), `plain PACT footprint: never VALID, never an unknown product (${r.verdict}: ${r.title})`);
  check(/unsigned PACT footprint/.test(r.why), `plain PACT footprint: said to be unsigned (${r.why})`);
  await page.screenshot({ path: join(out, "screens", "pact-footprint.png"), fullPage: true });
  await page.evaluate(() => { document.getElementById("error").textContent = ""; });
  r = await verify(page, fx("junk.json"));
  check(/not strict JSON/.test(r.error), `a file that is not JSON: a clear error (${r.error})`);
  await context.close();
}

// 6. Opened from disk: the same page works from file://.
{
  const { context, page } = await open(`file://${pagePath}`);
  const r = await verify(page, fx("footprint.json"));
  check(r.kind === "pact-footprint", `opened from disk: verifies (${r.kind})`);
  await context.close();
}

await browser.close();
server.close();
console.log(failures ? `page check: ${failures} FAILED` : "page check: all passed");
process.exit(failures ? 1 : 0);
