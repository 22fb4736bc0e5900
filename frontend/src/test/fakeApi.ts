// A scripted stand-in for the HTTP API: routes answer from handlers, every request is recorded.

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
}

/** A JSON `body`, or a `text` answer (a CSV) with its own headers. */
export interface Answer {
  status?: number;
  body?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

type Handler = (request: Recorded) => Answer | undefined;

export function jsonResponse(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

export function fakeFetch(routes: Record<string, Handler>) {
  const requests: Recorded[] = [];
  const fetchImpl = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), "http://app.test/");
    const method = (init.method ?? "GET").toUpperCase();
    const path = url.pathname.replace(/^\/api\/v1/, "");
    const request: Recorded = {
      method,
      path,
      query: url.searchParams,
      headers: (init.headers ?? {}) as Record<string, string>,
      body: init.body ? JSON.parse(String(init.body)) : undefined,
    };
    requests.push(request);
    for (const [pattern, handler] of Object.entries(routes)) {
      const [m, p] = pattern.split(" ");
      if (m === method && new RegExp(`^${p}$`).test(path)) {
        const answer = handler(request);
        if (answer?.text !== undefined) {
          return new Response(answer.text, { status: answer.status ?? 200, headers: answer.headers ?? { "Content-Type": "text/csv" } });
        }
        if (answer) return jsonResponse(answer.status ?? 200, answer.body);
      }
    }
    return jsonResponse(404, { error: { code: "not_found", message: "Not found." } });
  };
  return { fetchImpl, requests };
}
