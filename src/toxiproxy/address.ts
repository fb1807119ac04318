/** `host:port` as Toxiproxy's `listen` and `upstream` fields carry it; IPv6 hosts in brackets. */
export interface HostPort {
  host: string;
  port: number;
}

/** Parses `host:port`, `[v6]:port` or `:port`; returns undefined when the string is not one. */
export function parseHostPort(value: string): HostPort | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.%\w-]+)\]|([^\s:[\]/]*)):(\d{1,5})$/.exec(value);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? m[2] ?? '', port };
}

/** `127.0.0.1:8080`, `[::1]:8080`: the form Go's `Addr().String()` reports. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
