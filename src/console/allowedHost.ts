/**
 * Whether a request's `Host` is one the console answers to. A page of another site can make a
 * browser send requests to a loopback console by pointing its own domain name at 127.0.0.1
 * (DNS rebinding); those requests carry that domain as `Host`. A loopback console without
 * `authorize` therefore answers only loopback names and IP addresses.
 * @internal
 * @module
 */
import type { ResolvedConsoleOptions } from './consoleOptions.js';

// A name (letters, digits, `.`, `-`, `_`, `~`; punycode for others) or a bracketed IPv6 address,
// and a port: a list (`a, b`), a space or a `@` is no host, and no part of it is judged alone.
const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9._~-]+)(?::\d{1,5})?$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** Whether `host` (the `Host` header, `name[:port]`) is allowed. */
export function isAllowedHost(
  host: string | null,
  allowed: ResolvedConsoleOptions['allowedHosts'],
): boolean {
  if (allowed === 'any') return true;
  if (host === null) return false;
  const lower = host.toLowerCase();
  const name = HOST.exec(lower)?.[1];
  if (name === undefined) return false;
  if (allowed === 'loopback') {
    return (
      name === 'localhost' || name.endsWith('.localhost') || IPV4.test(name) || name.startsWith('[')
    );
  }
  return allowed.includes(lower) || allowed.includes(name);
}
