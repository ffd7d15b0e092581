// web-features.test.mjs - what people do in the web app beyond a 1:1 chat, in chromium, driven by
// role, label and text only: a profile change (display name, colour) seen by the others; a public
// channel created, joined, used and left; reactions, an edit and a delete seen live by the other
// person; the typing line; a group created with a member, renamed, the member removed; message
// search; the emoji picker; away while the tab is hidden. Fails (never skips) when the app is not built.
import { test } from "node:test";
import assert from "node:assert/strict";
import { T } from "./lib/server.mjs";
import { messageItem, registerIn, say, shot, startWeb } from "./lib/web.mjs";

test("channels, groups, reactions, edits, deletes, typing, profile and search", { timeout: T(180000) }, async (t) => {
  const env = await startWeb("sioc-webft-");
  t.after(env.close);
  const { server, browser } = env;
  const alice = await registerIn(browser, server.url, "alice");
  const bob = await registerIn(browser, server.url, "bob");

  // profile: the new name reaches bob's Online users
  await alice.getByRole("button", { name: "Profile" }).click();
  const profile = alice.getByRole("dialog", { name: "Profile" });
  await profile.getByLabel("Display name").fill("Alice Liddell");
  await profile.getByRole("radio", { name: "Colour #c0245c" }).check();
  await shot(alice, "profile");
  await profile.getByRole("button", { name: "Save" }).click();
  await profile.waitFor({ state: "hidden" });
  await bob.getByRole("list", { name: "Online users" }).getByText("Alice Liddell").waitFor();

  // a public channel: created by alice, joined by bob
  await alice.getByRole("button", { name: "Channels" }).click();
  const channels = alice.getByRole("dialog", { name: "Channels" });
  await channels.getByText("No channels yet").waitFor();
  await channels.getByLabel("Channel name").fill("general");
  await channels.getByLabel("Topic").fill("Everything and nothing");
  await channels.getByRole("button", { name: "Create channel" }).click();
  await alice.getByRole("heading", { name: "#general" }).waitFor();
  await bob.getByRole("button", { name: "Channels" }).click();
  await bob.getByRole("dialog", { name: "Channels" }).getByRole("list", { name: "Public channels" }).getByText("Everything and nothing").waitFor();
  await shot(bob, "channels");
  await bob.getByRole("button", { name: "Join #general" }).click();
  await bob.getByRole("heading", { name: "#general" }).waitFor();
  await say(alice, "welcome all");
  const atBob = messageItem(bob, "welcome all", "Alice Liddell");
  await atBob.waitFor();

  // bob reacts, alice sees the chip
  await atBob.hover();
  await atBob.getByRole("button", { name: "React with 👍" }).click();
  await messageItem(alice, "welcome all").getByRole("button", { name: /👍 1/ }).waitFor();

  // typing: bob types, alice sees it, then it goes once he sends
  await bob.getByLabel("Message", { exact: true }).fill("I am wri");
  await alice.getByText("bob is typing…").waitFor();
  await bob.getByLabel("Message", { exact: true }).press("Enter");
  await messageItem(alice, "I am wri", "bob").waitFor();
  await alice.getByText("bob is typing…").waitFor({ state: "detached" });

  // alice edits, then deletes her message; bob sees both live
  const mine = messageItem(alice, "welcome all");
  await mine.hover();
  await mine.getByRole("button", { name: "Edit" }).click();
  const edit = alice.getByLabel("Edit message");
  await edit.fill("welcome, everyone");
  await edit.press("Enter");
  await messageItem(bob, "welcome, everyone").filter({ hasText: "(edited)" }).waitFor();
  await alice.getByRole("button", { name: "Dark theme" }).click();
  const edited = messageItem(alice, "welcome, everyone");
  await edited.hover();
  await shot(alice, "chat-actions-dark");
  await edited.getByRole("button", { name: "Delete" }).click();
  await edited.getByText("Delete this message?").waitFor();
  await edited.getByRole("button", { name: "Delete" }).click();
  await messageItem(bob, "This message was deleted").waitFor();
  assert.equal(await messageItem(bob, "welcome, everyone").count(), 0);
  await alice.getByRole("button", { name: "Light theme" }).click();

  // bob leaves the channel: it leaves his Chats
  await bob.getByRole("button", { name: "Leave channel" }).click();
  await bob.getByRole("list", { name: "Chats" }).getByText("#general").waitFor({ state: "detached" });

  // a group with bob: created, renamed, bob removed
  await alice.getByRole("button", { name: "New group" }).click();
  const ng = alice.getByRole("dialog", { name: "New group" });
  await ng.getByLabel("Group name").fill("team");
  await ng.getByRole("checkbox", { name: "bob" }).check();
  await ng.getByRole("button", { name: "Create group" }).click();
  await alice.getByRole("heading", { name: "team" }).waitFor();
  await bob.getByRole("list", { name: "Chats" }).getByRole("button", { name: "team" }).click();
  await say(bob, "group hello");
  await messageItem(alice, "group hello", "bob").waitFor();
  await alice.getByRole("button", { name: "Group settings" }).click();
  const gs = alice.getByRole("dialog", { name: "Group settings" });
  await gs.getByRole("list", { name: "Members" }).getByText("bob").waitFor();
  await gs.getByLabel("Group name").fill("core team");
  await gs.getByRole("button", { name: "Rename" }).click();
  await bob.getByRole("heading", { name: "core team" }).waitFor();
  await gs.getByRole("button", { name: "Remove bob" }).click();
  await bob.getByRole("list", { name: "Chats" }).getByText("core team").waitFor({ state: "detached" });
  await gs.getByRole("button", { name: "Close" }).click();

  // message search finds a message and opens its chat
  await alice.getByLabel("Search").fill("hello");
  const results = alice.getByRole("list", { name: "Search results" });
  await results.getByText("group hello").click();
  await alice.getByRole("heading", { name: "core team" }).waitFor();

  // the emoji picker loads on demand and writes into the composer
  await alice.getByRole("button", { name: "Emoji" }).click();
  await alice.getByRole("button", { name: /grinning face/i }).first().click();
  assert.match(await alice.getByLabel("Message", { exact: true }).inputValue(), /\p{Extended_Pictographic}/u);
  await shot(alice, "emoji");

  // alice's tab goes to the background: bob sees her away, then online again when she is back
  const hide = (hidden) => alice.evaluate((h) => {
    Object.defineProperty(document, "hidden", { value: h, configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
  }, hidden);
  const aliceAtBob = bob.getByRole("list", { name: "Online users" }).getByRole("button", { name: /Alice Liddell/ });
  await hide(true);
  await aliceAtBob.getByLabel("away").waitFor();
  await hide(false);
  await aliceAtBob.getByLabel("online").waitFor();
});
