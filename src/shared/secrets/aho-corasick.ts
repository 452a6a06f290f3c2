// Aho-Corasick over UTF-16 code units: finds every occurrence of every pattern, overlapping
// ones included, in one pass over the text (time linear in the text plus the matches).
// Transitions live in one Map keyed by `state * 65536 + code unit`, plus a dense table for
// ASCII at the root, where the scan spends most of its time.

export interface Match {
  start: number;
  end: number;
  pattern: number;
}

export class AhoCorasick {
  private readonly next = new Map<number, number>();
  private readonly rootAscii = new Int32Array(128);
  private readonly fail: Int32Array;
  /** Pattern ending exactly at a state (-1 if none). */
  private readonly output: Int32Array;
  /** Nearest state along the fail chain that has an output (0 if none). */
  private readonly dictionary: Int32Array;
  private readonly lengths: number[];

  constructor(patterns: readonly string[]) {
    this.lengths = patterns.map((p) => p.length);
    const outputs: number[] = [-1];
    let states = 1;
    patterns.forEach((pattern, index) => {
      let state = 0;
      for (let i = 0; i < pattern.length; i++) {
        const key = state * 65536 + pattern.charCodeAt(i);
        let to = this.next.get(key);
        if (to === undefined) {
          to = states++;
          this.next.set(key, to);
          outputs.push(-1);
        }
        state = to;
      }
      if (pattern.length > 0 && outputs[state] === -1) outputs[state] = index;
    });
    this.output = Int32Array.from(outputs);
    this.fail = new Int32Array(states);
    this.dictionary = new Int32Array(states);
    this.link(states);
    for (let c = 0; c < 128; c++) this.rootAscii[c] = this.next.get(c) ?? 0;
  }

  /** Every occurrence of every pattern in `text`, in order of their end. */
  findAll(text: string): Match[] {
    const matches: Match[] = [];
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      state = this.step(state, code);
      if (state === 0) continue;
      let hit = this.output[state]! >= 0 ? state : this.dictionary[state]!;
      while (hit !== 0) {
        const pattern = this.output[hit]!;
        matches.push({ start: i + 1 - this.lengths[pattern]!, end: i + 1, pattern });
        hit = this.dictionary[hit]!;
      }
    }
    return matches;
  }

  private step(state: number, code: number): number {
    for (;;) {
      if (state === 0) return code < 128 ? this.rootAscii[code]! : (this.next.get(code) ?? 0);
      const to = this.next.get(state * 65536 + code);
      if (to !== undefined) return to;
      state = this.fail[state]!;
    }
  }

  /** Breadth-first: fail links and dictionary links from those of shallower states. */
  private link(states: number): void {
    const children: Array<Array<[number, number]>> = Array.from({ length: states }, () => []);
    for (const [key, to] of this.next) children[Math.floor(key / 65536)]!.push([key % 65536, to]);
    const queue: number[] = [];
    for (const [, to] of children[0]!) queue.push(to);
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head]!;
      for (const [code, to] of children[state]!) {
        let f = this.fail[state]!;
        while (f !== 0 && !this.next.has(f * 65536 + code)) f = this.fail[f]!;
        const target = this.next.get(f * 65536 + code) ?? 0;
        this.fail[to] = target === to ? 0 : target;
        const via = this.fail[to]!;
        this.dictionary[to] = this.output[via]! >= 0 ? via : this.dictionary[via]!;
        queue.push(to);
      }
    }
  }
}
