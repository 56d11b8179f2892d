import { describe, expect, it } from 'vitest';
import { helmInstallArgs, splitImageRef } from './helm-install.js';

describe('splitImageRef', () => {
  it('splits at the tag, not at a registry port', () => {
    expect(splitImageRef('localhost/ironlb:lab-0123abcd')).toEqual({
      repository: 'localhost/ironlb',
      tag: 'lab-0123abcd',
    });
    expect(splitImageRef('registry.example:5000/ironlb/ironlb:0.1.0')).toEqual({
      repository: 'registry.example:5000/ironlb/ironlb',
      tag: '0.1.0',
    });
  });

  it('rejects a reference without a tag', () => {
    expect(() => splitImageRef('registry.example:5000/ironlb')).toThrow(/no tag/);
    expect(() => splitImageRef('ironlb@sha256:00')).toThrow(/no tag/);
  });
});

describe('helmInstallArgs', () => {
  it("is README.md's install command plus only the lab image (never pulled)", () => {
    expect(helmInstallArgs({ repository: 'localhost/ironlb', tag: 'lab-1' })).toEqual([
      'install',
      'ironlb',
      'charts/ironlb',
      '-n',
      'ironlb-system',
      '--create-namespace',
      '--set',
      'image.repository=localhost/ironlb,image.tag=lab-1,image.pullPolicy=Never',
    ]);
  });
});
