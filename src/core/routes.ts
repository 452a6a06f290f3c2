import { z } from 'zod';

// What the control plane tells the router: the whole table at once, so a swap is atomic.

export const routeTargetSchema = z.object({
  /** The replica id: the unit the router counts in-flight requests and drains by. */
  id: z.string().min(1),
  url: z.string().url(),
});

export const routeSchema = z.object({
  host: z.string().min(1),
  serviceInstanceId: z.string().min(1),
  deploymentId: z.string().min(1),
  targets: z.array(routeTargetSchema),
  /**
   * A stable port on 127.0.0.1 where the router forwards every request to this route's targets,
   * whatever the Host header: how apps reach each other (private networking) on one machine.
   */
  privatePort: z.number().int().min(1).max(65535).optional(),
});

export const routeTableSchema = z.object({
  version: z.number().int().nonnegative(),
  routes: z.array(routeSchema),
});

export const drainRequestSchema = z.object({
  targets: z.array(z.string().min(1)),
  timeoutMs: z.number().int().min(0).max(3_600_000),
});

export type RouteTarget = z.infer<typeof routeTargetSchema>;
export type Route = z.infer<typeof routeSchema>;
export type RouteTable = z.infer<typeof routeTableSchema>;
export type DrainRequest = z.infer<typeof drainRequestSchema>;

export interface DrainResult {
  drained: boolean;
  /** In-flight requests and open upgraded connections left when the call returned. */
  remaining: number;
  waitedMs: number;
}

export interface TargetStats {
  id: string;
  inflight: number;
  upgraded: number;
  requests: number;
}

/** The router's client connections against its limits (src/router/limits.ts). */
export interface ConnectionStats {
  open: number;
  maxConnections: number;
  /** 0: no per-address limit. */
  maxPerAddress: number;
  descriptorLimit: number;
  /** Connections refused because their address (an IPv6 /64) held its share. */
  refusedAddress: number;
  /** Connections refused because the router was full of busy connections. */
  refusedFull: number;
  /** Idle connections closed to make room. */
  shed: number;
  /** The addresses holding the most connections, most first (at most 5). */
  top: Array<{ address: string; open: number }>;
}

export interface RouterStats {
  version: number;
  requests: number;
  targets: TargetStats[];
  connections?: ConnectionStats;
}
