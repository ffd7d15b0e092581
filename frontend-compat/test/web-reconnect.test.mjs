// web-reconnect.test.mjs - the web app across a server restart: sioc is stopped while alice
// writes, the `status` banner says it is reconnecting, the message waits as pending, and when
// sioc is back (same port, same database) it is delivered exactly once. Fails if the app is not built.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startSioc, T } from "./lib/server.mjs";

const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "web", "out");
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"];

test("a message written while sioc restarts arrives once", { timeout: T(120000) }, async (t) => {
  assert.ok(fs.existsSync(path.join(OUT, "chat.html")), `the web app is not built: ${OUT}/chat.html missing`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sioc-webrc-"));
  const args = ["--web-root", OUT, "--database", `sqlite:${dir}/chat.db`, "--jwt-secret", "web-test-secret-0123456789abcdef"];
  let server = await startSioc(args);
  const port = server.port;
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ARGS });
  t.after(async () => {
    await browser.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const open = async (name) => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/register`);
    await page.getByLabel("Username").fill(name);
    await page.getByLabel("Password").fill("password-123");
    await page.getByRole("button", { name: "Register" }).click();
    await page.getByRole("button", { name: "Log out" }).waitFor();
    return page;
  };
  const a = await open("carol");
  const b = await open("dave");
  await a.getByRole("list", { name: "Online users" }).getByRole("button", { name: /dave/ }).click();
  await a.getByLabel("Message", { exact: true }).fill("before");
  await a.getByLabel("Message", { exact: true }).press("Enter");
  await b.getByRole("list", { name: "Chats" }).getByRole("button", { name: /carol/ }).click();
  await b.getByRole("list", { name: "Messages" }).getByText("before").waitFor();

  await server.stop();
  await a.getByRole("status").waitFor({ timeout: T(15000) });
  await a.getByLabel("Message", { exact: true }).fill("written offline");
  await a.getByLabel("Message", { exact: true }).press("Enter");
  await a.getByRole("list", { name: "Messages" }).getByRole("listitem").filter({ hasText: "written offline" }).filter({ hasText: "sending" }).waitFor();
  server = await startSioc(args, { port });
  const msgsB = b.getByRole("list", { name: "Messages" });
  await msgsB.getByText("written offline").waitFor({ timeout: T(30000) });
  await a.getByRole("status").waitFor({ state: "detached", timeout: T(15000) });
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await msgsB.getByText("written offline").count(), 1, "once, live");
  await b.reload();
  await b.getByRole("list", { name: "Messages" }).getByText("written offline").waitFor();
  await b.getByRole("list", { name: "Messages" }).getByText("before").waitFor();
  assert.equal(await b.getByRole("list", { name: "Messages" }).getByText("written offline").count(), 1, "once, after reload");
});
