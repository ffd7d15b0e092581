// desk-call-web.test.mjs - the WebRTC audio call between /desk and /support in the Debian chromium
// (playwright-core) with its fake microphone and permission prompt, against a real sioc
// (docs/desk.md "Calls"): a customer writes on /support, an attendant takes the service and
// presses "Start audio call" ("Calling…"), the customer gets "Incoming call" and accepts, both
// pages reach "Connected" (the status shows RTCPeerConnection.connectionState "connected") with
// the elapsed time ticking, Mute / Unmute, the attendant hangs up and the customer sees the call
// ended; then a call the customer declines; no call button for someone who does not hold the
// service and the server's refusal of an unassigned attendant; and the ack errors of bad and
// oversized signals (socket.io-client). Driven by role, label and text. SIOC_SCREENSHOTS=1 writes
// docs/screenshots/desk-call-*.png and support-call-*.png (light, dark, 375 px).
import { test } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { T } from "./lib/server.mjs";
import { shot, startWeb } from "./lib/web.mjs";
import { emitAck } from "./lib/chat.mjs";
import { ADMIN_PASSWORD, api, desk, loginRetry, passwordFile } from "./lib/desk.mjs";

const FAKE_MIC = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"];

/** Run before a page's own scripts: every tone the page starts (frequency, wall-clock time) lands in
 * window.__tones, so a test can tell that it rang and that it stopped. */
const RECORD_TONES = () => {
  window.__tones = [];
  const create = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () {
    const osc = create.call(this);
    const start = osc.start.bind(osc);
    osc.start = (...a) => {
      window.__tones.push({ f: osc.frequency.value, t: Date.now() });
      return start(...a);
    };
    return osc;
  };
};

/** The tones of frequency `f` the page started after wall-clock time `since`. */
function tonesSince(page, f, since = 0) {
  return page.evaluate(([f, since]) => window.__tones.filter((x) => x.f === f && x.t > since).length, [f, since]);
}

