// The fleet's Redis key schema (prefix `exovoice:`), shared by every node and every version that runs at once.
// Call ids and node ids are validated identifiers (exotel/identifiers.ts, config NODE_ID), safe inside a key.

const PREFIX = 'exovoice:';

export const redisKeys = {
  /** A node's heartbeat: JSON {nodeId, startedAt, at}, PX TTL. */
  node: (nodeId: string) => `${PREFIX}node:${nodeId}`,
  /** Set of the ids of nodes that have heartbeated and not been swept. */
  nodes: `${PREFIX}nodes`,
  /** Hash callId -> JSON SessionSnapshot of the calls a node holds. */
  nodeCalls: (nodeId: string) => `${PREFIX}node-calls:${nodeId}`,
  /** The nodeId that owns a live call, PX TTL. */
  callOwner: (callId: string) => `${PREFIX}call-owner:${callId}`,
  /** The webhook's CallDetails JSON for a call. */
  callDetails: (callId: string) => `${PREFIX}call-details:${callId}`,
  /** Sorted set: the fleet's outbound dials of the last window. */
  dialRate: `${PREFIX}dial-rate`,
  /** Pub/sub: live-control requests for the calls a node owns. */
  controlRequests: (nodeId: string) => `${PREFIX}control:${nodeId}`,
  /** Pub/sub: answers to the live-control requests a node sent. */
  controlReplies: (nodeId: string) => `${PREFIX}control-reply:${nodeId}`,
  /** A lease one node holds: its nodeId, PX TTL. */
  lease: (name: string) => `${PREFIX}lease:${name}`,
} as const;
