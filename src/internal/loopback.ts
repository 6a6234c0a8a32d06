/** Loopback hosts, to which plain http is allowed (nothing leaves the Pod: a proxy beside the step). */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether `value` is an http URL to a loopback address, without credentials. */
export function loopbackHttp(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' && LOOPBACK.has(url.hostname) && !url.username && !url.password;
  } catch {
    return false;
  }
}
