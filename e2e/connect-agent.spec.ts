import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { APIRequestContext, Page } from "@playwright/test";
import { agentApi, expect, reviewerSession, signInWithForm, test, unique, waitForLiveQueue } from "./support/fixtures.ts";

const exec = promisify(execFile);

// Set SCREENSHOT_DIR to keep screenshots (desktop and phone) for a person to look at.
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR;

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOT_DIR) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Runs a snippet as an admin would paste it into a terminal: bash, a bare environment, no profile. */
async function runInShell(script: string): Promise<string> {
  const bare: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
  const { stdout } = await exec("bash", ["-c", script], { env: bare as NodeJS.ProcessEnv, timeout: 30_000 });
  return stdout;
}

/** The text of one snippet exactly as the page shows it. */
async function snippetText(page: Page, id: string): Promise<string> {
  const code = page.locator(`[data-snippet-id="${id}"]`).getByTestId("snippet-code");
  await expect(code).toBeVisible();
  return (await code.textContent()) ?? "";
}

async function createAgentInConsole(page: Page): Promise<{ name: string; key: string; id: string }> {
  const name = unique("connect").replace(" ", "-");
  await page.getByRole("button", { name: "New agent" }).click();
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByRole("button", { name: "Create agent" }).click();
  const key = (await page.getByTestId("secret-value").textContent())!.trim();
  expect(key).toMatch(/^csk_/);
  const row = page.getByTestId("agent-row").filter({ hasText: name });
  const id = (await row.getAttribute("data-agent-id"))!;
  expect(id).toMatch(/^agt_/);
  return { name, key, id };
}

