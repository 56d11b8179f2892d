import { Document } from 'yaml';
import type { Translated } from './translated.js';

/** What the output relies on about ironlb; printed at the top so a reviewer sees it before applying. */
export const HEADER: readonly string[] = [
  'ironlb configuration translated from MetalLB by `ironlb import-metallb`. Review before applying.',
  'Assumptions about ironlb (ironlb.io/v1alpha1):',
  '- ironlb kinds are cluster-scoped: MetalLB namespaces are dropped, names and labels kept.',
  '- IPPool serviceAllocation.namespaces and namespaceSelector are ORed, as in MetalLB.',
  '- An L2Announcement with neither ipPools nor ipPoolSelector announces every IPPool.',
  '- L2Announcements that select the same pool add up; ORed MetalLB selector lists that cannot be',
  '  merged into one selector become several L2Announcements.',
  '- BGPPeer, BGPAdvertisement and BFDProfile keep MetalLB field names; a BGPPeer has one nodeSelector and reads',
  "  its password from a Secret in ironlb's namespace. BGPAdvertisements that select the same pool add up.",
  '- ironlb has no Community kind: aliases are replaced by their values.',
];

/** Multi-document YAML: the header comment, then one `---` document per object, in input order. */
export function renderYaml(objects: readonly Translated[]): string {
  const head = HEADER.map((line) => `# ${line}\n`).join('');
  const body = objects.map((t) => {
    const doc = new Document(t.object);
    // On the root node, not the document: the document comment is followed by a blank line.
    if (t.comments.length > 0 && doc.contents !== null) {
      doc.contents.commentBefore = t.comments.map((c) => ` ${c}`).join('\n');
    }
    return `---\n${doc.toString({ lineWidth: 0 })}`;
  });
  return head + body.join('');
}
