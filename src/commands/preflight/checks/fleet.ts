/**
 * The running nodes, from their heartbeats in the store (store/config-history.ts): nodes that do
 * not all serve the same config (drift), with the command that restores the previous config; and
 * several nodes on a SQLite store, which is one node's file.
 */
import { listConfigHistory, liveNodes, type NodeRow } from '../../../store/config-history.js';
import { CHECKLIST, defineCheck, finding, OWASP, type Finding } from '../check.js';

const short = (sha256: string) => sha256.slice(0, 12);

/** The command that puts `sha256`'s file back where `file` is (the nodes then reload it: file watch or SIGHUP). */
export function restoreCommand(configPath: string, sha256: string, file: string | null): string {
  const target = file ?? '<the config file>';
  return `portcullis config show ${short(sha256)} --config ${configPath} > ${target}   # then SIGHUP each node (or let lifecycle.watchConfigFile reload it)`;
}

export const fleetCheck = defineCheck(
  'fleet',
  {
    drift: {
      id: 'PF-DRIFT-001',
      severity: 'high',
      title: 'The running nodes do not all serve the same config (drift)',
      why: `${CHECKLIST.rollback}; ${OWASP.API8}`,
      fix: 'Bring every node to one config: deploy the same file everywhere and reload (SIGHUP), or restore the previous one with the command printed in the finding; `portcullis config diff <a> <b>` shows what differs.',
    },
    sqliteShared: {
      id: 'PF-STORE-002',
      severity: 'high',
      title: 'Several nodes on a SQLite store (one node\'s file: writes and revocations are not shared safely)',
      why: CHECKLIST.infrastructure,
      fix: 'Use `store.driver: postgres` for more than one node (`--workers N` on one host is fine: it is one node).',
    },
  },
  async ({ config, clock, store, configPath }, rules) => {
    const db = await store();
    if (!db) return [];
    const nodes = await liveNodes(db.db, clock.now());
    const findings: Finding[] = [];
    const byHash = new Map<string, NodeRow[]>();
    for (const node of nodes) byHash.set(node.configSha256, [...(byHash.get(node.configSha256) ?? []), node]);
    if (byHash.size > 1) {
      const history = await listConfigHistory(db.db, 2);
      const previous = history[1];
      const groups = [...byHash.entries()].map(([hash, serving]) => `${short(hash)} on ${serving.map((node) => `${node.nodeId} (${node.version})`).join(', ')}`).join('; ');
      findings.push(finding(rules.drift, `${nodes.length} nodes serve ${byHash.size} configs: ${groups}${previous ? `. To restore the previous config (${short(previous.sha256)}): ${restoreCommand(configPath, previous.sha256, previous.file)}` : ''}`, { entity: 'gateway_nodes' }));
    }
    if (nodes.length > 1 && config.store?.driver === 'sqlite') findings.push(finding(rules.sqliteShared, `${nodes.length} nodes use the SQLite store ${config.store.path}: ${nodes.map((node) => node.nodeId).join(', ')}`, { path: 'store.driver', entity: 'gateway_nodes' }));
    return findings;
  },
);

