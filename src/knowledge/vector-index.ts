import hnswlib from 'hnswlib-node';

// hnswlib-node is CommonJS built with `bindings`: named ESM imports fail, the default export works.
const { HierarchicalNSW } = hnswlib;
/** Candidate list while inserting and while searching (see the constructor). */
const CONSTRUCTION_EF = 64;
const SEARCH_EF = 200;
/** Points inserted between two turns of the event loop. */
const YIELD_EVERY = 500;

/** Lets pending I/O (HTTP requests, timers) run before long synchronous work goes on. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Approximate nearest neighbours (HNSW, inner product on unit vectors = cosine) over chunk vectors. */
export class VectorIndex {
  private constructor(
    private readonly index: InstanceType<typeof HierarchicalNSW>,
    readonly size: number,
    readonly dimensions: number,
  ) {
    // After readIndex the search breadth resets to 10, which loses recall. The hashing embedder's vectors
    // have many near-ties: at 20 000 chunks recall@50 against exact search was 0.82 with ef 64 and
    // efConstruction 200, 0.89 with ef 200 and efConstruction 64, which inserts three times as fast
    // (HNSW insertion was 77 % of a 100 000-chunk build) for 0.4 ms more per query.
    index.setEf(SEARCH_EF);
  }

  /**
   * Vectors must share one length; the embedder decides it (512 offline, whatever a model returns).
   * Gives the event loop a turn every few hundred points, so a service rebuilding its index keeps answering.
   */
  static async build(vectors: Float32Array[], onProgress: (done: number) => void = () => {}): Promise<VectorIndex> {
    const dimensions = vectors[0]?.length ?? 1;
    if (vectors.some((v) => v.length !== dimensions)) throw new Error('embedder returned vectors of different lengths');
    const index = new HierarchicalNSW('ip', dimensions);
    index.initIndex({ maxElements: Math.max(vectors.length, 1), m: 16, efConstruction: CONSTRUCTION_EF, randomSeed: 100 });
    for (let i = 0; i < vectors.length; i++) {
      index.addPoint(Array.from(vectors[i]!), i);
      if ((i + 1) % YIELD_EVERY === 0) {
        onProgress(i + 1);
        await yieldToEventLoop();
      }
    }
    onProgress(vectors.length);
    return new VectorIndex(index, vectors.length, dimensions);
  }

  static async read(file: string, dimensions: number, size: number): Promise<VectorIndex> {
    const index = new HierarchicalNSW('ip', dimensions);
    await index.readIndex(file);
    return new VectorIndex(index, size, dimensions);
  }

  async write(file: string): Promise<void> {
    await this.index.writeIndex(file);
  }

  /** Nearest chunks, best first, with cosine similarity. */
  search(vector: Float32Array, k: number): { index: number; similarity: number }[] {
    const n = Math.min(k, this.size);
    if (n === 0 || vector.length !== this.dimensions) return [];
    const { neighbors, distances } = this.index.searchKnn(Array.from(vector), n);
    return neighbors.map((index, i) => ({ index, similarity: 1 - distances[i]! }));
  }
}