test("after creating an agent the admin copies Connect snippets with its real key, and the displayed curl commands really ask, wait and redeem", async ({
  page,
  context,
  browser,
  app,
}) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: app.url });
  await signInWithForm(page, app.admin, "/admin/agents");
  const agent = await createAgentInConsole(page);

  // The Connect view is shown inline, built from the create response, with the key filled in once.
  const connect = page.getByTestId("connect-agent");
  await expect(connect).toHaveAttribute("data-key-shown", "true");
  await expect(page.getByTestId("one-time-secret")).toContainText("Shown once: copy it now.");
  await expect(page.getByTestId("connect-key-notice")).toContainText("Shown once: these snippets contain the new key.");
  const env = await snippetText(page, "env");
  expect(env).toContain(`export COUNTERSIGN_URL=${app.url}`);
  expect(env).toContain(`export COUNTERSIGN_AGENT_KEY=${agent.key}`);
  expect(env).toContain(agent.id);
  const create = await snippetText(page, "curl-create");
  expect(create).toContain(`Authorization: Bearer ${agent.key}`);
  expect(create).toContain(`${app.url}/api/v1/requests`);

  // Copy puts exactly the shown text on the clipboard.
  await page.getByRole("button", { name: "Copy curl: 1. Ask for approval" }).click();
  await expect(page.locator('[data-snippet-id="curl-create"]').getByRole("button", { name: /Copy/ })).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(create);

  // Run the create command exactly as displayed: the gateway answers with a new pending request for this agent…
  const created = JSON.parse(await runInShell(create)) as { id: string; agent_id: string; status: string; action: string };
  expect(created).toMatchObject({ agent_id: agent.id, status: "pending", action: "payments.refund" });
  expect(created.id).toMatch(/^req_/);
  expect((await agentApi(agent.key).getRequest(created.id)).status).toBe("pending");

  // …that a reviewer sees in the live queue.
  const reviewerContext = await browser.newContext();
  const reviewerPage = await reviewerContext.newPage();
  await signInWithForm(reviewerPage, app.reviewer);
  await waitForLiveQueue(reviewerPage);
  const row = reviewerPage.locator(`[data-testid="request-row"][data-request-id="${created.id}"]`);
  await expect(row).toContainText(agent.name);
  await expect(row).toContainText("Refund $500 to customer cus_123");
  await reviewerContext.close();

  // Step 2, with the id filled in as the comment says: it waits, and returns as soon as the reviewer approves.
  const wait = (await snippetText(page, "curl-wait")).replace("REQUEST_ID='req_…'", `REQUEST_ID=${created.id}`);
  expect(wait).toContain(`REQUEST_ID=${created.id}`);
  const waiting = runInShell(wait);
  // Approve only once the snippet's long-wait is parked on the server, so the approval is what answers it.
  await expect.poll(() => waitingAgents(page.request)).toBeGreaterThan(0);
  const reviewer = await reviewerSession(app.reviewer);
  expect((await reviewer.decide(created.id, "approve", "Duplicate charge confirmed")).status).toBe(200);
  const approved = JSON.parse(await waiting) as { status: string; grant: { token: string } };
  expect(approved.status).toBe("approved");
  expect(approved.grant.token).toMatch(/^eyJ/);

  // Step 3, with the grant filled in: redeemed once for the approved action and parameters.
  const redeem = (await snippetText(page, "curl-redeem")).replace("GRANT_TOKEN='eyJ…'", `GRANT_TOKEN=${approved.grant.token}`);
  const redeemed = JSON.parse(await runInShell(redeem)) as { request_id: string; action: string; params: unknown };
  expect(redeemed).toMatchObject({ request_id: created.id, action: "payments.refund", params: { amount: 500, currency: "USD" } });
  expect(JSON.parse(await runInShell(redeem))).toMatchObject({ status: 409, code: "grant_already_redeemed" });

  // The other tabs carry the same agent and URL; the MCP config is valid JSON with the key.
  await page.getByRole("tab", { name: "TypeScript" }).click();
  expect(await snippetText(page, "ts-request")).toContain(`import { Countersign } from "@countersign/sdk";`);
  await page.getByRole("tab", { name: "Python" }).click();
  expect(await snippetText(page, "py-request")).toContain("from countersign import Client");
  await page.getByRole("tab", { name: "MCP", exact: true }).click();
  expect(JSON.parse(await snippetText(page, "mcp-config"))).toEqual({
    mcpServers: {
      countersign: {
        command: "node",
        args: ["/path/to/countersign/bin/countersign.mjs", "mcp"],
        env: { COUNTERSIGN_URL: app.url, COUNTERSIGN_AGENT_KEY: agent.key },
      },
    },
  });
  // The MCP gateway tab wraps an existing server's command in `countersign mcp-proxy`, with the same URL and key.
  await page.getByRole("tab", { name: "MCP gateway" }).click();
  const gateway = JSON.parse(await snippetText(page, "mcp-gateway-stdio")).mcpServers.filesystem;
  expect(gateway.args.slice(1, 5)).toEqual(["mcp-proxy", "--name", "filesystem", "--"]);
  expect(gateway.env).toEqual({ COUNTERSIGN_URL: app.url, COUNTERSIGN_AGENT_KEY: agent.key });
  expect(await snippetText(page, "mcp-gateway-rules")).toContain(`agents: { names: [${JSON.stringify(agent.name)}] }`);
  // Arrow keys move between tabs.
  await page.getByRole("tab", { name: "MCP gateway" }).press("ArrowRight");
  await expect(page.getByRole("tab", { name: "curl" })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByRole("tab", { name: "curl" })).toBeFocused();

  // Done: the key and the snippets holding it are gone; nothing kept it in the URL or in storage.
  await page.getByRole("button", { name: "Done" }).click();
  await expect(connect).toHaveCount(0);
  expect(page.url()).not.toContain(agent.key);
  const stored = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }));
  expect(stored).not.toContain(agent.key.split("_")[2]);

  // Later, from the agent's page: Connect shows a placeholder, never the key.
  await page.getByTestId("agent-row").filter({ hasText: agent.name }).click();
  await page.getByRole("link", { name: "Connect", exact: true }).click();
  await expect(page).toHaveURL(`${app.url}/admin/agents/${agent.id}/connect`);
  await expect(page.getByRole("heading", { name: `Connect ${agent.name}` })).toBeVisible();
  await expect(page.getByTestId("connect-agent")).toHaveAttribute("data-key-shown", "false");
  await expect(page.getByTestId("connect-key-notice")).toContainText("cannot be shown again");
  expect(await snippetText(page, "env")).toContain("export COUNTERSIGN_AGENT_KEY='csk_…'");
  expect(await snippetText(page, "curl-create")).toContain('"Authorization: Bearer ${COUNTERSIGN_AGENT_KEY}"');
  expect(await page.content()).not.toContain(agent.key.split("_")[2]);
});

