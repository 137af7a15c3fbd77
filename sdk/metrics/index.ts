/**
 * Prometheus metrics of the runtime and a scrape endpoint. Re-exports only.
 */
export { runtimeMetrics, type RuntimeMetricsHandle, type RuntimeMetricsOptions } from './runtime-prometheus.js';
export { metricsRoute, serveMetrics, type MetricsServer, type MetricsServerOptions } from './metrics-server.js';
