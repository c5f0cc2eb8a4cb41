/**
 * A node request seen as a fetch request would see it: its URL and its headers. Shared by the
 * node adapters of the webhook and of the console.
 * @internal
 * @module
 */
import type { IncomingMessage } from 'node:http';

const SAFE_HOST = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The headers of a node request as WHATWG `Headers`; a header they refuse is left out. */
export function requestHeaders(rawHeaders: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    const value = rawHeaders[i + 1];
    // HTTP/2 pseudo-headers (:path, :authority) are already in the method and URL.
    if (name === undefined || value === undefined || name.startsWith(':')) continue;
    try {
      headers.append(name, value);
    } catch {
      // node accepts a few bytes WHATWG Headers refuse; dropping that header beats failing the request.
    }
  }
  return headers;
}

/**
 * The URL of a node request: `https` on a TLS socket, the `Host` header when it is a plain
 * host[:port] (else `localhost`), and the path, also from an absolute-form request target.
 */
export function requestUrl(req: IncomingMessage): string {
  const encrypted = 'encrypted' in req.socket && req.socket.encrypted === true;
  const protocol = encrypted ? 'https' : 'http';
  const hostHeader = req.headers.host;
  // A Host that is not a plain host[:port] (userinfo, a path, spaces) must not rewrite the URL.
  const host = hostHeader !== undefined && SAFE_HOST.test(hostHeader) ? hostHeader : 'localhost';
  return `${protocol}://${host}${requestPath(req.url)}`;
}

function requestPath(url: string | undefined): string {
  if (url === undefined) return '/';
  if (url.startsWith('/')) return url;
  try {
    // absolute-form request target (`POST http://host/path HTTP/1.1`), as proxies send.
    const absolute = new URL(url);
    return `${absolute.pathname}${absolute.search}`;
  } catch {
    return '/';
  }
}
