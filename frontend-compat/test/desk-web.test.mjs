// desk-web.test.mjs - the support desk's pages (/support, /desk, /admin of frontend-compat/web)
// in the Debian chromium driven by playwright-core, against a real sioc with a first admin: a
// customer starts a chat on /support, an attendant logs in through /login (lands on /desk),
// takes the service from the Queue, they talk both ways, a reload of the widget keeps the
// history, the title badge counts a customer message while no service is shown, the attendant
// transfers to a colleague who finishes, the customer rates 5 stars, and the admin's dashboard
// and service list show the finished service and its rating. An attendant gets "Admins only" on
// /admin (and 403 from the API). Driven only by role, label and text. SIOC_SCREENSHOTS=1 writes
// docs/screenshots/desk-*.png, admin-*.png, support-*.png (light, dark, 375 px).
import { test } from "node:test";
import assert from "node:assert/strict";
import { T } from "./lib/server.mjs";
import { shot, staffLogin as loginPage, startWeb } from "./lib/web.mjs";
import { ADMIN_PASSWORD, api, loginRetry, passwordFile } from "./lib/desk.mjs";

async function createStaff(server, token, username, displayName, role = "attendant") {
  const r = await api(server, "POST", "/v1/api/desk/users", { token, body: { username, password: "attendant-pw-1", displayName, role } });
  assert.equal(r.status, 201, r.text);
  return r.json.user;
}

const messages = (page) => page.getByRole("list", { name: "Messages" });
const said = (page, text) => messages(page).getByRole("listitem").filter({ hasText: text });

async function write(page, text) {
  const box = page.getByRole("textbox", { name: "Message", exact: true });
  await box.fill(text);
  await box.press("Enter");
}

async function themed(page, name) {
  await shot(page, `${name}-light`);
  await page.getByRole("button", { name: "Dark theme" }).click();
  await shot(page, `${name}-dark`);
  await page.getByRole("button", { name: "Light theme" }).click();
}

