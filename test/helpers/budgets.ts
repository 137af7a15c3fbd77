/**
 * Latency budgets for tests that run real models and expect them to pass a health check. A budget a
 * quiet workstation meets (1 s, the SDK default) fails on a loaded 2-core CI machine, where one run of
 * the tiny package has taken several seconds; these hold there. Tests that check a model is refused
 * for being slow use budgets no real run can meet (microseconds) instead, so neither kind depends on
 * this machine's speed.
 */

/** A per-frame health-check budget that a tiny package meets on a loaded 2-core machine. */
export const LOADED_MACHINE_BUDGET_MS = 120_000;
