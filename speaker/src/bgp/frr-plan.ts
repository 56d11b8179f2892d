/**
 * What one node's FRR must do: the input of `renderFrrConfig`. Plain data; every address is canonical text
 * (shared/src/ip formatIP) and every prefix a canonical CIDR with its host bits zero.
 */

/** A BFD profile (FRR `bfd` / `profile NAME`); unset fields keep FRR's defaults. */
export interface FrrBfdProfile {
  name: string;
  receiveIntervalMs?: number | undefined;
  transmitIntervalMs?: number | undefined;
  detectMultiplier?: number | undefined;
  echoMode?: boolean | undefined;
  /** Echo transmit and receive interval. */
  echoIntervalMs?: number | undefined;
  passiveMode?: boolean | undefined;
  minimumTtl?: number | undefined;
}

/** A prefix advertised to one peer, with the attributes it carries to that peer. */
export interface FrrPrefix {
  /** Canonical CIDR, e.g. 192.0.2.10/32 or 2001:db8::a/128. */
  prefix: string;
  /** Standard communities: `AA:NN` or a well-known name (no-export, …). */
  communities: readonly string[];
  /** Large communities: `A:B:C`. */
  largeCommunities: readonly string[];
  localPref?: number | undefined;
}

/** One BGP session of this node. */
export interface FrrPeer {
  /** Name of the BGPPeer object (for humans: it appears in the neighbor's description). */
  name: string;
  /** Canonical IPv4 or IPv6 address; it is the session's key (one session per address). */
  address: string;
  asn: number;
  /** The ASN this node uses towards the peer. */
  localASN: number;
  /** undefined = 179. */
  port?: number | undefined;
  holdTimeSeconds?: number | undefined;
  keepaliveTimeSeconds?: number | undefined;
  /** TCP MD5 password: printable, no white space (guaranteed by whoever builds the plan). */
  password?: string | undefined;
  ebgpMultihop: boolean;
  sourceAddress?: string | undefined;
  /** Name of a profile in `FrrPlan.bfdProfiles`; undefined = no BFD for this session. */
  bfdProfile?: string | undefined;
  /** Exactly the prefixes this peer receives from this node; all of the peer's address family. */
  prefixes: readonly FrrPrefix[];
}

export interface FrrPlan {
  /** BGP router ID (dotted quad, also for IPv6-only nodes). */
  routerId: string;
  peers: readonly FrrPeer[];
  bfdProfiles: readonly FrrBfdProfile[];
}
