// web.mjs - helpers for the browser tests of the web app (test/web-*.test.mjs, bench/web-latency.mjs):
// sioc serving the built app (frontend-compat/web/out) on a fresh SQLite store, Debian's chromium
// driven by playwright-core (never a downloaded browser), people registered through the app's own
// form, and screenshots into docs/screenshots/ when SIOC_SCREENSHOTS=1.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startSioc } from "./server.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
export const OUT = path.join(here, "..", "..", "web", "out");
const SHOTS = path.join(here, "..", "..", "..", "docs", "screenshots");
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"];

/** Starts sioc on the built app with a fresh store and chromium; resolves {server, browser,
 * dbUrl (the SQLite store's URL), stopServer(), startServer(), close()}. Fails (never skips) when the app is not built.
 * startServer() after stopServer() starts sioc again on the same port and store. `extra`: more
 * sioc options (e.g. the desk's first admin); `browserArgs` are added to chromium's (e.g. the fake
 * microphone of web-media). */
export async function startWeb(prefix = "sioc-web-", extra = [], { browserArgs = [] } = {}) {
  assert.ok(fs.existsSync(path.join(OUT, "chat.html")), `the web app is not built: ${OUT}/chat.html missing`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const args = ["--web-root", OUT, "--database", `sqlite:${dir}/chat.db`, "--jwt-secret", "web-test-secret-0123456789abcdef", ...extra];
  const env = { server: await startSioc(args), dbUrl: `sqlite:${dir}/chat.db` };
  env.browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: [...ARGS, ...browserArgs] });
  env.stopServer = () => env.server.stop();
  env.startServer = async () => (env.server = await startSioc(args, { port: env.server.port }));
  env.close = async () => {
    await env.browser.close();
    await env.server.stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return env;
}

/** A new browser context (a person) on `url`'s register page, registered as `name`. */
export async function registerIn(browser, url, name) {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${url}/register`);
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill("password-123");
  await page.getByRole("button", { name: "Register" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
  return page;
}

/** A new browser context (a staff member) logged in through /login as `username`. */
export async function staffLogin(browser, url, username, password, init = null) {
  const ctx = await browser.newContext();
  if (init) await ctx.addInitScript(init);
  const page = await ctx.newPage();
  await page.goto(`${url}/login`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  return page;
}

/** Sends `text` from `page`'s composer with Enter. */
export async function say(page, text) {
  const box = page.getByLabel("Message", { exact: true });
  await box.fill(text);
  await box.press("Enter");
}

/** The `Messages` list item holding `text` (and `author`, when given). */
export function messageItem(page, text, author) {
  let item = page.getByRole("list", { name: "Messages" }).getByRole("listitem").filter({ hasText: text });
  if (author) item = item.filter({ hasText: author });
  return item;
}

/** Writes docs/screenshots/<name>.png when SIOC_SCREENSHOTS=1. */
export async function shot(page, name) {
  if (process.env.SIOC_SCREENSHOTS !== "1") return;
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}
