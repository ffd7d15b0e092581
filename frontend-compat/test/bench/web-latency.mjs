// web-latency.mjs - (benchmark, not run by scripts/test) median time for a message sent in
// browser A to appear in browser B's `Messages` list, over 50 sends. Needs SIOC_BIN and the built
// app: SIOC_BIN=build/sioc node frontend-compat/test/bench/web-latency.mjs
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startSioc } from "../lib/server.mjs";

const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "web", "out");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sioc-webbench-"));
const server = await startSioc(["--web-root", OUT, "--database", `sqlite:${dir}/chat.db`, "--jwt-secret", "bench-secret-0123456789abcdef0123"]);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"] });
async function register(name) {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.url}/register`);
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill("password-123");
  await page.getByRole("button", { name: "Register" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
  return page;
}
const a = await register("benchA");
const b = await register("benchB");
await a.getByRole("list", { name: "Online users" }).getByRole("button", { name: /benchB/ }).click();
await a.getByLabel("Message", { exact: true }).fill("warm up");
await a.getByLabel("Message", { exact: true }).press("Enter");
await b.getByRole("list", { name: "Chats" }).getByRole("button", { name: /benchA/ }).click();
await b.getByRole("list", { name: "Messages" }).getByText("warm up").waitFor();
const times = [];
for (let i = 0; i < 50; i++) {
  const text = `ping ${i} ${Date.now()}`;
  // B timestamps the arrival in the page (a MutationObserver); A's send time is taken in A's page
  const seen = b.evaluate((t) => new Promise((resolve) => {
    const list = document.querySelector('[aria-label="Messages"]');
    const obs = new MutationObserver(() => {
      if (list.textContent.includes(t)) { obs.disconnect(); resolve(performance.timeOrigin + performance.now()); }
    });
    obs.observe(list, { childList: true, subtree: true, characterData: true });
  }), text);
  await a.getByLabel("Message", { exact: true }).fill(text);
  const sent = await a.evaluate(() => {
    const box = document.querySelector('textarea[aria-label="Message"]');
    const t = performance.timeOrigin + performance.now();
    box.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    return t;
  });
  times.push((await seen) - sent);
}
times.sort((x, y) => x - y);
console.log(`A -> B over 50 sends: median ${times[25].toFixed(1)} ms, p90 ${times[45].toFixed(1)} ms, min ${times[0].toFixed(1)} ms, max ${times[49].toFixed(1)} ms`);
await browser.close();
await server.stop();
fs.rmSync(dir, { recursive: true, force: true });
