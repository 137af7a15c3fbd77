/**
 * The fidelity report of a candidate package (pruned, quantized) against its reference on held-out
 * frames: feature cosine, classification top-1 agreement, segmentation pixel agreement, detection
 * box matching, change-mask agreement, depth error. Reported for every pruning and quantization.
 */
import type { EntryManifest } from '../../sdk/internal.js';
import type { BackendSession, HostTensor } from '../../sdk/internal.js';
import { agreementPerSample, argmaxAxis1, boxesOf, cosinePerSample, matchBoxes, threshold } from './metrics.js';

export interface FidelityOptions {
  /** Detection candidates at or above this score are compared. Default 0.05 (seeded heads score low). */
  detScore?: number;
  /** IoU for a candidate box to match a reference box. Default 0.5. */
  iou?: number;
  /** Threshold of the change mask. Default 0.5. */
  changeThreshold?: number;
}

export interface Stat {
  mean: number;
  min: number;
}

export interface EntryFidelity {
  entry: string;
  frames: number;
  /** Cosine similarity per feature output (embedding, features_s*) and per float `raw` output (imported models). */
  featureCosine: Record<string, Stat>;
  classificationTop1Agreement?: number;
  segmentationPixelAgreement?: number;
  detection?: {
    referenceBoxes: number;
    candidateBoxes: number;
    matched: number;
    precision: number;
    recall: number;
    f1: number;
    meanIoU: number;
  };
  changePixelAgreement?: number;
  depthRelativeError?: number;
}

class Acc {
  private sum = 0;
  private n = 0;
  private lo = Infinity;
  add(values: number[]): void {
    for (const v of values) {
      this.sum += v;
      this.n++;
      this.lo = Math.min(this.lo, v);
    }
  }
  get stat(): Stat {
    return { mean: this.n ? this.sum / this.n : NaN, min: this.n ? this.lo : NaN };
  }
  get mean(): number {
    return this.stat.mean;
  }
}

/** Accumulates agreement between reference and candidate outputs of one entry, batch by batch. */
export class EntryFidelityAccumulator {
  private frames = 0;
  private readonly cos = new Map<string, Acc>();
  private readonly cls = new Acc();
  private readonly seg = new Acc();
  private readonly change = new Acc();
  private depthErr = 0;
  private depthRef = 0;
  private det = { ref: 0, cand: 0, matched: 0, iouSum: 0 };

  constructor(
    readonly entry: EntryManifest,
    readonly options: FidelityOptions = {},
  ) {}

  add(ref: Record<string, HostTensor>, cand: Record<string, HostTensor>): void {
    const outs = new Set(this.entry.outputs.map((o) => o.name));
    const n = (Object.values(ref)[0]?.shape[0] ?? 0) as number;
    this.frames += n;
    for (const o of this.entry.outputs) {
      if (
        o.kind === 'features' ||
        o.kind === 'embedding' ||
        (o.kind === 'raw' && (o.dtype === 'float32' || o.dtype === 'float16'))
      ) {
        let acc = this.cos.get(o.name);
        if (!acc) this.cos.set(o.name, (acc = new Acc()));
        acc.add(cosinePerSample(ref[o.name]!, cand[o.name]!));
      }
    }
    if (outs.has('cls_logits'))
      this.cls.add(agreementPerSample(argmaxAxis1(ref.cls_logits!), argmaxAxis1(cand.cls_logits!), n));
    if (outs.has('seg_logits'))
      this.seg.add(agreementPerSample(argmaxAxis1(ref.seg_logits!), argmaxAxis1(cand.seg_logits!), n));
    if (outs.has('change_prob')) {
      const at = this.options.changeThreshold ?? 0.5;
      this.change.add(agreementPerSample(threshold(ref.change_prob!, at), threshold(cand.change_prob!, at), n));
    }
    if (outs.has('depth')) {
      const a = ref.depth!.data as Float32Array;
      const b = cand.depth!.data as Float32Array;
      for (let i = 0; i < a.length; i++) {
        this.depthErr += Math.abs(a[i]! - b[i]!);
        this.depthRef += Math.abs(a[i]!);
      }
    }
    const boxes = detBoxesOutput(outs);
    if (boxes) {
      const min = this.options.detScore ?? 0.05;
      for (let s = 0; s < n; s++) {
        const r = boxesOf(ref[boxes]!, ref.det_scores!, ref.det_classes!, s, min);
        const c = boxesOf(cand[boxes]!, cand.det_scores!, cand.det_classes!, s, min);
        const m = matchBoxes(r, c, this.options.iou ?? 0.5);
        this.det.ref += r.length;
        this.det.cand += c.length;
        this.det.matched += m.matched;
        this.det.iouSum += m.ious.reduce((x, y) => x + y, 0);
      }
    }
  }

  result(): EntryFidelity {
    const out: EntryFidelity = {
      entry: this.entry.name,
      frames: this.frames,
      featureCosine: Object.fromEntries([...this.cos].map(([k, v]) => [k, v.stat])),
    };
    const outs = new Set(this.entry.outputs.map((o) => o.name));
    if (outs.has('cls_logits')) out.classificationTop1Agreement = this.cls.mean;
    if (outs.has('seg_logits')) out.segmentationPixelAgreement = this.seg.mean;
    if (outs.has('change_prob')) out.changePixelAgreement = this.change.mean;
    if (outs.has('depth')) out.depthRelativeError = this.depthRef > 0 ? this.depthErr / this.depthRef : 0;
    if (detBoxesOutput(outs)) {
      const { ref, cand, matched, iouSum } = this.det;
      const precision = cand ? matched / cand : 1;
      const recall = ref ? matched / ref : 1;
      out.detection = {
        referenceBoxes: ref,
        candidateBoxes: cand,
        matched,
        precision,
        recall,
        f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
        meanIoU: matched ? iouSum / matched : 0,
      };
    }
    return out;
  }
}

/**
 * Runs `batches` through both sessions and returns the entry's fidelity.
 * @param batches feeds keyed by input name (held-out frames, preprocessed)
 */
export async function compareSessions(
  entry: EntryManifest,
  reference: BackendSession,
  candidate: BackendSession,
  batches: AsyncIterable<Record<string, HostTensor>> | Iterable<Record<string, HostTensor>>,
  options: FidelityOptions = {},
): Promise<EntryFidelity> {
  const acc = new EntryFidelityAccumulator(entry, options);
  for await (const feeds of batches) acc.add(await reference.run(feeds), await candidate.run(feeds));
  return acc.result();
}

/** The entry's box output: oriented (`det_rboxes`, `det_quads`) or axis-aligned (`det_boxes`). */
function detBoxesOutput(outs: Set<string>): string | undefined {
  return ['det_rboxes', 'det_quads', 'det_boxes'].find(
    (n) => outs.has(n) && outs.has('det_scores') && outs.has('det_classes'),
  );
}