test("customer and attendants talk on /support and /desk; the admin sees it on /admin", { timeout: T(180000) }, async (t) => {
  const env = await startWeb("sioc-desk-web-", ["--admin-username", "boss", "--admin-password-file", passwordFile()]);
  t.after(env.close);
  const { server, browser } = env;
  const adminToken = await loginRetry(server, "boss", ADMIN_PASSWORD);
  await createStaff(server, adminToken, "alice", "Alice Agent");
  await createStaff(server, adminToken, "bruno", "Bruno Backup");

  // the customer starts a chat
  const customer = await (await browser.newContext()).newPage();
  await customer.goto(`${server.url}/support`);
  await customer.getByRole("heading", { name: "Support" }).waitFor();
  await shot(customer, "support-start");
  await customer.getByLabel("Name").fill("Carla Customer");
  await customer.getByLabel("E-mail").fill("carla@example.com");
  await customer.getByRole("button", { name: "Start chat" }).click();
  await customer.getByText("Ask us anything").waitFor();
  await write(customer, "My printer is on fire");
  await said(customer, "My printer is on fire").waitFor();
  await customer.getByText("Sending…").waitFor({ state: "detached" });

  // the attendant logs in and lands on /desk; the service waits in the Queue
  const alice = await loginPage(browser, server.url, "alice", "attendant-pw-1");
  await alice.waitForURL(/\/desk$/);
  const queue = alice.getByRole("list", { name: "Queue" });
  await queue.getByRole("listitem").filter({ hasText: "Carla Customer" }).waitFor();
  await alice.getByRole("heading", { name: /^My services/ }).waitFor();
  await alice.getByText("You hold no service").waitFor();
  await shot(alice, "desk-queue");
  await queue.getByRole("listitem").filter({ hasText: "Carla Customer" }).getByRole("button", { name: "Take", exact: true }).click();
  await alice.waitForURL(/\/desk\?s=\d+$/);
  await alice.getByRole("list", { name: "My services" }).getByText("Carla Customer").waitFor();
  await said(alice, "My printer is on fire").waitFor();
  await write(alice, "Unplug it and step away, please.");
  await said(alice, "Unplug it and step away").waitFor();
  await said(customer, "Unplug it and step away").waitFor();
  await write(customer, "Done, it is out");
  await said(alice, "Done, it is out").waitFor();

  // a reload of the widget gets the whole conversation back
  await customer.reload();
  await said(customer, "My printer is on fire").waitFor();
  await said(customer, "Unplug it and step away").waitFor();
  await said(customer, "Done, it is out").waitFor();
  await shot(customer, "support-chat-light");
  await customer.getByRole("button", { name: "Dark theme" }).click();
  await shot(customer, "support-chat-dark");
  await customer.getByRole("button", { name: "Light theme" }).click();

  // no service shown: a customer message makes the title badge "(1) ..."
  await alice.goto(`${server.url}/desk`);
  await alice.getByRole("list", { name: "My services" }).getByText("Carla Customer").waitFor();
  await write(customer, "Are you still there?");
  await alice.waitForFunction(() => document.title.startsWith("(1) "));
  await alice.getByRole("list", { name: "My services" }).getByText("Are you still there?").waitFor();
  await alice.getByRole("list", { name: "My services" }).getByRole("button", { name: /Carla Customer/ }).click();
  await alice.waitForFunction(() => !document.title.startsWith("("));
  await said(alice, "Are you still there?").waitFor();
  await write(alice, "Yes! A colleague takes over now.");
  await said(customer, "A colleague takes over").waitFor();
  await themed(alice, "desk-conversation");

  // transfer to bruno, who finishes it
  const bruno = await loginPage(browser, server.url, "bruno", "attendant-pw-1");
  await bruno.waitForURL(/\/desk$/);
  await alice.getByRole("button", { name: "Transfer", exact: true }).click();
  const transfer = alice.getByRole("dialog", { name: "Transfer to another attendant" });
  await transfer.getByLabel("Attendant").selectOption({ label: "Bruno Backup (bruno)" });
  await transfer.getByRole("button", { name: "Transfer", exact: true }).click();
  await transfer.waitFor({ state: "hidden" });
  await alice.getByRole("list", { name: "My services" }).getByText("Carla Customer").waitFor({ state: "detached" });
  await bruno.getByRole("list", { name: "My services" }).getByRole("button", { name: /Carla Customer/ }).click();
  await said(bruno, "Unplug it and step away").waitFor();
  await bruno.getByRole("button", { name: "Finish", exact: true }).click();
  const finish = bruno.getByRole("dialog", { name: "Finish this service?" });
  await finish.getByRole("button", { name: "Finish", exact: true }).click();
  await bruno.getByText("Finished · waiting for the customer's rating").waitFor();

  // the customer rates
  const rating = customer.getByRole("radiogroup", { name: "Rating" });
  await rating.waitFor();
  await shot(customer, "support-rating");
  await rating.getByRole("radio", { name: "5 stars" }).check();
  await customer.getByLabel("Comment (optional)").fill("Fast and calm");
  await customer.getByRole("button", { name: "Send rating" }).click();
  await customer.getByText("Thank you for your rating!").waitFor();
  await bruno.getByText("Finished · rated 5 of 5: “Fast and calm”").waitFor();
  await customer.getByRole("button", { name: "New conversation" }).click();
  await customer.getByRole("textbox", { name: "Message", exact: true }).waitFor();

  // an attendant cannot open admin: the page says so and the API answers 403
  await alice.goto(`${server.url}/admin`);
  await alice.getByRole("heading", { name: "Admins only" }).waitFor();
  assert.equal(await alice.getByRole("tab", { name: "Users" }).count(), 0);
  await shot(alice, "admin-denied");
  const aliceToken = await alice.evaluate(() => JSON.parse(localStorage.getItem("sioc.auth")).accessToken);
  const denied = await api(server, "GET", "/v1/api/desk/stats", { token: aliceToken });
  assert.equal(denied.status, 403);
  assert.equal(denied.json.error.code, "admin_only");

  // the admin logs in (lands on /admin): the dashboard shows the finished service and the rating
  const admin = await loginPage(browser, server.url, "boss", ADMIN_PASSWORD);
  await admin.waitForURL(/\/admin$/);
  await admin.getByRole("tab", { name: "Dashboard", selected: true }).waitFor();
  const figures = admin.getByRole("region", { name: "Figures" });
  await figures.getByRole("group", { name: "Finished" }).getByText("1", { exact: true }).waitFor();
  await figures.getByRole("group", { name: "Average rating" }).getByText("5.0", { exact: true }).waitFor();
  const per = admin.getByRole("table", { name: "Per attendant" });
  await per.getByRole("row").filter({ hasText: "Bruno Backup" }).waitFor();
  await admin.getByRole("list", { name: "Rating counts" }).getByRole("listitem").filter({ hasText: "5 ★" }).getByText("1", { exact: true }).waitFor();
  await admin.getByRole("figure", { name: "Ratings chart" }).locator("svg").first().waitFor();
  await themed(admin, "admin-dashboard");
  const [download] = await Promise.all([admin.waitForEvent("download"), admin.getByRole("link", { name: "Download CSV" }).click()]);
  const csv = await (await download.createReadStream()).toArray();
  assert.match(Buffer.concat(csv).toString(), /total/);

  // the service list and the detail with every message and the rating
  await admin.getByRole("tab", { name: "Services" }).click();
  await admin.getByLabel("Status").selectOption("finished");
  const services = admin.getByRole("table", { name: "Services" });
  await services.getByRole("row").filter({ hasText: "Bruno Backup" }).waitFor();
  await services.getByRole("button", { name: "Carla Customer" }).click();
  await said(admin, "My printer is on fire").waitFor();
  await said(admin, "Yes! A colleague takes over now.").waitFor();
  await admin.getByText("5 of 5 — “Fast and calm”").waitFor();
  await shot(admin, "admin-service");

  // users: the staff table, create one, the one-time reset link; channels: none configured yet
  await admin.getByRole("tab", { name: "Users" }).click();
  await admin.getByRole("table", { name: "Staff users" }).getByRole("row").filter({ hasText: "alice" }).waitFor();
  const create = admin.getByRole("region", { name: "New staff user" });
  await create.getByLabel("Username").fill("carol");
  await create.getByLabel("Password").fill("carol-pw-123");
  await create.getByLabel("Role").selectOption("admin");
  await create.getByRole("button", { name: "Create user" }).click();
  const carol = admin.getByRole("table", { name: "Staff users" }).getByRole("row").filter({ hasText: "carol" });
  await carol.waitFor();
  assert.equal(await carol.getByLabel("Role of carol").inputValue(), "admin");
  await carol.getByRole("button", { name: "Deactivate carol" }).click();
  await carol.getByText("Deactivated").waitFor();
  await carol.getByRole("button", { name: "Reactivate carol" }).click();
  await carol.getByText("Active", { exact: true }).waitFor();
  await carol.getByRole("button", { name: "Reset password of carol" }).click();
  const reset = admin.getByRole("dialog", { name: "One-time password reset" });
  const link = await reset.getByLabel("Reset link").inputValue();
  assert.match(link, /\/desk\/reset\?token=/);
  await shot(admin, "admin-users");
  await reset.getByRole("button", { name: "Done" }).click();
  // the one-time link sets a new password; carol (an admin) then lands on /admin
  const carolPage = await (await browser.newContext()).newPage();
  await carolPage.goto(link);
  await carolPage.getByLabel("New password").fill("carol-new-pw-1");
  await carolPage.getByRole("button", { name: "Set password" }).click();
  await carolPage.getByText("Your password is set.").waitFor();
  await carolPage.getByRole("link", { name: "Log in" }).click();
  await carolPage.getByLabel("Username").fill("carol");
  await carolPage.getByLabel("Password").fill("carol-new-pw-1");
  await carolPage.getByRole("button", { name: "Log in" }).click();
  await carolPage.waitForURL(/\/admin$/);
  await carolPage.goto(link);
  await carolPage.getByLabel("New password").fill("carol-new-pw-2");
  await carolPage.getByRole("button", { name: "Set password" }).click();
  await carolPage.getByText("This link is used up or expired").waitFor();
  assert.equal(await admin.getByRole("button", { name: /delete/i }).count(), 0, "nothing can be deleted");
  await admin.getByRole("tab", { name: "Channels" }).click();
  await admin.getByRole("region", { name: "Channels" }).waitFor();
  await admin.getByText(/No outside channels configured|enabled/).first().waitFor();

  // phone width
  await admin.getByRole("tab", { name: "Dashboard" }).click();
  await admin.setViewportSize({ width: 375, height: 780 });
  await shot(admin, "admin-375");
  await bruno.setViewportSize({ width: 375, height: 720 });
  await shot(bruno, "desk-375");
  await bruno.getByRole("button", { name: "Back" }).click();
  await bruno.getByRole("heading", { name: /^Queue/ }).waitFor();
  await shot(bruno, "desk-375-list");
  await customer.setViewportSize({ width: 375, height: 720 });
  await shot(customer, "support-375");
});

test("widget.js puts a button and the /support iframe on another page", { timeout: T(60000) }, async (t) => {
  const env = await startWeb("sioc-widget-js-", ["--admin-username", "boss", "--admin-password-file", passwordFile()]);
  t.after(env.close);
  const page = await (await env.browser.newContext()).newPage();
  // a page of "another site" (about:blank origin) with the one script tag
  await page.setContent(`<!doctype html><html><body><h1>Shop</h1><script src="${env.server.url}/widget.js"></script></body></html>`);
  await page.getByRole("button", { name: "Open support chat" }).click();
  const frame = page.frameLocator('iframe[title="Support chat"]');
  await frame.getByRole("button", { name: "Start chat" }).waitFor();
  await frame.getByRole("button", { name: "Close chat" }).click();
  await page.getByRole("button", { name: "Open support chat" }).waitFor();
  assert.equal(await page.locator('iframe[title="Support chat"]').isVisible(), false);
});
