import type { InputRecord, MISSING } from '../aggregation/read-source.js';
import type { FeatureProfile, ProjectionProfile } from '../profile/baseline-profile.js';
import { embeddingVector, imputeValues, tabularVector, type RecordVector } from './record-vector.js';

/**
 * A fitted projection applied to records: z = (x - center) / scale, the k component scores C z,
 * and the reconstruction error |z|^2 - |C z|^2 (the squared distance from z to the principal
 * subspace). A d x k product per record into buffers allocated once.
 */
export class Projector {
  readonly name: string;
  readonly column: string;
  /** Results of the last successful `project`. */
  error = 0;
  readonly scores: Float64Array;
  private readonly vector: RecordVector;
  private readonly center: Float64Array;
  /** Imputed for a missing tabular coordinate: the features' baseline means (schema 1.1: equal to `center`). */
  private readonly impute: Float64Array;
  private readonly inverseScale: Float64Array;
  /** Components, row-major k x d. */
  private readonly axes: Float64Array;
  private readonly x: Float64Array;

  constructor(projection: ProjectionProfile, features: readonly FeatureProfile[]) {
    this.name = projection.name;
    const d = projection.dimension;
    this.center = Float64Array.from(projection.center);
    if (projection.kind === 'tabular') {
      const byName = new Map(features.map((f) => [f.name, f]));
      const inputs = projection.inputs!.map((name) => byName.get(name)!);
      this.vector = tabularVector(inputs);
      this.impute = imputeValues(inputs);
    } else {
      this.vector = embeddingVector(projection.column!, d);
      this.impute = this.center;
    }
    this.column = this.vector.column;
    this.inverseScale = Float64Array.from(projection.scale ?? new Array<number>(d).fill(1), (s) => 1 / s);
    this.axes = Float64Array.from(projection.components.flat());
    this.scores = new Float64Array(projection.components.length);
    this.x = new Float64Array(d);
  }

  /** An output of the last projection: the reconstruction error (`component` -1) or a component score. */
  value(component: number): number {
    return component < 0 ? this.error : this.scores[component]!;
  }

  /**
   * Projects a record. Returns undefined when `error` and `scores` hold its results, MISSING when
   * the record has no vector for this projection, or why its vector is unreadable.
   */
  project(record: InputRecord): undefined | typeof MISSING | string {
    const x = this.x;
    const read = this.vector.read(record, x, this.impute);
    if (read !== undefined) return read;
    const d = x.length;
    let norm = 0;
    for (let j = 0; j < d; j++) {
      const z = (x[j]! - this.center[j]!) * this.inverseScale[j]!;
      x[j] = z;
      norm += z * z;
    }
    let explained = 0;
    const k = this.scores.length;
    for (let i = 0; i < k; i++) {
      let s = 0;
      const row = i * d;
      for (let j = 0; j < d; j++) s += this.axes[row + j]! * x[j]!;
      this.scores[i] = s;
      explained += s * s;
    }
    this.error = Math.max(0, norm - explained);
    return undefined;
  }
}

/** The projectors of a profile, to share between the counters of its windows. */
export function projectorsFor(profile: { features: readonly FeatureProfile[]; projections: readonly ProjectionProfile[] }): Projector[] {
  return profile.projections.map((p) => new Projector(p, profile.features));
}
