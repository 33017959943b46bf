import hnswlib from 'hnswlib-node';

// hnswlib-node is CommonJS built with `bindings`: named ESM imports fail, the default export works.
const { HierarchicalNSW } = hnswlib;

/** Approximate nearest neighbours (HNSW, inner product on unit vectors = cosine) over chunk vectors. */
export class VectorIndex {
  private constructor(
    private readonly index: InstanceType<typeof HierarchicalNSW>,
    readonly size: number,
    readonly dimensions: number,
  ) {
    // After readIndex the search breadth resets to 10, which loses recall; 64 is cheap at our sizes.
    index.setEf(64);
  }

  /** Vectors must share one length; the embedder decides it (512 offline, whatever a model returns). */
  static build(vectors: Float32Array[], onProgress: (done: number) => void = () => {}): VectorIndex {
    const dimensions = vectors[0]?.length ?? 1;
    if (vectors.some((v) => v.length !== dimensions)) throw new Error('embedder returned vectors of different lengths');
    const index = new HierarchicalNSW('ip', dimensions);
    index.initIndex({ maxElements: Math.max(vectors.length, 1), m: 16, efConstruction: 200, randomSeed: 100 });
    vectors.forEach((v, i) => {
      index.addPoint(Array.from(v), i);
      if ((i + 1) % 1000 === 0) onProgress(i + 1);
    });
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
