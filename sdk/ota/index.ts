/**
 * OTA model updates on the device: the agent, its storage, the model host interface and its
 * onnxruntime implementation, transports, and the bundle and desired-state formats.
 * Re-exports only.
 */
export { OtaAgent, type OtaAgentOptions } from './agent.js';
export { AGENT_STATES, TRANSITIONS, nextState, type AgentState, type TransitionName, type AgentReport, type BundleRef, type UpdateOutcome, type UpdateProgress } from './agent-states.js';
export type { UpdateRequest, AgentRecord } from './agent-record.js';
export type { ModelHost, ModelFrame, ModelFrameResult, ModelSource, HostedModel, WarmUpReport, HealthCheckOptions, HealthFailure, HealthReport, SwitchReport } from './model-host.js';
export { OrtModelHost, type OrtModelHostOptions } from './ort-model-host.js';
export { probeFeeds } from './probe-frames.js';
export { outputProblem } from './output-check.js';
export type { SlotStore, SlotPointer, BlobWriter, GarbageReport, CleanupReport } from './slot-store.js';
export { MemorySlotStore } from './slot-store-memory.js';
export { FsSlotStore } from './slot-store-fs.js';
export { fetchBlob, type BlobSource, type BlobRequest, type FetchPolicy, type SourceFetchOptions } from './blob-source.js';
export { HttpBlobSource, type HttpBlobSourceOptions } from './blob-source-http.js';
export { MqttBlobSource, type MqttBlobSourceOptions } from './blob-source-mqtt.js';
export { DirectoryBlobSource } from './blob-source-dir.js';
export { OtaMqttLink, type OtaMqttLinkOptions } from './mqtt-link.js';
export { OtaTopics, OTA_TOPIC_PREFIX } from './topics.js';
export { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, BUNDLE_MANIFEST_FILE, BUNDLE_SIGNATURE_FILE, BUNDLE_BLOB_DIR, DEFAULT_BUNDLE_LIMITS, describeBundle, type BundleManifest, type BundleFile, type BundleLimits } from './bundle-manifest.js';
export { parseBundleManifest, checkBundleManifest } from './bundle-check.js';
export { checkBundleMatchesPackage } from './package-consistency.js';
export { bundleDelta, type BundleDelta } from './delta.js';
export { DESIRED_FORMAT, encodeDesired, decodeDesired, checkDesired, type DesiredState, type BlobSources, type VerifiedDesired } from './desired-state.js';
export { signDocument, verifyDocument, keyIdOf, checkSignatureRecord, type SignatureRecord, type SignedKind } from '../core/signing/signature.js';
export { TrustStore, TRUST_FORMAT, TRUST_ROLES, type TrustRole, type TrustFile, type TrustedKeyRecord } from '../core/signing/trust-store.js';
export { checkAddressed, checkFreshness, checkTarget, checkCompatible, checkMatchesDesired, checkVersionOrder, type DeviceIdentity, type InstalledBundle } from './update-policy.js';
export { parseSemVer, compareSemVer, isSemVer, type SemVer } from './semver.js';
export { RuntimeModelHost } from './runtime-model-host.js';
