import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ReadResourceRequestSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  ToolListChangedNotificationSchema,
  UnsubscribeRequestSchema,
  type ServerCapabilities,
} from "@modelcontextprotocol/sdk/types.js";
import { gateToolCall, type GateOptions } from "./gate.ts";

export interface ProxyServerOptions extends GateOptions {
  version: string;
}

/**
 * The MCP server the agent's host talks to: the upstream's own tools,
 * resources, prompts, completions and logging, passed through as they are,
 * except that every tool call goes through Countersign first (gate.ts).
 * Reading resources and getting prompts are not gated: MCP meant them to
 * have no side effects, and the host shows them to the user.
 */
export function createProxyServer(options: ProxyServerOptions): Server {
  const { upstream, name } = options;
  const caps = upstream.getServerCapabilities() ?? {};
  const info = upstream.getServerVersion();

  const capabilities: ServerCapabilities = { tools: { listChanged: true } };
  if (caps.resources) capabilities.resources = { listChanged: caps.resources.listChanged, subscribe: caps.resources.subscribe };
  if (caps.prompts) capabilities.prompts = { listChanged: caps.prompts.listChanged };
  if (caps.completions) capabilities.completions = {};
  if (caps.logging) capabilities.logging = {};

  const note =
    `Every call of this server's tools is checked by Countersign first (actions mcp.${name}.TOOL): it may wait for a person to approve it, and it runs only as approved. ` +
    "A call that answers PENDING was not run: call it again with exactly the same arguments to keep waiting. A call that answers DENIED was not run: do not work around it.";
  const instructions = [upstream.getInstructions(), note].filter(Boolean).join("\n\n");

  const server = new Server(
    { name: `countersign-mcp-proxy-${name}`, title: `${info?.title ?? info?.name ?? name} (through Countersign)`, version: options.version },
    { capabilities, instructions },
  );

  // Tool names the upstream offers; a call of any other name asks nobody and reaches nothing.
  let known: Set<string> | undefined;
  const refreshTools = async (signal?: AbortSignal) => {
    const names = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await upstream.listTools(cursor ? { cursor } : undefined, { signal });
      for (const tool of page.tools) names.add(tool.name);
      cursor = page.nextCursor;
    } while (cursor);
    known = names;
  };

  server.setRequestHandler(ListToolsRequestSchema, async (request, extra) => {
    if (!caps.tools) return { tools: [] };
    const page = await upstream.listTools(request.params, { signal: extra.signal });
    if (!request.params?.cursor && !page.nextCursor) known = new Set(page.tools.map((t) => t.name));
    return page;
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = request.params.name;
    if (caps.tools && !known?.has(tool)) await refreshTools(extra.signal);
    if (!known?.has(tool)) {
      return {
        content: [{ type: "text", text: `Unknown tool ${JSON.stringify(tool)}: the MCP server ${name} has no such tool. Nothing was asked or run.` }],
        isError: true,
      };
    }
    return gateToolCall(options, request.params, extra);
  });

  if (caps.resources) {
    server.setRequestHandler(ListResourcesRequestSchema, (request, extra) => upstream.listResources(request.params, { signal: extra.signal }));
    server.setRequestHandler(ListResourceTemplatesRequestSchema, (request, extra) => upstream.listResourceTemplates(request.params, { signal: extra.signal }));
    server.setRequestHandler(ReadResourceRequestSchema, (request, extra) => upstream.readResource(request.params, { signal: extra.signal }));
    if (caps.resources.subscribe) {
      server.setRequestHandler(SubscribeRequestSchema, (request, extra) => upstream.subscribeResource(request.params, { signal: extra.signal }));
      server.setRequestHandler(UnsubscribeRequestSchema, (request, extra) => upstream.unsubscribeResource(request.params, { signal: extra.signal }));
    }
  }
  if (caps.prompts) {
    server.setRequestHandler(ListPromptsRequestSchema, (request, extra) => upstream.listPrompts(request.params, { signal: extra.signal }));
    server.setRequestHandler(GetPromptRequestSchema, (request, extra) => upstream.getPrompt(request.params, { signal: extra.signal }));
  }
  if (caps.completions) server.setRequestHandler(CompleteRequestSchema, (request, extra) => upstream.complete(request.params, { signal: extra.signal }));
  if (caps.logging)
    server.setRequestHandler(SetLevelRequestSchema, (request, extra) => upstream.setLoggingLevel(request.params.level, { signal: extra.signal }));

  // What the upstream announces, the agent's host hears.
  const forward = (send: () => Promise<void>) => void send().catch(() => {});
  upstream.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    known = undefined;
    forward(() => server.sendToolListChanged());
  });
  upstream.setNotificationHandler(ResourceListChangedNotificationSchema, () => forward(() => server.sendResourceListChanged()));
  upstream.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => forward(() => server.sendResourceUpdated(n.params)));
  upstream.setNotificationHandler(PromptListChangedNotificationSchema, () => forward(() => server.sendPromptListChanged()));
  upstream.setNotificationHandler(LoggingMessageNotificationSchema, (n) => forward(() => server.sendLoggingMessage(n.params)));

  return server;
}
