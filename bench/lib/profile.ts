/**
 * The top functions of a V8 CPU profile (node --cpu-prof) by self time: samples whose top frame is
 * the function, as a share of all samples (idle and GC included, as the profile has them).
 */
interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }
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

/**
 * The runtime's own functions (those under `own`, e.g. dist/src/) by total time: samples with the
 * function anywhere on the stack (once per sample, however deep the recursion), as a share of all
 * samples. Self time alone spreads a slow page over the library and native frames it calls.
 */
export function summariseOwnTotal(json: string, top: number, root: string, own: string): string[] {
  const profile = JSON.parse(json) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    return `${functionName || '(anonymous)'} ${url.replace(/^file:\/\//, '').replace(`${root}/`, '')}:${lineNumber + 1}`;
  };
  const counts = new Map<string, number>();
  const samples = profile.samples ?? [];
  for (const id of samples) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (node?.callFrame.url.includes(own)) seen.add(keyOf(node));
    }
    for (const key of seen) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, top).map(([key, n]) => `${((n / Math.max(1, samples.length)) * 100).toFixed(1).padStart(5)} %  ${key}`);
}
