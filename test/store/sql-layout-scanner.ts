import ts from 'typescript';

/** One place outside `src/store/` that holds SQL text or branches on the store dialect. */
export interface LayoutFinding {
  file: string;
  line: number;
  kind: 'sql' | 'dialect';
  text: string;
  /** For `sql`: the statement opens with a `--` comment (its purpose and parameters). */
  commented?: boolean;
}

/**
 * What a SQL statement looks like at the start of a literal (after `--` comment lines):
 * `select … from`, `select <number | * | call( | col,>`, `insert into`, `update <table> [alias]
 * set`, `delete from`, `with <name> as (`. Case-insensitive. A template's substitutions are read
 * as `${}` so `update ${table} set` still matches.
 */
const SQL_START = new RegExp(
  [
    String.raw`^\s*(?:--[^\n]*\n\s*)*(?:`,
    String.raw`select\s[\s\S]*\bfrom\s`,
    String.raw`|select\s+(?:distinct\s+)?(?:\d|\*|[\w.$]+\s*[(,])`,
    String.raw`|insert\s+into\s`,
    String.raw`|update\s+\S+\s+(?:\w+\s+)?set\s`,
    String.raw`|delete\s+from\s`,
    String.raw`|with\s+(?:recursive\s+)?\w+\s+as\s*(?:(?:not\s+)?materialized\s*)?\()`,
  ].join(''),
  'i',
);

const DIALECTS = new Set(['sqlite', 'postgres']);

export function looksLikeSql(text: string): boolean {
  return SQL_START.test(text);
}

const EQUALITY = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
]);

function isDialectName(node: ts.Node): boolean {
  return ts.isStringLiteralLike(node) && DIALECTS.has(node.text);
}

/** `dialect === 'postgres'` (either side) on a plain `dialect` variable or parameter. */
function isBareDialectCheck(node: ts.Node): boolean {
  if (!ts.isBinaryExpression(node) || !EQUALITY.has(node.operatorToken.kind)) return false;
  const bare = (n: ts.Node) => ts.isIdentifier(n) && n.text === 'dialect';
  return (
    (bare(node.left) && isDialectName(node.right)) || (bare(node.right) && isDialectName(node.left))
  );
}

function literalText(node: ts.Node): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) {
    return node.head.text + node.templateSpans.map((s) => '${}' + s.literal.text).join('');
  }
  return undefined;
}

/**
 * Finds SQL-looking literals and dialect checks (any read of a `.dialect` property, and a plain
 * `dialect` variable compared with 'sqlite' or 'postgres') in one TypeScript source text.
 */
export function scanSource(file: string, source: string): LayoutFinding[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const found: LayoutFinding[] = [];
  const add = (node: ts.Node, kind: LayoutFinding['kind'], sql?: string): void => {
    const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
    const text = node.getText(sf).replace(/\s+/g, ' ').slice(0, 80);
    if (sql === undefined) found.push({ file, line, kind, text });
    else found.push({ file, line, kind, text, commented: /^\s*--/.test(sql) });
  };
  const visit = (node: ts.Node): void => {
    const text = literalText(node);
    if (text !== undefined && looksLikeSql(text)) add(node, 'sql', text);
    // Reading the store's dialect at all (`db.dialect === 'postgres'`, `switch (q.dialect)`,
    // `loadMigrations(db.dialect)`, `sql[q.dialect]`) is choosing per dialect.
    if (ts.isPropertyAccessExpression(node) && node.name.text === 'dialect') add(node, 'dialect');
    if (isBareDialectCheck(node)) add(node, 'dialect');
    // A template's head and middles are not literals of their own; its substitutions are visited.
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}
