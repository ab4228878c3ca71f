import { authenticateAgent, type AuthenticatedAgent } from "../agents/authenticate-agent.ts";
import { toProblem } from "./problem.ts";

type RouteContext<P> = { params: Promise<P> };

/** Wraps an agent endpoint: authenticates the bearer key and turns errors into problem responses. */
export function withAgent<P = Record<string, never>>(
  handler: (req: Request, ctx: { agent: AuthenticatedAgent; params: P }) => Promise<Response>,
) {
  return async (req: Request, route: RouteContext<P>): Promise<Response> => {
    try {
      const agent = await authenticateAgent(req.headers.get("authorization"));
      return await handler(req, { agent, params: await route.params });
    } catch (err) {
      return toProblem(err);
    }
  };
}

/** Wraps an endpoint that needs no identity (the grant is the capability). */
export function withPublic<P = Record<string, never>>(handler: (req: Request, ctx: { params: P }) => Promise<Response>) {
  return async (req: Request, route: RouteContext<P>): Promise<Response> => {
    try {
      return await handler(req, { params: await route.params });
    } catch (err) {
      return toProblem(err);
    }
  };
}
