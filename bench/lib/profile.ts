/**
 * The top functions of a V8 CPU profile (node --cpu-prof) by self time: samples whose top frame is
 * the function, as a share of all samples (idle and GC included, as the profile has them).
 */
interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }
interface Profile { nodes: ProfileNode[]; samples?: number[] }

export function summariseProfile(json: string, top: number, root: string): string[] {
  const profile = JSON.parse(json) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map<string, number>();
  let total = 0;
  const add = (node: ProfileNode | undefined, hits: number) => {
    if (!node || hits === 0) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.replace(/^file:\/\//, '').replace(`${root}/`, '')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + hits);
    total += hits;
  };
  if (profile.samples?.length) for (const id of profile.samples) add(byId.get(id), 1);
  else for (const node of profile.nodes) add(node, node.hitCount ?? 0);
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, top).map(([key, n]) => `${((n / total) * 100).toFixed(1).padStart(5)} %  ${key}`);
}
