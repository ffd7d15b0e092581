// web-chat.test.mjs - the web app (frontend-compat/web/out, served by `sioc --web-root`) in the
// Debian chromium driven by playwright-core: two users in two browser contexts register, see
// each other in `Online users`, chat 1:1 both ways, and a reload keeps the history and the theme;
// a third user logging out leaves the others' `Online users`. Driven only by role, label and
// text. Fails (never skips) when the app has not been built. SIOC_SCREENSHOTS=1 writes
// docs/screenshots/*.png.
import { test } from "node:test";
import assert from "node:assert/strict";
import { T } from "./lib/server.mjs";
import { messageItem, registerIn, say, shot, startWeb } from "./lib/web.mjs";

test("two users chat 1:1 in the web app", { timeout: T(120000) }, async (t) => {
  const env = await startWeb();
  t.after(env.close);
  const { server, browser } = env;
  const a = await (await browser.newContext()).newPage();
  await a.goto(`${server.url}/login`);
  await a.getByRole("button", { name: "Log in" }).waitFor();
  await shot(a, "login");
  await a.goto(`${server.url}/register`);
  await a.getByLabel("Display name").waitFor();
  await shot(a, "register");
  await a.close();
  const alice = await registerIn(browser, server.url, "alice");
  await alice.getByRole("heading", { name: /Welcome, alice/ }).waitFor();
  await shot(alice, "chat-empty");
  const bob = await registerIn(browser, server.url, "bob");
  await alice.getByRole("list", { name: "Online users" }).getByRole("button", { name: /bob/ }).click();
  await bob.getByRole("list", { name: "Online users" }).getByText("alice").waitFor();
  await alice.getByText("No messages yet — say hello.").waitFor();
  await say(alice, "hello bob");
  await messageItem(alice, "hello bob", "alice").waitFor();
  await bob.getByRole("list", { name: "Chats" }).getByRole("button", { name: /alice/ }).click();
  await messageItem(bob, "hello bob").waitFor();
  await bob.getByLabel("Message", { exact: true }).fill("hi alice");
  await bob.getByRole("button", { name: "Send" }).click();
  await messageItem(alice, "hi alice", "bob").waitFor();
  await alice.getByText("Seen by bob").waitFor(); // bob's read position reached alice's message
  await shot(alice, "chat-light");
  await alice.getByRole("button", { name: "Dark theme" }).click();
  await shot(alice, "chat-dark");
  await alice.reload();
  await messageItem(alice, "hi alice").waitFor();
  await messageItem(alice, "hello bob").waitFor();
  await alice.getByRole("button", { name: "Light theme" }).waitFor(); // the theme survived the reload
  // a third user logs in and out: she comes and goes in the others' Online users
  const eve = await registerIn(browser, server.url, "eve");
  const eveAtA = alice.getByRole("list", { name: "Online users" }).getByText("eve");
  await eveAtA.waitFor();
  await eve.getByRole("button", { name: "Log out" }).click();
  await eve.getByRole("button", { name: "Log in" }).waitFor();
  await eveAtA.waitFor({ state: "detached" });
  assert.equal(await bob.getByRole("list", { name: "Online users" }).getByText("eve").count(), 0);
  await alice.setViewportSize({ width: 375, height: 720 });
  await shot(alice, "chat-375");
  await alice.getByRole("button", { name: "Back" }).click();
  await alice.getByRole("list", { name: "Chats" }).waitFor();
  await shot(alice, "chat-375-list");
});
