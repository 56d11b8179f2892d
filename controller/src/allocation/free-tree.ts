/**
 * Free address intervals of one pool and family, in a treap keyed by interval start.
 * Invariants: intervals are inclusive, disjoint and non-adjacent (take() splits around the address,
 * give() merges with touching neighbours). Every operation is O(log n) expected, where n is
 * the number of intervals (fragments), never the number of addresses: an IPv6 /64 is one node.
 */
interface Node {
  start: bigint;
  end: bigint;
  prio: number;
  left: Node | undefined;
  right: Node | undefined;
}

type Pair = [Node | undefined, Node | undefined];

export class FreeTree {
  private root: Node | undefined;
  private seed = 0x9e3779b9;
  private count = 0;

  /** Deterministic xorshift priorities: the same operations build the same tree. */
  private nextPrio(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }

  get size(): number {
    return this.count;
  }

  /** Splits into (start < key, start >= key). */
  private split(t: Node | undefined, key: bigint): Pair {
    if (t === undefined) return [undefined, undefined];
    if (t.start < key) {
      const [l, r] = this.split(t.right, key);
      t.right = l;
      return [t, r];
    }
    const [l, r] = this.split(t.left, key);
    t.left = r;
    return [l, t];
  }

  private merge(a: Node | undefined, b: Node | undefined): Node | undefined {
    if (a === undefined) return b;
    if (b === undefined) return a;
    if (a.prio > b.prio) {
      a.right = this.merge(a.right, b);
      return a;
    }
    b.left = this.merge(a, b.left);
    return b;
  }

  /** Adds [start, end]; caller guarantees it is disjoint from existing intervals. */
  insert(start: bigint, end: bigint): void {
    const node: Node = { start, end, prio: this.nextPrio(), left: undefined, right: undefined };
    const [l, r] = this.split(this.root, start);
    this.root = this.merge(this.merge(l, node), r);
    this.count++;
  }

  /** Removes the interval starting exactly at start (no-op if none). */
  remove(start: bigint): void {
    const [l, rest] = this.split(this.root, start);
    const [mid, r] = this.split(rest, start + 1n);
    if (mid !== undefined) this.count--;
    this.root = this.merge(l, r);
  }

  /** The interval with the greatest start <= x. */
  floor(x: bigint): { start: bigint; end: bigint } | undefined {
    let t = this.root;
    let best: Node | undefined;
    while (t !== undefined) {
      if (t.start <= x) {
        best = t;
        t = t.right;
      } else {
        t = t.left;
      }
    }
    return best === undefined ? undefined : { start: best.start, end: best.end };
  }

  /** The interval with the smallest start >= x. */
  ceil(x: bigint): { start: bigint; end: bigint } | undefined {
    let t = this.root;
    let best: Node | undefined;
    while (t !== undefined) {
      if (t.start >= x) {
        best = t;
        t = t.left;
      } else {
        t = t.right;
      }
    }
    return best === undefined ? undefined : { start: best.start, end: best.end };
  }

  min(): { start: bigint; end: bigint } | undefined {
    let t = this.root;
    while (t?.left !== undefined) t = t.left;
    return t === undefined ? undefined : { start: t.start, end: t.end };
  }

  has(x: bigint): boolean {
    const f = this.floor(x);
    return f !== undefined && f.end >= x;
  }

  /** Marks x used. Returns false when x was not free. */
  take(x: bigint): boolean {
    const f = this.floor(x);
    if (f === undefined || f.end < x) return false;
    this.remove(f.start);
    if (f.start < x) this.insert(f.start, x - 1n);
    if (x < f.end) this.insert(x + 1n, f.end);
    return true;
  }

  /** Marks x free again, merging with touching neighbours. No-op when already free. */
  give(x: bigint): void {
    const left = this.floor(x);
    if (left !== undefined && left.end >= x) return;
    let start = x;
    let end = x;
    if (left?.end === x - 1n) {
      start = left.start;
      this.remove(left.start);
    }
    const right = this.ceil(x + 1n);
    if (right?.start === x + 1n) {
      end = right.end;
      this.remove(right.start);
    }
    this.insert(start, end);
  }
}
