import { NODE_KINDS } from '../server/src/engine/fileNodes';

/**
 * One combined tree-sitter query over the node types the engine models: a pattern per type of
 * `NODE_KINDS`, each captured under its type's name. The engine collects these nodes with a walk
 * (server/src/engine/fileNodes.ts); the query is the floor issue 7 defines (bench/floor.ts), and
 * test/engine/fileNodes.test.ts checks that the walk gives what it captures.
 */
export const FILE_QUERY = [...NODE_KINDS.keys()].map((type) => `(${type}) @${type}`).join('\n');
