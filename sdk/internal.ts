/**
 * What the toolchain (tools/) uses of the SDK beyond its public API (sdk/index.ts): the internal
 * modules tools build packages, plan, quantize, compile and ship with. Tools import the SDK only
 * through sdk/index.ts or this file, so the SDK can move its internals behind one list.
 * Re-exports only.
 */
export { type BindingResult, defaultBinding, type NativeBinding } from './core/binding.js';
export { EdgeError, isEdgeError, messageOf } from './core/errors.js';
export { floatToHalf, halfToFloat } from './core/float16.js';
export { isJsonLimitError, parseJsonBounded, syntaxMessage } from './core/json-limits.js';
export {
  isModalityIdSyntax,
  MODALITY_SPECS,
  type ModalityId,
  type ModalitySpec,
  resolveModality,
  type TaskId,
  TASKS,
} from './core/modalities.js';
export {
  type BlockExpertMap,
  type DType,
  type EntryManifest,
  type ExpertKind,
  type ExpertRecord,
  type FfnTensors,
  type FileRecord,
  type FileRole,
  type InputSpec,
  type LineageStep,
  type ModelInfo,
  type MoeClusterRecord,
  type OutputSpec,
  PACKAGE_FORMAT,
  PACKAGE_FORMAT_VERSION,
  PACKAGE_INCOMPLETE_MARKER,
  PACKAGE_MANIFEST_FILE,
  type PackageManifest,
  type RouterRecord,
} from './package/package-manifest.js';
export { processAlive } from './core/pid-lock.js';
export { checkNoLinkPath, copyRegular, linkOrCopyRegular, openRegular, readRegular } from './core/safe-fs.js';
export {
  bestPrecision,
  compareVersions,
  computePrecisions,
  type Confidence,
  dlaUsable,
  effectiveThroughput,
  INT8_FORMATS,
  type Int8Format,
  listTargets,
  loadTarget,
  modelMemoryBudget,
  type Precision,
  type TargetFact,
  type TargetLoadOptions,
  type TargetProfile,
  tensorrtVersionsFor,
} from './core/targets/index.js';
export { findPackageRoot } from './core/targets/package-root.js';
export type { TargetSoftwareLine } from './core/targets/resolved.js';
export { targetSchemaJson } from './core/targets/schema.js';
export { expectInteger, expectNumber, expectOneOf, invalidOption, is } from './core/validate.js';
export { VERSION } from './core/version.js';
export type { Frame, FramePixels } from './sensors/frame.js';
export type { FitMode } from './sensors/preprocess/preprocess-options.js';
export { preprocessFrame } from './sensors/preprocess/preprocess.js';
export { multispectralPresets, SENSOR_PRESETS } from './sensors/bands/presets.js';
export { rasterToPixels } from './sensors/raster.js';
export { checkSensorConfig, type SensorConfig } from './sensors/bands/sensor-config.js';
export { generateObjectScene } from './sensors/synthetic/object-scene.js';
export { generateQuadPolScene } from './sensors/synthetic/sar-quadpol.js';
export { copyRegularHashed, copyRegularThenHash, sha256, sha256File, type FileDigest } from './package/hash.js';
export { isSafeRelativePath } from './package/manifest-check.js';
export { scanOnnxWire, type WireInitializer } from './package/onnx-wire.js';
export {
  type ModelPackage,
  openPackage,
  type OpenPackageOptions,
  readPackageManifestFile,
} from './package/open-package.js';
export { preprocessingProblems } from './package/preprocessing-check.js';
export { boxCorners } from './core/geometry/oriented-box.js';
export { convexHull, type Point, polygonBounds, polygonIou } from './core/geometry/polygon.js';
export { brokerAuthOptions, type BrokerAuth, type TlsOptions } from './mqtt/broker-options.js';
export { FleetConsumer, type ReceivedResult } from './mqtt/consumer.js';
export { startEmbeddedBroker } from './mqtt/embedded-broker.js';
export type { FleetSummary } from './mqtt/fleet-view.js';
export type { MetricsPayload } from './mqtt/messages.js';
export { ResultPublisher } from './mqtt/publisher.js';
export { LatencyWindow, RateMeter } from './pipeline/latency-stats.js';
export type { BackendChoice } from './runtime/backend-choice.js';
export type { Backend, BackendSession } from './core/backend.js';
export type { HostTensor } from './core/host-tensor.js';
export { OrtBackend } from './runtime/backends/ort.js';
export { TensorRtBackend } from './runtime/backends/trt.js';
export {
  BUILD_SPEC_FILE,
  BUILD_SPEC_FORMAT,
  BUILD_SPEC_FORMAT_VERSION,
  type BuildSpec,
  type EngineSpec,
  parseBuildSpec,
  type WrittenEngineSpec,
} from './runtime/engine-cache/build-spec.js';
export { graphHashFromManifest } from './runtime/engine-cache/graph-hash.js';
export { readBuildSpec } from './runtime/engine-cache/spec-file.js';
export type { RuntimeMetrics } from './pipeline/metrics.js';
export { effectivePreprocess, type PackagePreprocessOptions } from './pipeline/package-preprocessing.js';
export type { FrameOutcome } from './pipeline/results.js';
export { createRuntime } from './runtime/runtime.js';
export { AGENT_STATES, type AgentReport } from './ota/agent/agent-states.js';
export { checkBundleManifest, NAME_PATTERN, parseBundleManifest } from './ota/bundle/bundle-check.js';
export {
  BUNDLE_BLOB_DIR,
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  BUNDLE_MANIFEST_FILE,
  BUNDLE_SIGNATURE_FILE,
  type BundleFile,
  type BundleManifest,
  DEFAULT_BUNDLE_LIMITS,
} from './ota/bundle/bundle-manifest.js';
export { chunkBytesFor, chunkHashesOfFile } from './ota/bundle/chunk-hashes.js';
export { decodeChunkRequest, encodeChunk } from './ota/sources/chunk-protocol.js';
export { bundleDelta, type BundleDelta } from './ota/bundle/delta.js';
export { type BlobSources, DESIRED_FORMAT, type DesiredState, encodeDesired } from './ota/fleet/desired-state.js';
export { decodeReport, type ReceivedReport } from './ota/fleet/device-report.js';
export { fsyncPath, writeFileDurable } from './ota/slots/fs-durable.js';
export { waitConnected } from './ota/fleet/mqtt-connect.js';
export { checkBundleMatchesPackage } from './ota/bundle/package-consistency.js';
export { compareSemVer, parseSemVer } from './ota/bundle/semver.js';
export {
  checkSignatureRecord,
  keyIdOf,
  type SignatureRecord,
  signDocument,
  verifyDocument,
} from './core/signing/signature.js';
export { OtaTopics } from './ota/fleet/topics.js';
export { TRUST_FORMAT, TRUST_ROLES, type TrustFile, type TrustRole, TrustStore } from './core/signing/trust-store.js';
export { checkTarget } from './ota/agent/update-policy.js';
export { metricsRoute } from './metrics/metrics-server.js';
export { enumSeries, LATENCY_BUCKETS, readCounter, readGauge } from './metrics/prometheus-helpers.js';
export type { GenerationOptions, TokenEvent } from './vlm/generate.js';
export { kvBytesPerToken } from './vlm/kv-cache.js';
export { DEFAULT_ROUTER_TEMPLATES } from './vlm/router.js';
export { type VlmExpertRecord, type VlmExpertRole, type VlmManifest, vlmSection } from './package/vlm-manifest.js';
export { createVlmRuntime, SEEDED_WEIGHTS_NOTE, type VlmRequest, type VlmResult } from './vlm/vlm-runtime.js';
export { VLM_EXPERT_ROLES } from './package/vlm-manifest.js';
export type { RasterPixels } from './sensors/frame.js';
export type { VlmRuntime } from './vlm/vlm-runtime.js';
