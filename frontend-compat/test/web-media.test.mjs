// web-media.test.mjs - attachments in the web app (frontend-compat/web/out, served by sioc) in the
// Debian chromium driven by playwright-core, two people in two browser contexts: an image sent
// with "Attach file" appears in the other browser as a thumbnail (alt = the file name) that opens
// the full image; a voice note recorded with "Record voice note" (chromium's fake microphone)
// plays inline there; a PDF dropped on the composer arrives as a download link with its name and
// size, and the download holds the same bytes. Driven by role, label and text only.
// SIOC_SCREENSHOTS=1 writes docs/screenshots/chat-media.png.
import { test } from "node:test";
import assert from "node:assert/strict";
import { T } from "./lib/server.mjs";
import { messageItem, registerIn, shot, startWeb } from "./lib/web.mjs";
import { png } from "./lib/media.mjs";

const FAKE_MIC = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"];

test("an image, a voice note and a document sent from the chat appear in the other browser", { timeout: T(150000) }, async (t) => {
  const env = await startWeb("sioc-web-media-", [], { browserArgs: FAKE_MIC });
  t.after(env.close);
  const { server, browser } = env;
  const alice = await registerIn(browser, server.url, "alice");
  const bob = await registerIn(browser, server.url, "bob");
  await alice.getByRole("list", { name: "Online users" }).getByRole("button", { name: /bob/ }).click();
  await alice.getByText("No messages yet — say hello.").waitFor();

  // an image by "Attach file", with a caption
  const chooser = alice.waitForEvent("filechooser");
  await alice.getByRole("button", { name: "Attach file" }).click();
  await (await chooser).setFiles({ name: "sunset.png", mimeType: "image/png", buffer: png(640, 360) });
  await alice.getByRole("button", { name: "Remove sunset.png" }).waitFor();
  const send = alice.getByRole("button", { name: "Send" });
  await assert.doesNotReject(send.waitFor());
  await alice.getByLabel("Message", { exact: true }).fill("look at this");
  await alice.waitForFunction(() => !document.querySelector("form button[type=submit]")?.disabled);
  await send.click();
  await messageItem(alice, "look at this", "alice").getByRole("img", { name: "sunset.png" }).waitFor();

  await bob.getByRole("list", { name: "Chats" }).getByRole("button", { name: /alice/ }).click();
  const img = messageItem(bob, "look at this").getByRole("img", { name: "sunset.png" });
  await img.waitFor();
  await bob.waitForFunction(() => [...document.images].some((i) => i.alt === "sunset.png" && i.complete && i.naturalWidth > 0));
  const size = await img.evaluate((i) => [i.naturalWidth, i.naturalHeight]);
  assert.ok(size[0] <= 320 && size[0] > 0, `the thumbnail, not the full image: ${size}`);
  await bob.getByRole("button", { name: "Open image sunset.png" }).click();
  const box = bob.getByRole("dialog", { name: "sunset.png" });
  await box.getByRole("img", { name: "sunset.png" }).waitFor();
  await bob.waitForFunction(() => [...document.querySelectorAll("[role=dialog] img")].some((i) => i.naturalWidth === 640));
  await box.getByRole("button", { name: "Close" }).click();
  await box.waitFor({ state: "detached" });

  // a voice note: record, stop, send
  await alice.getByRole("button", { name: "Record voice note" }).click();
  await alice.getByRole("button", { name: "Stop recording" }).waitFor();
  await alice.waitForTimeout(1500);
  await alice.getByRole("button", { name: "Stop recording" }).click();
  await alice.getByRole("button", { name: /^Remove voice-note-.*\.(webm|ogg)$/ }).waitFor();
  await alice.waitForFunction(() => !document.querySelector("form button[type=submit]")?.disabled);
  await alice.getByRole("button", { name: "Send" }).click();
  const audio = bob.getByLabel(/^Voice note voice-note-/);
  await audio.waitFor();
  await bob.waitForFunction(() => [...document.querySelectorAll("audio")].some((a) => a.src.startsWith("blob:") && a.readyState >= 1));
  const duration = await audio.evaluate((a) => a.duration);
  assert.ok(duration > 0.5 || duration === Infinity, `voice note duration ${duration}`); // webm from MediaRecorder may not say

  // a document dropped on the composer
  const pdf = Buffer.from("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n", "latin1");
  await alice.getByLabel("Message", { exact: true }).evaluate((el, bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], "report.pdf", { type: "application/pdf" }));
    el.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, [...pdf]);
  await alice.getByRole("button", { name: "Remove report.pdf" }).waitFor();
  await alice.waitForFunction(() => !document.querySelector("form button[type=submit]")?.disabled);
  await alice.getByRole("button", { name: "Send" }).click();
  const link = bob.getByRole("link", { name: /report\.pdf \(\d+ B\)/ });
  await link.waitFor();
  const download = bob.waitForEvent("download");
  await link.click();
  const file = await download;
  assert.equal(file.suggestedFilename(), "report.pdf");
  const chunks = [];
  for await (const c of await file.createReadStream()) chunks.push(c);
  assert.ok(Buffer.concat(chunks).equals(pdf), "the downloaded bytes differ");
  await bob.mouse.move(5, 700); // no hover toolbar in the picture
  await shot(bob, "chat-media");
});
