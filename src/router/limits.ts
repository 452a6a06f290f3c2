import { readFileSync } from 'node:fs';

// How many client connections the router holds, sized from its file-descriptor limit.
//
// Every client connection is a descriptor, and so is each upstream socket it uses: a connection
// is answered one request at a time, so it needs at most one upstream socket (an upgraded one
// exactly one), and the upstream pool keeps no more idle sockets than the peak of requests in
// flight. Half of what is left after a fixed reserve (the admin socket, logs, the table, private
// listeners, Node's own) therefore goes to clients, the other half stays free for upstreams.
//
// Node raises its soft RLIMIT_NOFILE to the hard limit when it starts, so the router runs with
// the hard limit it inherits. Raising the hard limit needs privilege (and is refused in most
// containers even to root), so it is left to whoever starts Wharf: `LimitNOFILE=` in a systemd
// unit, `ulimit -Hn` in a shell, `--ulimit nofile=` for Docker (docs/security.md).

/** Descriptors kept out of the sizing for everything that is not a client or upstream socket. */
export const RESERVED_DESCRIPTORS = 256;
/** Used when the limit cannot be read (no /proc): the lowest soft limit in common use. */
export const FALLBACK_DESCRIPTOR_LIMIT = 1024;
/** Above this share of the cap, the idlest connections are closed to make room... */
export const SHED_AT = 0.9;
/** ...until this share is left. */
export const SHED_TO = 0.8;

export interface ConnectionLimits {
  /** Client connections in total, over the public listener and every private one. */
  maxConnections: number;
  /** Client connections from one address (an IPv6 /64) on the public listener; 0 = no limit. */
  maxPerAddress: number;
  /** The descriptor limit the sizing started from, and where it came from. */
  descriptorLimit: number;
  descriptorLimitSource: 'proc' | 'fallback';
  /** Settings that asked for more than the descriptors allow, lowered (for the start-up log). */
  lowered: string[];
}

export type Env = Record<string, string | undefined>;

/** The soft RLIMIT_NOFILE of this process, from /proc/self/limits (Linux). */
export function descriptorLimit(limitsFile = '/proc/self/limits'): { limit: number; source: 'proc' | 'fallback' } {
  try {
    const line = readFileSync(limitsFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === 'unlimited') return { limit: Number.MAX_SAFE_INTEGER, source: 'proc' };
    const value = Number(soft);
    if (Number.isInteger(value) && value > 0) return { limit: value, source: 'proc' };
  } catch {
    /* not Linux */
  }
  return { limit: FALLBACK_DESCRIPTOR_LIMIT, source: 'fallback' };
}

/** The largest client-connection cap the descriptor limit leaves room for (half, after the reserve). */
export function connectionsFor(descriptors: number): number {
  return Math.max(16, Math.floor((Math.min(descriptors, 1 << 24) - RESERVED_DESCRIPTORS) / 2));
}

/**
 * WHARF_ROUTER_MAX_CONNECTIONS (default: what the descriptors allow) and
 * WHARF_ROUTER_MAX_CONNECTIONS_PER_ADDRESS (default: an eighth of that, at least 16; 0 = none).
 */
export function connectionLimits(env: Env, descriptors = descriptorLimit()): ConnectionLimits {
  const lowered: string[] = [];
  const room = connectionsFor(descriptors.limit);
  let max = intSetting(env, 'WHARF_ROUTER_MAX_CONNECTIONS') ?? room;
  if (max > room) {
    lowered.push(`WHARF_ROUTER_MAX_CONNECTIONS=${max} lowered to ${room} (descriptor limit ${descriptors.limit})`);
    max = room;
  }
  if (max < 1) throw new Error('WHARF_ROUTER_MAX_CONNECTIONS must be at least 1');
  let perAddress = intSetting(env, 'WHARF_ROUTER_MAX_CONNECTIONS_PER_ADDRESS') ?? Math.max(16, Math.floor(max / 8));
  if (perAddress > max) perAddress = max;
  return { maxConnections: max, maxPerAddress: perAddress, descriptorLimit: descriptors.limit, descriptorLimitSource: descriptors.source, lowered };
}

function intSetting(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got '${raw}'`);
  return value;
}

/**
 * The key connections are counted under: the address itself for IPv4, the /64 for IPv6 (one
 * host is usually given a whole /64, so counting single addresses would not limit it).
 */
export function addressKey(address: string | undefined): string {
  if (!address) return '';
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.split('%')[0]!.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => (g.replace(/^0+/, '') || '0').toLowerCase())
    .join(':')}::/64`;
}
