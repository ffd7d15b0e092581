// web-reconnect.test.mjs - the web app across a server restart: sioc is stopped while alice
// writes, the `status` banner says it is reconnecting, the message waits as pending, and when
// sioc is back (same port, same database) it is delivered exactly once. Fails if the app is not built.
import { test } from "node:test";
import assert from "node:assert/strict";
import { T } from "./lib/server.mjs";
import { registerIn, startWeb } from "./lib/web.mjs";

test("a message written while sioc restarts arrives once", { timeout: T(120000) }, async (t) => {
  const env = await startWeb("sioc-webrc-");
  t.after(env.close);
  const open = (name) => registerIn(env.browser, env.server.url, name);
  const a = await open("carol");
  const b = await open("dave");
  await a.getByRole("list", { name: "Online users" }).getByRole("button", { name: /dave/ }).click();
  await a.getByLabel("Message", { exact: true }).fill("before");
  await a.getByLabel("Message", { exact: true }).press("Enter");
  await b.getByRole("list", { name: "Chats" }).getByRole("button", { name: /carol/ }).click();
  await b.getByRole("list", { name: "Messages" }).getByText("before").waitFor();

  await env.stopServer();
  await a.getByRole("status").waitFor({ timeout: T(15000) });
  await a.getByLabel("Message", { exact: true }).fill("written offline");
  await a.getByLabel("Message", { exact: true }).press("Enter");
  await a.getByRole("list", { name: "Messages" }).getByRole("listitem").filter({ hasText: "written offline" }).filter({ hasText: "sending" }).waitFor();
  await env.startServer();
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