test("issuing a key from the Connect page fills it into the snippets until Done; the agent's page does the same inline", async ({ page, app }) => {
  await signInWithForm(page, app.admin, "/admin/agents");
  const agent = await createAgentInConsole(page);
  await page.getByRole("button", { name: "Done" }).click();

  await page.goto(`/admin/agents/${agent.id}/connect`);
  await expect(page.getByTestId("connect-agent")).toHaveAttribute("data-key-shown", "false");
  await page.getByRole("button", { name: "Issue a new key" }).click();
  await expect(page.getByTestId("connect-agent")).toHaveAttribute("data-key-shown", "true");
  const key = (await page.getByTestId("secret-value").textContent())!.trim();
  expect(key).toMatch(/^csk_/);
  expect(key).not.toBe(agent.key);
  expect(await snippetText(page, "env")).toContain(`export COUNTERSIGN_AGENT_KEY=${key}`);
  // The snippet works with the new key.
  const created = JSON.parse(await runInShell(await snippetText(page, "curl-create"))) as { agent_id: string; status: string };
  expect(created).toMatchObject({ agent_id: agent.id, status: "pending" });

  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByTestId("connect-agent")).toHaveAttribute("data-key-shown", "false");
  await page.reload();
  await expect(page.getByTestId("connect-agent")).toHaveAttribute("data-key-shown", "false");
  expect(await page.content()).not.toContain(key.split("_")[2]);

  // On the agent's page, "Issue new key" shows the same snippets inline with that key.
  await page.goto(`/admin/agents/${agent.id}`);
  await page.getByRole("button", { name: "Issue new key" }).click();
  const third = (await page.getByTestId("secret-value").textContent())!.trim();
  await expect(page.getByTestId("connect-agent")).toHaveAttribute("data-key-shown", "true");
  expect(await snippetText(page, "curl-create")).toContain(`Authorization: Bearer ${third}`);
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByTestId("connect-agent")).toHaveCount(0);
});

test("the MCP gateway tab shows the host config that puts an existing MCP server behind Countersign", async ({ page, app }) => {
  await signInWithForm(page, app.admin, `/admin/agents/${app.agents.ops.id}/connect`);
  await page.getByRole("tab", { name: "MCP gateway" }).click();
  const panel = page.getByTestId("snippets-mcp-gateway");
  await expect(panel).toBeVisible();
  await expect(panel).toContainText("Gate an MCP server the host runs");
  await expect(panel).toContainText("Gate a remote MCP server (Streamable HTTP)");
  await expect(panel).toContainText("mcp.filesystem.*");
  const stdio = JSON.parse(await snippetText(page, "mcp-gateway-stdio")).mcpServers.filesystem;
  expect(stdio.env).toEqual({ COUNTERSIGN_URL: app.url, COUNTERSIGN_AGENT_KEY: "csk_…" });
  expect(JSON.parse(await snippetText(page, "mcp-gateway-http")).mcpServers.tickets.args).toContain("--upstream-url");
  await screenshot(page, "connect-mcp-gateway-desktop");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await page.getByRole("tab", { name: "MCP gateway" }).click();
  await expect(panel).toBeVisible();
  // On a phone the code scrolls inside its block: the page itself does not widen.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await screenshot(page, "connect-mcp-gateway-phone");
});

test("an auditor can read an agent's Connect page but cannot issue a key there", async ({ page, app }) => {
  await signInWithForm(page, app.auditor, `/admin/agents/${app.agents.ops.id}/connect`);
  await expect(page.getByRole("heading", { name: `Connect ${app.agents.ops.name}` })).toBeVisible();
  await expect(page.getByTestId("read-only")).toBeVisible();
  await expect(page.getByTestId("connect-agent")).toHaveAttribute("data-key-shown", "false");
  await expect(page.getByRole("button", { name: "Issue a new key" })).toHaveCount(0);
  expect(await snippetText(page, "env")).toContain(`export COUNTERSIGN_URL=${app.url}`);
});

/** Agents long-waiting on the app right now (its Prometheus gauge). */
async function waitingAgents(request: APIRequestContext): Promise<number> {
  const text = await (await request.get("/api/metrics")).text();
  return Number(/^countersign_waiting_agents (\d+)/m.exec(text)?.[1] ?? 0);
}
