// web-chat.test.mjs - the web app (frontend-compat/web/out, served by `sioc --web-root`) in the
// Debian chromium driven by playwright-core: two users in two browser contexts register, see
// each other in `Online users`, chat 1:1 both ways, and a reload keeps the history. Driven only
// by role, label and text. Fails (never skips) when the app has not been built.
// SIOC_SCREENSHOTS=1 writes docs/screenshots/*.png.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startSioc, T } from "./lib/server.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(here, "..", "web", "out");
const SHOTS = path.join(here, "..", "..", "docs", "screenshots");
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"];

async function register(page, url, name) {
  await page.goto(`${url}/register`);
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill("password-123");
  await page.getByRole("button", { name: "Register" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
}

test("two users chat 1:1 in the web app", { timeout: T(120000) }, async (t) => {
  assert.ok(fs.existsSync(path.join(OUT, "chat.html")), `the web app is not built: ${OUT}/chat.html missing`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sioc-web-"));
  const server = await startSioc(["--web-root", OUT, "--database", `sqlite:${dir}/chat.db`, "--jwt-secret", "web-test-secret-0123456789abcdef"]);
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ARGS });
  t.after(async () => {
    await browser.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const shot = async (page, name) => {
    if (process.env.SIOC_SCREENSHOTS === "1") {
      fs.mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
    }
  };
  const a = await (await browser.newContext()).newPage();
  const b = await (await browser.newContext()).newPage();
  await a.goto(`${server.url}/login`);
  await a.getByRole("button", { name: "Log in" }).waitFor();
  await shot(a, "login");
  await register(a, server.url, "alice");
  await register(b, server.url, "bob");
  const onlineA = a.getByRole("list", { name: "Online users" });
  await onlineA.getByRole("button", { name: /bob/ }).click();
  await b.getByRole("list", { name: "Online users" }).getByText("alice").waitFor();
  await a.getByLabel("Message", { exact: true }).fill("hello bob");
  await a.getByLabel("Message", { exact: true }).press("Enter");
  const msgsA = a.getByRole("list", { name: "Messages" });
  await msgsA.getByRole("listitem").filter({ hasText: "alice" }).filter({ hasText: "hello bob" }).waitFor();
  await b.getByRole("list", { name: "Chats" }).getByRole("button", { name: /alice/ }).click();
  const msgsB = b.getByRole("list", { name: "Messages" });
  await msgsB.getByRole("listitem").filter({ hasText: "hello bob" }).waitFor();
  await b.getByLabel("Message", { exact: true }).fill("hi alice");
  await b.getByRole("button", { name: "Send" }).click();
  await msgsA.getByRole("listitem").filter({ hasText: "bob" }).filter({ hasText: "hi alice" }).waitFor();
  await shot(a, "chat-light");
  await a.getByRole("button", { name: "Dark theme" }).click();
  await shot(a, "chat-dark");
  await a.reload();
  await a.getByRole("list", { name: "Messages" }).getByText("hi alice").waitFor();
  await a.getByRole("list", { name: "Messages" }).getByText("hello bob").waitFor();
  await a.getByRole("button", { name: "Light theme" }).waitFor(); // the theme survived the reload
  // a third user logs in and out: she comes and goes in the others' Online users
  const c = await (await browser.newContext()).newPage();
  await register(c, server.url, "eve");
  const eveAtA = a.getByRole("list", { name: "Online users" }).getByText("eve");
  await eveAtA.waitFor();
  await c.getByRole("button", { name: "Log out" }).click();
  await c.getByRole("button", { name: "Log in" }).waitFor();
  await eveAtA.waitFor({ state: "detached" });
  assert.equal(await b.getByRole("list", { name: "Online users" }).getByText("eve").count(), 0);
  await a.setViewportSize({ width: 375, height: 720 });
  await shot(a, "chat-375");
});
