import ts from 'typescript';

/** One place outside `src/store/` that holds SQL text or branches on the store dialect. */
export interface LayoutFinding {
  file: string;
  line: number;
  kind: 'sql' | 'dialect';
  text: string;
}

/**
 * What a SQL statement looks like at the start of a literal (after `--` comment lines):
 * `select … from`/`select <number>`, `insert into`, `update <table> [alias] set`, `delete from`,
 * `with <name> as (`. Case-insensitive. A template's substitutions are read as `${}` so
 * `update ${table} set` still matches.
 */
const SQL_START =
  /^\s*(?:--[^\n]*\n\s*)*(?:select\s[\s\S]*\bfrom\s|select\s+\d|insert\s+into\s|update\s+\S+\s+(?:\w+\s+)?set\s|delete\s+from\s|with\s+(?:recursive\s+)?\w+\s+as\s*\()/i;

const DIALECTS = new Set(['sqlite', 'postgres']);

export function looksLikeSql(text: string): boolean {
  return SQL_START.test(text);
}

/** `x.dialect`, or a bare `dialect` identifier. */
function isDialectRef(node: ts.Node): boolean {
  if (ts.isPropertyAccessExpression(node)) return node.name.text === 'dialect';
  if (ts.isIdentifier(node)) return node.text === 'dialect';
  return false;
}

function isDialectName(node: ts.Node): boolean {
  return ts.isStringLiteralLike(node) && DIALECTS.has(node.text);
}

function literalText(node: ts.Node): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) {
    return node.head.text + node.templateSpans.map((s) => '${}' + s.literal.text).join('');
  }
  return undefined;
}

/**
 * Finds SQL-looking literals and dialect checks (`.dialect === 'postgres'`, a `switch` or an
 * index on `.dialect`) in one TypeScript source text.
 */
export function scanSource(file: string, source: string): LayoutFinding[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const found: LayoutFinding[] = [];
  const add = (node: ts.Node, kind: LayoutFinding['kind']): void => {
    const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
    const text = node.getText(sf).replace(/\s+/g, ' ').slice(0, 80);
    found.push({ file, line, kind, text });
  };
  const visit = (node: ts.Node): void => {
    const text = literalText(node);
    if (text !== undefined && looksLikeSql(text)) add(node, 'sql');
    if (
      ts.isBinaryExpression(node) &&
      [
        ts.SyntaxKind.EqualsEqualsEqualsToken,
        ts.SyntaxKind.ExclamationEqualsEqualsToken,
        ts.SyntaxKind.EqualsEqualsToken,
        ts.SyntaxKind.ExclamationEqualsToken,
      ].includes(node.operatorToken.kind) &&
      ((isDialectRef(node.left) && isDialectName(node.right)) ||
        (isDialectRef(node.right) && isDialectName(node.left)))
    ) {
      add(node, 'dialect');
    }
    if (ts.isSwitchStatement(node) && isDialectRef(node.expression)) add(node.expression, 'dialect');
    if (ts.isElementAccessExpression(node) && isDialectRef(node.argumentExpression)) {
      add(node, 'dialect');
    }
    // Template substitutions and nested literals are visited as children.
    if (!ts.isTemplateExpression(node)) ts.forEachChild(node, visit);
    else node.templateSpans.forEach((s) => ts.forEachChild(s, visit));
  };
  visit(sf);
  return found;
}
