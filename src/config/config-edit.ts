import { isMap, isScalar, isSeq, parseDocument, visit, YAMLSeq } from 'yaml';
import { OrchError } from '../errors.js';
import { parseConfigFile } from './config-file.js';

/**
 * Appends one project to the text of an `orch.config.yaml`, keeping everything else as written
 * (comments, order, blank lines: the `yaml` Document API edits the tree, not the text). The result
 * is validated with the real schema before it is returned. Pure.
 * PROJECT_EXISTS when a project already has the key or the repository name; CONFIG_INVALID when
 * the file (or the new entry) does not validate.
 */
export function appendProject(
  text: string,
  entry: Record<string, unknown>,
  source: string,
): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0)
    throw new OrchError('CONFIG_INVALID', `${source} is not valid YAML: ${doc.errors[0]?.message}`);
  const before = parseConfigFile(doc.toJS() ?? {}, source);
  for (const p of before.projects) {
    if (p.key === entry.key || p.repo === entry.repo)
      throw new OrchError(
        'PROJECT_EXISTS',
        `${source} already has project ${p.key} (repo ${p.repo}); choose another key or --name`,
      );
  }
  const node = doc.createNode(entry);
  // Lists of plain values read best on one line: [npm, test].
  visit(node, {
    Seq: (_, seq: YAMLSeq) => {
      if (seq.items.every((i) => isScalar(i))) seq.flow = true;
    },
  });
  const projects = doc.get('projects', true);
  if (isSeq(projects)) {
    projects.flow = false;
    projects.add(node);
  } else if (projects === undefined || projects === null || isScalar(projects)) {
    if (!isMap(doc.contents) && doc.contents !== null)
      throw new OrchError('CONFIG_INVALID', `${source}: the top level is not a mapping`);
    doc.set('projects', new YAMLSeq());
    (doc.get('projects', true) as YAMLSeq).add(node);
  } else {
    throw new OrchError('CONFIG_INVALID', `${source}: projects is not a list`);
  }
  const out = doc.toString({ flowCollectionPadding: false });
  parseConfigFile(parseDocument(out).toJS() ?? {}, source);
  return out;
}
