import type {
  BFDProfile,
  BGPAdvertisement,
  BGPPeer,
  IPPool,
  L2Announcement,
  ObjectMetaLike,
} from '@ironlb/shared';

/**
 * What the importer writes: ironlb objects (the API types of shared/src/types) with the comments printed above
 * each. All kinds are cluster-scoped, so metadata carries a name and labels only.
 *
 * Semantics the translation relies on (stated in the output header too):
 * - IPPool `serviceAllocation.namespaces` and `namespaceSelector` are ORed, as in MetalLB.
 * - An L2Announcement with neither `ipPools` nor `ipPoolSelector` selects every IPPool.
 * - Several L2Announcements that select the same pool add up (union of their nodes and interfaces).
 * - Several BGPAdvertisements that select the same pool add up, as in MetalLB.
 */
export type ObjectMeta = Required<Pick<ObjectMetaLike, 'name'>> & Pick<ObjectMetaLike, 'labels'>;

export type IronlbObject = IPPool | L2Announcement | BGPPeer | BGPAdvertisement | BFDProfile;

/** One output object and the comment lines written above it. */
export interface Translated {
  object: IronlbObject;
  comments: string[];
}