async function loginPage(browser, url, username, password, lands = /\/desk$/, init = null) {
  const ctx = await browser.newContext();
  if (init) await ctx.addInitScript(init);
  const page = await ctx.newPage();
  await page.goto(`${url}/login`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(lands);
  return page;
}

async function createStaff(server, token, username, displayName) {
  const r = await api(server, "POST", "/v1/api/desk/users", { token, body: { username, password: "attendant-pw-1", displayName, role: "attendant" } });
  assert.equal(r.status, 201, r.text);
  return r.json.user;
}

const said = (page, text) => page.getByRole("list", { name: "Messages" }).getByRole("listitem").filter({ hasText: text });

async function write(page, text) {
  const box = page.getByRole("textbox", { name: "Message", exact: true });
  await box.fill(text);
  await box.press("Enter");
  await said(page, text).waitFor();
}

/** A customer on /support who wrote `text` (`init`: a script run before the page's own). */
async function customerWrites(browser, url, name, text, init = null) {
  const ctx = await browser.newContext();
  if (init) await ctx.addInitScript(init);
  const page = await ctx.newPage();
  await page.goto(`${url}/support`);
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Start chat" }).click();
  await page.getByText("Ask us anything").waitFor();
  await write(page, text);
  await page.getByText("Sending…").waitFor({ state: "detached" });
  return page;
}

/** The attendant takes `name`'s service from the Queue; resolves its id. */
async function take(page, name) {
  const item = page.getByRole("list", { name: "Queue" }).getByRole("listitem").filter({ hasText: name });
  await item.getByRole("button", { name: "Take", exact: true }).click();
  await page.waitForURL(/\/desk\?s=\d+$/);
  await page.getByRole("list", { name: "My services" }).getByText(name).waitFor();
  return Number(new URL(page.url()).searchParams.get("s"));
}

const callRegion = (page) => page.getByRole("region", { name: "Call" });
const status = (page) => callRegion(page).getByRole("status");
const elapsedText = (page) => callRegion(page).getByLabel("Elapsed time").textContent();

async function themed(page, name) {
  await shot(page, `${name}-light`);
  await page.getByRole("button", { name: "Dark theme" }).click();
  await shot(page, `${name}-dark`);
  await page.getByRole("button", { name: "Light theme" }).click();
}

test("an attendant calls a widget customer: ring, accept, connected, mute, hang up; decline; refusals", { timeout: T(180000) }, async (t) => {
  const env = await startWeb("sioc-desk-call-", ["--admin-username", "boss", "--admin-password-file", passwordFile()], { browserArgs: FAKE_MIC });
  t.after(env.close);
  const { server, browser } = env;
  const adminToken = await loginRetry(server, "boss", ADMIN_PASSWORD);
  await createStaff(server, adminToken, "alice", "Alice Agent");
  await createStaff(server, adminToken, "bruno", "Bruno Backup");

  const customer = await customerWrites(browser, server.url, "Carla Customer", "Can you call me? It is easier to explain.", RECORD_TONES);
  const alice = await loginPage(browser, server.url, "alice", "attendant-pw-1", /\/desk$/, RECORD_TONES);
  // queued: nobody can call it yet
  await alice.getByRole("list", { name: "Queue" }).getByRole("button", { name: /Carla Customer/ }).click();
  await alice.getByRole("button", { name: "Take", exact: true }).first().waitFor();
  assert.equal(await alice.getByRole("button", { name: "Start audio call" }).count(), 0, "no call before the service is taken");
  await alice.goto(`${server.url}/desk`);
  const sid = await take(alice, "Carla Customer");
  await said(alice, "Can you call me?").waitFor();

  // the attendant calls: "Calling…" until the customer answers
  await alice.getByRole("button", { name: "Start audio call" }).click();
  await status(alice).filter({ hasText: "Calling…" }).waitFor();
  assert.equal(await callRegion(alice).getByRole("button", { name: "Hang up" }).count(), 1);
  await shot(alice, "desk-call-calling");
  const incoming = customer.getByRole("alertdialog", { name: "Incoming call" });
  await incoming.waitFor();
  assert.equal(await incoming.getByRole("button", { name: "Accept" }).count(), 1);
  assert.equal(await incoming.getByRole("button", { name: "Decline" }).count(), 1);
  await shot(customer, "support-call-incoming");
  // the customer's page rings (440 + 480 Hz); the attendant hears the ringback (425 Hz)
  await customer.waitForFunction(() => window.__tones.some((x) => x.f === 440) && window.__tones.some((x) => x.f === 480), null, { timeout: T(5000) });
  await alice.waitForFunction(() => window.__tones.some((x) => x.f === 425), null, { timeout: T(5000) });
  await incoming.getByRole("button", { name: "Accept" }).click();
  await incoming.waitFor({ state: "detached" });
  const answeredAt = await customer.evaluate(() => Date.now());

  // both browsers connect peer to peer (the status is RTCPeerConnection's "connected") and the time runs
  await status(alice).filter({ hasText: "Connected" }).waitFor({ timeout: T(20000) });
  await status(customer).filter({ hasText: "Connected" }).waitFor({ timeout: T(20000) });
  const t0 = await elapsedText(alice);
  assert.match(t0, /^0:0\d$/);
  await alice.waitForFunction((before) => document.querySelector('[aria-label="Elapsed time"]')?.textContent !== before, t0, { timeout: T(5000) });
  assert.notEqual(await elapsedText(alice), t0, "the elapsed time moves");
  assert.match(await elapsedText(customer), /^0:0\d$/);
  // mute and unmute
  await callRegion(alice).getByRole("button", { name: "Mute" }).click();
  await callRegion(alice).getByRole("button", { name: "Unmute" }).waitFor();
  await themed(alice, "desk-call-connected");
  await callRegion(alice).getByRole("button", { name: "Unmute" }).click();
  await callRegion(alice).getByRole("button", { name: "Mute" }).waitFor();
  await themed(customer, "support-call-connected");
  await alice.setViewportSize({ width: 375, height: 720 });
  await shot(alice, "desk-call-375");
  await alice.setViewportSize({ width: 1280, height: 720 });
  await customer.setViewportSize({ width: 375, height: 720 });
  await shot(customer, "support-call-375");
  await customer.setViewportSize({ width: 1280, height: 720 });

  // answered: the ringing and the ringback stopped (checked once more than a ring cycle went by)
  await new Promise((r) => setTimeout(r, Math.max(0, answeredAt + 3500 - Date.now())));
  assert.equal(await tonesSince(customer, 440, answeredAt + 500), 0, "the customer's page still rings");
  assert.equal(await tonesSince(alice, 425, answeredAt + 500), 0, "the ringback goes on");
  // the attendant hangs up: both pages say so, with the duration
  await callRegion(alice).getByRole("button", { name: "Hang up" }).click();
  await customer.getByRole("status").filter({ hasText: /^The attendant hung up · 0:0\d$/ }).waitFor();
  await alice.getByRole("status").filter({ hasText: /^Call ended · 0:0\d$/ }).waitFor();
  assert.equal(await callRegion(customer).count(), 0, "the customer's call panel is gone");
  assert.equal(await callRegion(alice).count(), 0);
  await shot(customer, "support-call-ended");
  await customer.getByRole("button", { name: "Close" }).click();
  await customer.getByRole("status").filter({ hasText: "hung up" }).waitFor({ state: "detached" });

  // a second call, declined by the customer
  await alice.getByRole("button", { name: "Start audio call" }).click();
  await incoming.waitFor();
  await incoming.getByRole("button", { name: "Decline" }).click();
  await alice.getByRole("status").filter({ hasText: "The customer declined the call" }).waitFor();
  await customer.getByRole("status").filter({ hasText: "Call declined" }).waitFor();
  await alice.getByRole("button", { name: "Start audio call" }).waitFor();

  // a third, hung up by the customer while it is connected
  await alice.getByRole("button", { name: "Start audio call" }).click();
  await incoming.getByRole("button", { name: "Accept" }).click();
  await status(customer).filter({ hasText: "Connected" }).waitFor({ timeout: T(20000) });
  await callRegion(customer).getByRole("button", { name: "Hang up" }).click();
  await alice.getByRole("status").filter({ hasText: /^The customer hung up · \d:\d\d$/ }).waitFor();
  await customer.getByRole("status").filter({ hasText: /^Call ended · \d:\d\d$/ }).waitFor();

  // someone who does not hold the service has no call button, and the server refuses them
  const boss = await loginPage(browser, server.url, "boss", ADMIN_PASSWORD, /\/admin$/);
  await boss.goto(`${server.url}/desk?s=${sid}`);
  await said(boss, "Can you call me?").waitFor();
  await boss.getByRole("button", { name: "Finish", exact: true }).waitFor();
  assert.equal(await boss.getByRole("button", { name: "Start audio call" }).count(), 0, "the admin holds no call button for alice's service");
  const brunoToken = await loginRetry(server, "bruno", "attendant-pw-1");
  const bruno = await desk(server, brunoToken);
  const aliceToken = await loginRetry(server, "alice", "attendant-pw-1");
  const aliceSock = await desk(server, aliceToken);
  try {
    const refused = await emitAck(bruno.socket, "call:start", { serviceId: sid });
    assert.equal(refused.ok, false);
    assert.equal(refused.error.code, "not_your_service");
    // bad and oversized signals: an ack error each, and the server goes on
    const tooBig = await emitAck(aliceSock.socket, "call:signal", { serviceId: sid, callId: "x", type: "offer", data: { type: "offer", sdp: "v=0\r\n" + "a".repeat(20000) } });
    assert.equal(tooBig.error.code, "payload_too_large");
    const junk = await emitAck(aliceSock.socket, "call:signal", { serviceId: sid, callId: "x", type: "offer", data: { type: "offer", sdp: "<script>" } });
    assert.equal(junk.error.code, "invalid_signal");
    const notInCall = await emitAck(aliceSock.socket, "call:signal", { serviceId: sid, callId: "x", type: "ice", data: null });
    assert.equal(notInCall.error.code, "call_not_found");
    const notAnObject = await emitAck(aliceSock.socket, "call:signal", 42);
    assert.equal(notAnObject.error.code, "invalid_body");
  } finally {
    bruno.socket.close();
    aliceSock.socket.close();
  }
  // the pages still work: a message goes through
  await write(alice, "Thanks for the call!");
  await said(customer, "Thanks for the call!").waitFor();

  // a browser that refuses the microphone: the attendant's call does not ring, the customer's
  // accept turns into a decline, both say why in words
  const denying = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--use-fake-device-for-media-stream"] });
  t.after(() => denying.close());
  const aliceDenied = await loginPage(denying, server.url, "alice", "attendant-pw-1");
  await aliceDenied.goto(`${server.url}/desk?s=${sid}`);
  await aliceDenied.getByRole("button", { name: "Start audio call" }).click();
  await aliceDenied.getByRole("alert").filter({ hasText: "Microphone access was denied. Allow the microphone for this site and try again." }).waitFor();
  await aliceDenied.getByRole("button", { name: "Start audio call" }).waitFor();
  await customer.waitForTimeout(500);
  assert.equal(await incoming.count(), 0, "nothing rang");
  await aliceDenied.close();
  const dora = await customerWrites(denying, server.url, "Dora Denied", "Call me, please");
  await alice.goto(`${server.url}/desk`);
  await take(alice, "Dora Denied");
  await alice.getByRole("button", { name: "Start audio call" }).click();
  const doraIncoming = dora.getByRole("alertdialog", { name: "Incoming call" });
  await doraIncoming.getByRole("button", { name: "Accept" }).click();
  await dora.getByRole("alert").filter({ hasText: "Microphone access was denied" }).waitFor();
  await shot(dora, "support-call-mic-denied");
  await alice.getByRole("status").filter({ hasText: "The customer declined the call" }).waitFor();

  // no route between the browsers (the customer's side may use relays only, and there is no
  // TURN server): both give up and say the other side cannot be reached
  const relayOnly = () => {
    const Real = window.RTCPeerConnection;
    window.RTCPeerConnection = function (cfg) {
      return new Real({ ...cfg, iceTransportPolicy: "relay" });
    };
    window.RTCPeerConnection.prototype = Real.prototype;
  };
  const eve = await customerWrites(browser, server.url, "Eve Elsewhere", "Call me from far away", relayOnly);
  await alice.goto(`${server.url}/desk`);
  await take(alice, "Eve Elsewhere");
  await alice.getByRole("button", { name: "Start audio call" }).click();
  await eve.getByRole("alertdialog", { name: "Incoming call" }).getByRole("button", { name: "Accept" }).click();
  await status(eve).filter({ hasText: "Connecting…" }).waitFor();
  const unreachable = "The call could not connect: the other side cannot be reached.";
  await alice.getByRole("alert").filter({ hasText: unreachable }).waitFor({ timeout: T(45000) });
  await eve.getByRole("alert").filter({ hasText: unreachable }).waitFor({ timeout: T(10000) });
  assert.equal(await status(alice).filter({ hasText: "Connected" }).count(), 0);
});
