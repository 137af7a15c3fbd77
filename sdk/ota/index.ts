/**
 * OTA model updates on the device: the agent, its storage, the model host interface and its
 * onnxruntime implementation, transports, and the bundle and desired-state formats.
 * Re-exports only.
 */
export { OtaAgent } from './agent/agent.js';
export type { OtaAgentOptions } from './agent/agent-options.js';
export {
  AGENT_STATES,
  TRANSITIONS,
  nextState,
  type AgentState,
  type TransitionName,
  type AgentReport,
  type BundleRef,
  type UpdateOutcome,
  type UpdateProgress,
} from './agent/agent-states.js';
export type { UpdateRequest, AgentRecord } from './agent/agent-record.js';
export type {
  ModelHost,
  ModelFrame,
  ModelFrameResult,
  ModelSource,
  HostedModel,
  WarmUpReport,
  HealthCheckOptions,
  HealthFailure,
  HealthReport,
  SwitchReport,
} from './hosts/model-host.js';
export { OrtModelHost, type OrtModelHostOptions } from './hosts/ort-model-host.js';
export { probeFeeds } from './hosts/probe-frames.js';
export { outputProblem } from './hosts/output-check.js';
export type { SlotStore, SlotPointer, BlobWriter, GarbageReport, CleanupReport } from './slots/slot-store.js';
export { MemorySlotStore } from './slots/slot-store-memory.js';
export { FsSlotStore } from './slots/slot-store-fs.js';
export {
  fetchBlob,
  type BlobSource,
  type BlobRequest,
  type FetchPolicy,
  type SourceFetchOptions,
} from './sources/blob-source.js';
export { HttpBlobSource, type HttpBlobSourceOptions } from './sources/blob-source-http.js';
export { MqttBlobSource, type MqttBlobSourceOptions } from './sources/blob-source-mqtt.js';
export { DirectoryBlobSource } from './sources/blob-source-dir.js';
export { OtaMqttLink, type OtaMqttLinkOptions } from './fleet/mqtt-link.js';
export { OtaTopics, OTA_TOPIC_PREFIX } from './fleet/topics.js';
export {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  BUNDLE_MANIFEST_FILE,
  BUNDLE_SIGNATURE_FILE,
  BUNDLE_BLOB_DIR,
  DEFAULT_BUNDLE_LIMITS,
  describeBundle,
  type BundleManifest,
  type BundleFile,
  type BundleLimits,
} from './bundle/bundle-manifest.js';
export { parseBundleManifest, checkBundleManifest } from './bundle/bundle-check.js';
export { checkBundleMatchesPackage } from './bundle/package-consistency.js';
export { bundleDelta, type BundleDelta } from './bundle/delta.js';
export {
  DESIRED_FORMAT,
  encodeDesired,
  decodeDesired,
  checkDesired,
  type DesiredState,
  type BlobSources,
  type VerifiedDesired,
} from './fleet/desired-state.js';
export {
  signDocument,
  verifyDocument,
  keyIdOf,
  checkSignatureRecord,
  type SignatureRecord,
  type SignedKind,
} from '../core/signing/signature.js';
export {
  TrustStore,
  TRUST_FORMAT,
  TRUST_ROLES,
  type TrustRole,
  type TrustFile,
  type TrustedKeyRecord,
} from '../core/signing/trust-store.js';
export {
  checkAddressed,
  checkFreshness,
  checkTarget,
  checkCompatible,
  checkMatchesDesired,
  checkVersionOrder,
  type DeviceIdentity,
  type InstalledBundle,
} from './agent/update-policy.js';
export { parseSemVer, compareSemVer, isSemVer, type SemVer } from './bundle/semver.js';
export { RuntimeModelHost } from './hosts/runtime-model-host.js';
