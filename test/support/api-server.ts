import * as http from 'http';
import * as net from 'net';

/** One request a stand-in API answered. */
export interface ApiRequest {
  readonly method: string;
  readonly url: string;
  /** The `Authorization` header (GitHub, Gitea). */
  readonly auth?: string;
  /** The `PRIVATE-TOKEN` header (GitLab). */
  readonly token?: string;
  readonly body: any;
}

/**
 * A stand-in for a Git host's API (GitHub, GitLab, Gitea) on a loopback port: `answer` decides each response,
 * `[status, body, content type?]` (a string body is sent as is; a 301 points elsewhere) or `'hang'` (none);
 * every request is recorded with its auth headers and its JSON body.
 */
export async function apiServer(answer: (req: { method: string; url: string; body: any }) => [number, any, string?] | 'hang') {
  const requests: ApiRequest[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const parsed = body ? JSON.parse(body) : undefined;
      requests.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, token: req.headers['private-token'] as string, body: parsed });
      const a = answer({ method: req.method!, url: req.url!, body: parsed });
      if (a === 'hang') return;
      const [status, answerBody, type] = a;
      const headers: { [h: string]: string } = { 'Content-Type': type ?? 'application/json' };
      if (status === 301) headers.Location = 'http://127.0.0.1:1/elsewhere';
      res.writeHead(status, headers).end(typeof answerBody === 'string' ? answerBody : JSON.stringify(answerBody));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return { url, requests, close: () => { server.closeAllConnections(); server.close(); } };
}
