/**
 * Reads the TypeScript sources of a tree with the TypeScript parser: every module specifier a file
 * names (import, import type, export … from, dynamic import(), `import('…')` types) and the length of
 * every function (declarations, methods, constructors, accessors, arrow functions, function
 * expressions). Parsing only: no type checking, no module resolution beyond relative paths.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import ts from 'typescript';

/** How a file names another module. */
export type ImportKind = 'import' | 'import type' | 'export from' | 'dynamic import' | 'type import()';

/** One module specifier of a file. */
export interface ImportRef {
  specifier: string;
  kind: ImportKind;
  /** 1-based line of the specifier. */
  line: number;
  /** The imported file relative to the repository root (posix separators); absent for packages. */
  target?: string;
}

/** One function-like node and its length. */
export interface FunctionSize {
  /** `name`, `Class.method`, `Class.constructor`, or `<anonymous>` for unnamed callbacks. */
  name: string;
  /** 1-based line where it starts. */
  line: number;
  /** Lines from its first to its last token, both included. */
  lines: number;
}

/** What the checker knows of one source file. */
export interface SourceInfo {
  /** Path relative to the repository root, posix separators. */
  file: string;
  /** Number of lines (a final newline does not start another line). */
  lines: number;
  imports: ImportRef[];
  functions: FunctionSize[];
}

const SOURCE = /\.(ts|mts|cts|tsx)$/;

/** Every TypeScript file under `dir` (relative to `root`), sorted, skipping node_modules. */
export function listSources(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string): void => {
    for (const name of readdirSync(abs).sort()) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const path = join(abs, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (SOURCE.test(name)) out.push(toPosix(relative(root, path)));
    }
  };
  const start = join(root, dir);
  if (existsSync(start)) walk(start);
  return out;
}

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

/**
 * The repository-relative file a relative specifier names: `./x.js` is `x.ts` when that exists
 * (NodeNext style), a folder is its `index.ts`. Bare specifiers (packages, `node:`) give undefined.
 */
export function resolveSpecifier(root: string, fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return undefined;
  const target = posix.normalize(posix.join(posix.dirname(fromFile), specifier));
  const candidates = [
    target.replace(/\.js$/, '.ts'),
    target.replace(/\.mjs$/, '.mts'),
    target,
    `${target}.ts`,
    `${target}/index.ts`,
  ];
  for (const c of candidates) {
    const abs = join(root, c);
    if (existsSync(abs) && statSync(abs).isFile()) return c;
  }
  return target.replace(/\.js$/, '.ts');
}

function lineOf(sf: ts.SourceFile, pos: number): number {
  return sf.getLineAndCharacterOfPosition(pos).line + 1;
}

function nameOf(node: ts.Node): string | undefined {
  const named = node as { name?: ts.Node };
  if (
    named.name &&
    (ts.isIdentifier(named.name) || ts.isPrivateIdentifier(named.name) || ts.isStringLiteral(named.name))
  ) {
    return named.name.text;
  }
  return undefined;
}

/**
 * A readable name for a function-like node: its own name, the variable or property it is assigned
 * to, or `<anonymous>` (with the enclosing function's name when there is one).
 */
function functionName(node: ts.Node, enclosing: string | undefined): string {
  const own = nameOf(node);
  const parent = node.parent;
  const cls =
    parent && (ts.isClassDeclaration(parent) || ts.isClassExpression(parent))
      ? (parent.name?.text ?? '<class>')
      : undefined;
  if (ts.isConstructorDeclaration(node)) return `${cls ?? '<class>'}.constructor`;
  if (own !== undefined) return cls ? `${cls}.${own}` : own;
  if (
    parent &&
    (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))
  ) {
    const holder = nameOf(parent);
    if (holder !== undefined) {
      const owner =
        ts.isPropertyDeclaration(parent) && parent.parent && ts.isClassLike(parent.parent)
          ? parent.parent.name?.text
          : undefined;
      return owner ? `${owner}.${holder}` : holder;
    }
  }
  return enclosing === undefined ? '<anonymous>' : `<anonymous in ${enclosing}>`;
}

function isFunctionLike(node: ts.Node): boolean {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node) ||
    ts.isArrowFunction(node) ||
    ts.isFunctionExpression(node)
  );
}

/** Parses one file's text (no type checking). */
export function scanText(root: string, file: string, text: string): SourceInfo {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const imports: ImportRef[] = [];
  const functions: FunctionSize[] = [];
  const add = (literal: ts.Expression | undefined, kind: ImportKind): void => {
    if (!literal || !ts.isStringLiteralLike(literal)) return;
    const ref: ImportRef = { specifier: literal.text, kind, line: lineOf(sf, literal.getStart(sf)) };
    const target = resolveSpecifier(root, file, literal.text);
    if (target !== undefined) ref.target = target;
    imports.push(ref);
  };
  const visit = (node: ts.Node, enclosing: string | undefined): void => {
    if (ts.isImportDeclaration(node)) {
      add(node.moduleSpecifier, node.importClause?.isTypeOnly ? 'import type' : 'import');
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, 'export from');
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, 'import');
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], 'dynamic import');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, 'type import()');
    }
    let inner = enclosing;
    if (isFunctionLike(node)) {
      const start = lineOf(sf, node.getStart(sf));
      const name = functionName(node, enclosing);
      functions.push({ name, line: start, lines: lineOf(sf, node.getEnd()) - start + 1 });
      inner = name;
    }
    ts.forEachChild(node, (child) => visit(child, inner));
  };
  visit(sf, undefined);
  const lines = text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  return { file, lines, imports, functions };
}

/** Parses one file of the repository. */
export function scanFile(root: string, file: string): SourceInfo {
  return scanText(root, file, readFileSync(join(root, file), 'utf8'));
}

/** Parses every TypeScript file under the given folders of the repository. */
export function scanTrees(root: string, dirs: readonly string[]): SourceInfo[] {
  return dirs.flatMap((dir) => listSources(root, dir)).map((file) => scanFile(root, file));
}
