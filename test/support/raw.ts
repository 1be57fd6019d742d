/** The answer to a raw request: status, body as text, headers as node:http gives them. */
export interface RawAnswer {
  status: number;
  body: string;
  headers: Record<string, string | undefined>;
}

/**
 * A GET through node:http, which (unlike fetch) lets a test set the Host header: host-based
 * tenants are reached this way without DNS.
 */
export async function rawGet(url: string, path: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers as Record<string, string | undefined> }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
