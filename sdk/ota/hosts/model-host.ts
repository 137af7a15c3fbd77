/**
 * What the OTA agent needs from whatever runs the model: load a new version beside the running
 * one, warm it up, switch between two frames, check its health on the frames it serves, switch
 * back, unload. {@link OrtModelHost} implements it on onnxruntime; the runtime's frame pipeline
 * implements the same interface, so the agent never knows which one it drives.
 *
 * The switch contract: frames are served in order, one model per frame. A frame that started on
 * the old model finishes on it; every frame after the switch runs on the new one. No frame is
 * dropped or served twice because of a switch.
 */
import type { HostTensor } from '../../core/host-tensor.js';

/** One frame: the inputs of one entry point. */
export interface ModelFrame {
  /** The caller's sequence number (results carry it back). */
  seq: number;
  /** Entry name (`optical`, `fusion-optical-sar-l2`, ...). */
  entry: string;
  feeds: Record<string, HostTensor>;
}

/** What a model made of one frame. */
export interface ModelFrameResult {
  seq: number;
  entry: string;
  /** Id of the model that served the frame (the slot id). */
  model: string;
  outputs: Record<string, HostTensor>;
  /** Inference time, without time spent waiting in the queue. */
  latencyMs: number;
}

/** Where a model version is. */
export interface ModelSource {
  /** Slot id (bundle manifest sha256). */
  id: string;
  /** Package directory, for hosts that load from disk. */
  dir?: string;
  /** Human label, e.g. `drone-optical@2.0.0`. */
  label?: string;
}

/** A model loaded into a host. */
export interface HostedModel {
  readonly id: string;
  readonly label: string;
  /** Entries this model can serve. */
  readonly entries: readonly string[];
}

/** What a warm-up did. */
export interface WarmUpReport {
  frames: number;
  /** Median latency per entry after the first (cold) run, ms. */
  medianMs: Record<string, number>;
}

/** Health-check policy. */
export interface HealthCheckOptions {
  /** Probe frames per checked entry that must all succeed (default 3). */
  frames?: number;
  /** Latency budget per frame in ms (default 1000). */
  latencyBudgetMs?: number;
  /** Entries to check (default: every entry of the model). */
  entries?: string[];
}

/** One failed health-check frame. */
export interface HealthFailure {
  entry: string;
  /** Stable code: E_INFERENCE, E_HEALTH_CHECK (latency, shape, non-finite values). */
  code: string;
  reason: string;
}

/** The verdict of a health check. */
export interface HealthReport {
  ok: boolean;
  model: string;
  frames: number;
  passed: number;
  latencyBudgetMs: number;
  /** Median and worst latency over the checked frames, ms. */
  medianMs: number;
  maxMs: number;
  failures: HealthFailure[];
}

/** What a switch did. */
export interface SwitchReport {
  from?: string;
  to: string;
  /** Frames served before the switch took effect (by any model, since the host started). */
  framesBefore: number;
}

/** The interface the agent drives. */
export interface ModelHost {
  /** The model serving frames, or undefined before the first {@link ModelHost.activate}. */
  readonly active: HostedModel | undefined;
  /**
   * Loads a model beside the running one; frames keep running on the active model.
   * @throws EdgeError E_BACKEND_INIT, E_PACKAGE_* (unreadable package), E_INVALID_ARGUMENT
   */
  load(source: ModelSource): Promise<HostedModel>;
  /** Runs warm-up frames on a loaded (not necessarily active) model. @throws EdgeError E_INFERENCE */
  warmUp(model: HostedModel, framesPerEntry?: number): Promise<WarmUpReport>;
  /** Makes `model` serve frames from the next frame on. @throws EdgeError E_INVALID_ARGUMENT (not loaded) */
  activate(model: HostedModel): Promise<SwitchReport>;
  /** Checks the active model; never throws for a sick model (the report says why). */
  healthCheck(options?: HealthCheckOptions): Promise<HealthReport>;
  /** Frees a model that is not active. Idempotent. @throws EdgeError E_INVALID_ARGUMENT (active) */
  unload(model: HostedModel): Promise<void>;
  /** Frees everything. Idempotent. */
  close(): Promise<void>;
}
