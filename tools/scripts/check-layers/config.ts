/**
 * The layering data of tools/scripts/layers.json: source trees low to high, each with its folders
 * (or top-level files) low to high, and the size limits. Changing the layering is a change of that
 * file only.
 */
import { readFileSync } from 'node:fs';
import { EdgeError } from '../../../sdk/index.js';

/** One source tree (`sdk`, `tools`) and the order of its layers. */
export interface TreeLayers {
  /** Folder of the tree relative to the repository root, e.g. `sdk`. */
  root: string;
  /** Layer names low to high; names in one inner list share a rank. */
  order: (string | string[])[];
  /** Files of this tree that later trees may import (absent: later trees may import any file). */
  entries?: string[];
}

/** Size limits for the folders that hold the hardest logic. */
export interface SizeLimits {
  /** Folders (relative to the repository root) the limits apply to. */
  folders: string[];
  maxFileLines: number;
  maxFunctionLines: number;
}

/** The whole layering. */
export interface LayersConfig {
  /** Trees low to high: a later tree may import an earlier one, never the reverse. */
  trees: TreeLayers[];
  limits: SizeLimits;
}

function fail(file: string, field: string, message: string): never {
  throw new EdgeError('E_CONFIG', message, { file, field });
}

function stringList(value: unknown, file: string, field: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) {
    fail(file, field, 'must be a list of non-empty strings');
  }
  return value as string[];
}

function positiveInt(value: unknown, file: string, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    fail(file, field, 'must be a positive integer');
  return value;
}

/**
 * Validates a parsed layers.json.
 * @param file the file name errors name
 * @throws EdgeError E_CONFIG naming the field at fault
 */
export function parseLayersConfig(raw: unknown, file: string): LayersConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(file, '(root)', 'must be a JSON object');
  const obj = raw as Record<string, unknown>;
  if (!Array.isArray(obj.trees) || obj.trees.length === 0) fail(file, 'trees', 'must be a non-empty list');
  const seenRoots = new Set<string>();
  const trees = obj.trees.map((t: unknown, i): TreeLayers => {
    const at = `trees[${i}]`;
    if (typeof t !== 'object' || t === null || Array.isArray(t)) fail(file, at, 'must be an object');
    const tree = t as Record<string, unknown>;
    if (typeof tree.root !== 'string' || tree.root === '') fail(file, `${at}.root`, 'must be a folder name');
    if (seenRoots.has(tree.root)) fail(file, `${at}.root`, `names ${tree.root} twice`);
    seenRoots.add(tree.root);
    if (!Array.isArray(tree.order) || tree.order.length === 0) fail(file, `${at}.order`, 'must be a non-empty list');
    const names = new Set<string>();
    const order = tree.order.map((entry: unknown, j): string | string[] => {
      const group = Array.isArray(entry)
        ? stringList(entry, file, `${at}.order[${j}]`)
        : stringList([entry], file, `${at}.order[${j}]`);
      for (const name of group) {
        if (name.includes('/'))
          fail(file, `${at}.order[${j}]`, `${name} must be a folder or file directly under ${tree.root}`);
        if (names.has(name)) fail(file, `${at}.order[${j}]`, `names ${name} twice`);
        names.add(name);
      }
      return Array.isArray(entry) ? group : (group[0] as string);
    });
    const result: TreeLayers = { root: tree.root, order };
    if (tree.entries !== undefined) {
      result.entries = stringList(tree.entries, file, `${at}.entries`);
      for (const e of result.entries) if (!names.has(e)) fail(file, `${at}.entries`, `${e} is not in the order`);
    }
    return result;
  });
  const l = obj.limits;
  if (typeof l !== 'object' || l === null || Array.isArray(l)) fail(file, 'limits', 'must be an object');
  const lim = l as Record<string, unknown>;
  const limits: SizeLimits = {
    folders: stringList(lim.folders, file, 'limits.folders'),
    maxFileLines: positiveInt(lim.maxFileLines, file, 'limits.maxFileLines'),
    maxFunctionLines: positiveInt(lim.maxFunctionLines, file, 'limits.maxFunctionLines'),
  };
  return { trees, limits };
}

/**
 * Reads and validates a layers.json.
 * @throws EdgeError E_FILE_NOT_FOUND, E_CONFIG (not JSON or a bad field)
 */
export function loadLayersConfig(file: string): LayersConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new EdgeError('E_FILE_NOT_FOUND', 'cannot read the layering file', { file, cause });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new EdgeError('E_CONFIG', `not JSON: ${(cause as Error).message}`, { file, cause });
  }
  return parseLayersConfig(raw, file);
}

/** The rank of every layer name of a tree (names in one inner list share a rank). */
export function ranks(tree: TreeLayers): Map<string, number> {
  const map = new Map<string, number>();
  tree.order.forEach((entry, rank) => {
    for (const name of Array.isArray(entry) ? entry : [entry]) map.set(name, rank);
  });
  return map;
}
